// RELU and RELU6, int8, as TensorFlow Lite Micro computes them
// (micro/kernels/activations*.{h,cc}). The two differ there:
//
// - RELU (ReluQuantized) requantizes: out = clamp(zp_out + MBQM(x - zp_in, M,
//   shift), max(-128, zp_out), 127) with (M, shift) = QuantizeMultiplier(s_in / s_out).
// - RELU6 (Relu6Quantized) only clamps in the INPUT's quantization:
//   out = clamp(x, zp_in, clamp(zp_in + round(6 / s_in), -128, 127)). The output
//   tensor's scale and zero point are never read. When they equal the input's
//   (what converters emit) this is the same as requantizing and clamping to
//   [zp_out, zp_out + round(6 / s_out)]; when they differ we still reproduce
//   TFLite Micro's bytes.
#ifndef TINYSERVE_ENGINE_KERNELS_RELU_H_
#define TINYSERVE_ENGINE_KERNELS_RELU_H_

#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/quant/activation_range.h"
#include "engine/quant/requantize.h"

namespace tinyserve {

inline constexpr int kReluInputTensor = 0;
inline constexpr int kReluOutputTensor = 0;

struct ReluData : OpData {
  int64_t size = 0;
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  QuantizedMultiplier multiplier;  // RELU only
  ActivationRange range;           // RELU: output domain; RELU6: input domain
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareRelu(const PrepareContext& ctx);
absl::StatusOr<std::unique_ptr<const OpData>> PrepareRelu6(const PrepareContext& ctx);
void EvalReluReference(const OpData& data, const void* const* inputs, void* const* outputs);
void EvalRelu6Reference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_RELU_H_
