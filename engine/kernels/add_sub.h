// ADD and SUB, int8, with broadcasting. Both inputs are brought to a common
// scale with 20 bits of headroom, combined, and requantized to the output.
#ifndef TINYSERVE_ENGINE_KERNELS_ADD_SUB_H_
#define TINYSERVE_ENGINE_KERNELS_ADD_SUB_H_

#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/quant/activation_range.h"
#include "engine/quant/requantize.h"

namespace tinyserve {

struct AddSubData : OpData {
  Broadcast broadcast;
  int left_shift = 20;
  int32_t input1_offset = 0, input2_offset = 0;  // minus the zero points
  int32_t output_zero_point = 0;
  QuantizedMultiplier input1_multiplier, input2_multiplier, output_multiplier;
  ActivationRange activation;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareAddSub(const PrepareContext& ctx);
void EvalAddReference(const OpData& data, const void* const* inputs, void* const* outputs);
void EvalSubReference(const OpData& data, const void* const* inputs, void* const* outputs);

// Input i (0 or 1) brought to the common scale: SRDHM then RDBPOT of
// (x - zp) << left_shift.
inline int32_t ScaleAddSubInput(int32_t x, int32_t offset, int left_shift,
                                QuantizedMultiplier m) {
  return MultiplyByQuantizedMultiplier(ShiftLeftWrapping(x + offset, left_shift), m);
}

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_ADD_SUB_H_
