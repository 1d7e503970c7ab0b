// XC_softmax: decode and validate (engine/xcore_ops/xcore_elementwise.h).
#include <cstring>

#include "engine/xcore_ops/xcore_elementwise.h"
#include "engine/xcore_ops/xcore_ops.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcSoftmax(const PrepareContext& ctx) {
  if (absl::Status s = ctx.CheckArity(2, 2, 1); !s.ok()) return s;
  if (absl::Status s = ctx.CheckInputType(0, DataType::kInt8); !s.ok()) return s;
  if (absl::Status s = ctx.CheckOutputType(0, DataType::kInt8); !s.ok()) return s;
  if (absl::Status s = ctx.CheckConstantInput(1); !s.ok()) return s;
  if (absl::Status s = ctx.CheckSameShape(0, 0); !s.ok()) return s;
  const TensorInfo& table = *ctx.input(1);
  if (table.type != DataType::kFloat32 || table.num_elements() != 256 ||
      table.data.size() != 256 * sizeof(float)) {
    return ctx.InvalidInput(1, "the table must be 256 float32 values");
  }
  auto data = std::make_unique<XcSoftmaxData>();
  // Copied: the file gives no alignment guarantee for the floats.
  std::memcpy(data->table.data(), table.data.data(), 256 * sizeof(float));
  data->elements = ctx.output(0).num_elements();
  return std::unique_ptr<const OpData>(std::move(data));
}

}  // namespace tinyserve
