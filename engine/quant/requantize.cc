#include "engine/quant/requantize.h"

#include <cmath>

namespace tinyserve {

QuantizedMultiplier QuantizeMultiplier(double real_multiplier) {
  if (real_multiplier == 0.0) return {0, 0};
  int shift = 0;
  const double q = std::frexp(real_multiplier, &shift);
  // std::round is half away from zero, as TfLiteRound.
  int64_t q_fixed = static_cast<int64_t>(std::round(q * static_cast<double>(int64_t{1} << 31)));
  if (q_fixed == (int64_t{1} << 31)) {
    q_fixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    q_fixed = 0;
  }
  return {static_cast<int32_t>(q_fixed), shift};
}

}  // namespace tinyserve
