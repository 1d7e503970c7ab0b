// XC_lookup: decode and validate (engine/xcore_ops/xcore_elementwise.h).
#include <cstring>

#include "engine/xcore_ops/xcore_elementwise.h"
#include "engine/xcore_ops/xcore_ops.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcLookup(const PrepareContext& ctx) {
  if (absl::Status s = ctx.CheckArity(2, 2, 1); !s.ok()) return s;
  // lib_nn's int16 lookup (quadratic interpolation) is not emulated.
  if (absl::Status s = ctx.CheckInputType(0, DataType::kInt8); !s.ok()) return s;
  if (absl::Status s = ctx.CheckOutputType(0, DataType::kInt8); !s.ok()) return s;
  if (absl::Status s = ctx.CheckConstantInput(1); !s.ok()) return s;
  if (absl::Status s = ctx.CheckSameShape(0, 0); !s.ok()) return s;
  const TensorInfo& table = *ctx.input(1);
  if ((table.type != DataType::kUInt8 && table.type != DataType::kInt8) ||
      table.num_elements() != 256 || table.data.size() != 256) {
    return ctx.InvalidInput(1, "the table must be 256 uint8 (or int8) values");
  }
  auto data = std::make_unique<XcLookupData>();
  std::memcpy(data->table.data(), table.data.data(), 256);
  data->elements = ctx.output(0).num_elements();
  return std::unique_ptr<const OpData>(std::move(data));
}

}  // namespace tinyserve
