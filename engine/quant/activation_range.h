// Output clamp range of a fused activation, as TFLite Micro computes it.
#ifndef TINYSERVE_ENGINE_QUANT_ACTIVATION_RANGE_H_
#define TINYSERVE_ENGINE_QUANT_ACTIVATION_RANGE_H_

#include <algorithm>
#include <cstdint>

#include "engine/op_options.h"
#include "engine/types.h"

namespace tinyserve {

struct ActivationRange {
  int32_t min = 0;
  int32_t max = 0;
};

inline int32_t Clamp(int32_t v, ActivationRange r) { return std::min(std::max(v, r.min), r.max); }

// Bounds are quantized in float32 (f / scale, rounded half away from zero) and
// include the zero point. TANH and SIGN_BIT fused into an integer op clamp to
// the type's range only, as in TFLite Micro.
ActivationRange QuantizedActivationRange(Activation activation, float scale, int32_t zero_point,
                                         DataType type);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_QUANT_ACTIVATION_RANGE_H_
