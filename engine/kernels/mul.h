// MUL, int8, with broadcasting: the product of the two zero-point-corrected
// inputs requantized to the output with one multiplier s1*s2/s_out.
#ifndef TINYSERVE_ENGINE_KERNELS_MUL_H_
#define TINYSERVE_ENGINE_KERNELS_MUL_H_

#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/quant/activation_range.h"
#include "engine/quant/requantize.h"

namespace tinyserve {

inline constexpr int kMulInput1Tensor = 0;
inline constexpr int kMulInput2Tensor = 1;
inline constexpr int kMulOutputTensor = 0;

struct MulData : OpData {
  Broadcast broadcast;
  int32_t input1_offset = 0, input2_offset = 0;  // minus the zero points
  int32_t output_zero_point = 0;
  QuantizedMultiplier output_multiplier;  // (double)s1 * (double)s2 / (double)s_out
  ActivationRange activation;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareMul(const PrepareContext& ctx);
void EvalMulReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_MUL_H_
