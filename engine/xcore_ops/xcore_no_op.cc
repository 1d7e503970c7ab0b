// XC_no_op: a free reshape (engine/xcore_ops/xcore_data_movement.h).
#include "absl/strings/str_cat.h"
#include "engine/xcore_ops/xcore_data_movement.h"
#include "engine/xcore_ops/xcore_ops.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcNoOp(const PrepareContext& ctx) {
  if (absl::Status s = ctx.CheckArity(1, 1, 1); !s.ok()) return s;
  const TensorInfo& in = *ctx.input(0);
  const TensorInfo& out = ctx.output(0);
  if (in.type != out.type) return ctx.InvalidOutput(0, "type differs from the input's");
  if (in.bytes != out.bytes) {
    return ctx.InvalidOutput(0, absl::StrCat("has ", out.bytes, " bytes, the input ", in.bytes,
                                             " (a no-op reshape keeps every byte)"));
  }
  auto data = std::make_unique<XcNoOpData>();
  data->bytes = static_cast<int64_t>(in.bytes);
  return std::unique_ptr<const OpData>(std::move(data));
}

}  // namespace tinyserve
