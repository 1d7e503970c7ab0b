// RESHAPE: same bytes, new shape. The target shape is the output tensor's.
#ifndef TINYSERVE_ENGINE_KERNELS_RESHAPE_H_
#define TINYSERVE_ENGINE_KERNELS_RESHAPE_H_

#include "engine/kernels/kernel.h"

namespace tinyserve {

struct ReshapeData : OpData {
  size_t bytes = 0;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareReshape(const PrepareContext& ctx);
void EvalReshapeReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_RESHAPE_H_
