// AVERAGE_POOL_2D and MAX_POOL_2D, int8. Input and output share quantization, so
// neither requantizes.
#ifndef TINYSERVE_ENGINE_KERNELS_POOLING_H_
#define TINYSERVE_ENGINE_KERNELS_POOLING_H_

#include "engine/kernels/kernel.h"
#include "engine/kernels/window_geometry.h"
#include "engine/quant/activation_range.h"

namespace tinyserve {

struct PoolData : OpData {
  WindowGeometry geometry;  // out_c == in_c
  ActivationRange activation;
};

absl::StatusOr<std::unique_ptr<const OpData>> PreparePool(const PrepareContext& ctx);
void EvalAveragePoolReference(const OpData& data, const void* const* inputs,
                              void* const* outputs);
void EvalMaxPoolReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_POOLING_H_
