// QUANTIZE: float32 -> int8/int16/uint8 (affine quantization), or integer ->
// integer requantization between int8, uint8, int16 and int32 (the pairs
// TensorFlow Lite Micro supports).
#ifndef TINYSERVE_ENGINE_KERNELS_QUANTIZE_H_
#define TINYSERVE_ENGINE_KERNELS_QUANTIZE_H_

#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/quant/requantize.h"

namespace tinyserve {

inline constexpr int kQuantizeInputTensor = 0;
inline constexpr int kQuantizeOutputTensor = 0;

struct QuantizeData : OpData {
  using RunFn = void (*)(const QuantizeData& data, const void* input, void* output);
  RunFn run = nullptr;  // chosen at prepare for the (input, output) type pair
  int64_t size = 0;
  // float32 input: q = clamp(round(x / output_scale) + output_zero_point).
  float output_scale = 1.0f;
  // Integer input: q = clamp(MBQM(x - input_zero_point, multiplier) + output_zero_point).
  int32_t input_zero_point = 0;
  QuantizedMultiplier multiplier;  // (double)s_in / (double)s_out
  int32_t output_zero_point = 0;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareQuantize(const PrepareContext& ctx);
void EvalQuantizeReference(const OpData& data, const void* const* inputs, void* const* outputs);

// One float32 value quantized as TFLite's AffineQuantize: float32 division,
// std::round (half away from zero), plus the zero point, clamped to
// [qmin, qmax]. TFLite casts the rounded float to int32 directly, which is
// undefined behaviour for NaN and for values beyond the int32 range; here a
// value beyond +-2^24 saturates to the matching rail (any such value lands on
// the rail after the clamp anyway, since |zero point| <= 2^16) and NaN maps to
// the zero point.
int32_t AffineQuantizeValue(float x, float scale, int32_t zero_point, int32_t qmin,
                            int32_t qmax);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_QUANTIZE_H_
