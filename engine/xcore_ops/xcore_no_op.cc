// Placeholder until the XC op lands.
#include "engine/xcore_ops/xcore_ops.h"

namespace tinyserve {
absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcNoOp(const PrepareContext& ctx) {
  return ctx.Unimplemented("not implemented yet");
}
}  // namespace tinyserve
