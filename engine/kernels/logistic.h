// LOGISTIC, int8, in gemmlowp fixed point as TensorFlow Lite Micro computes it
// (no lookup table): the input is rescaled to Q4.27, inputs beyond a radius
// saturate, and the output is fixed at scale 1/256, zero point -128.
#ifndef TINYSERVE_ENGINE_KERNELS_LOGISTIC_H_
#define TINYSERVE_ENGINE_KERNELS_LOGISTIC_H_

#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/quant/requantize.h"

namespace tinyserve {

inline constexpr int kLogisticInputTensor = 0;
inline constexpr int kLogisticOutputTensor = 0;

// Input scaling shared by LOGISTIC and TANH (TFLite Micro's
// logistic_common.cc / tanh.cc): x - zp becomes Q4.27 by MBQM(x - zp,
// multiplier, left_shift), where multiplier * 2^(left_shift - 31) = s_in * 2^27
// from frexp (no 2^31 renormalization; it cannot occur for a float32 scale).
// |x - zp| >= range_radius = floor(15 * 2^27 / 2^left_shift) saturates.
struct SigmoidInputScaling {
  int32_t zero_point = 0;
  int32_t range_radius = 0;
  int32_t multiplier = 0;
  int left_shift = 0;
};

// Validates input 0 (int8, per-tensor) and computes its scaling.
absl::StatusOr<SigmoidInputScaling> PrepareSigmoidInputScaling(const PrepareContext& ctx);

// The loop LOGISTIC and TANH share: inputs at or beyond the radius saturate to
// -128/127; the others are rescaled to Q4.27 and mapped by `f` to the int8
// output.
template <typename F>
void MapSigmoidInputs(const SigmoidInputScaling& s, int64_t size, const int8_t* in, int8_t* out,
                      F f) {
  for (int64_t i = 0; i < size; ++i) {
    const int32_t x = in[i] - s.zero_point;
    if (x <= -s.range_radius) {
      out[i] = -128;
    } else if (x >= s.range_radius) {
      out[i] = 127;
    } else {
      out[i] = f(MultiplyByQuantizedMultiplier(x, s.multiplier, s.left_shift));
    }
  }
}

struct LogisticData : OpData {
  int64_t size = 0;
  SigmoidInputScaling input;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareLogistic(const PrepareContext& ctx);
void EvalLogisticReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_LOGISTIC_H_
