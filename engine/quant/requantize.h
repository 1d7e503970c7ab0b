// Integer requantization exactly as TensorFlow Lite Micro's reference kernels do
// it (default build: no TFLITE_SINGLE_ROUNDING, so every multiply rounds twice,
// gemmlowp style). Every bit matters: see docs/engine.md, "Rounding".
#ifndef TINYSERVE_ENGINE_QUANT_REQUANTIZE_H_
#define TINYSERVE_ENGINE_QUANT_REQUANTIZE_H_

#include <algorithm>
#include <cstdint>
#include <limits>

namespace tinyserve {

// A real multiplier m ~= multiplier * 2^(shift - 31), multiplier in [2^30, 2^31).
// shift > 0 is a left shift.
struct QuantizedMultiplier {
  int32_t multiplier = 0;
  int shift = 0;
};

// frexp, then round(q * 2^31) half away from zero on a double; 2^31 renormalizes
// to 2^30 with shift + 1; shift < -31 flushes to zero.
QuantizedMultiplier QuantizeMultiplier(double real_multiplier);


// Wrapping int32 left shift (TFLite's `x * (1 << s)`; unsigned here to stay defined).
inline int32_t ShiftLeftWrapping(int32_t x, int s) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) << s);
}

// High 32 bits of 2*a*b, rounded to nearest with ties toward +infinity (the
// nudge is +2^30 for positive products and 1 - 2^30 for negative ones, then a
// truncating division: -0.5 -> 0, -1.5 -> -1, +0.5 -> 1); saturates the one
// case that overflows (a == b == INT32_MIN).
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == std::numeric_limits<int32_t>::min()) {
    return std::numeric_limits<int32_t>::max();
  }
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  // C++ division truncates toward zero; with the asymmetric nudge, ties go up.
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

// x / 2^exponent rounded half away from zero; exponent in [0, 31].
inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// TFLite's MultiplyByQuantizedMultiplier (double rounding).
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(x, left_shift), multiplier), right_shift);
}
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, QuantizedMultiplier m) {
  return MultiplyByQuantizedMultiplier(x, m.multiplier, m.shift);
}

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_QUANT_REQUANTIZE_H_
