#include "engine/quant/activation_range.h"

#include <cmath>

namespace tinyserve {
namespace {

// zero_point + round(f / scale), saturated so a hostile scale cannot overflow.
int32_t QuantizeBound(float f, float scale, int32_t zero_point) {
  const float q = std::round(f / scale);
  const float limit = 2147483520.0f;  // largest float below 2^31
  const int64_t clamped = static_cast<int64_t>(std::max(-limit, std::min(limit, q)));
  const int64_t v = zero_point + clamped;
  return static_cast<int32_t>(std::max<int64_t>(INT32_MIN, std::min<int64_t>(INT32_MAX, v)));
}

}  // namespace

ActivationRange QuantizedActivationRange(Activation activation, float scale, int32_t zero_point,
                                         DataType type) {
  const int32_t qmin = DataTypeMin(type), qmax = DataTypeMax(type);
  switch (activation) {
    case Activation::kRelu:
      return {std::max(qmin, QuantizeBound(0.0f, scale, zero_point)), qmax};
    case Activation::kRelu6:
      return {std::max(qmin, QuantizeBound(0.0f, scale, zero_point)),
              std::min(qmax, QuantizeBound(6.0f, scale, zero_point))};
    case Activation::kReluN1To1:
      return {std::max(qmin, QuantizeBound(-1.0f, scale, zero_point)),
              std::min(qmax, QuantizeBound(1.0f, scale, zero_point))};
    default:
      return {qmin, qmax};
  }
}

}  // namespace tinyserve
