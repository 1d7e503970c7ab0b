// SOFTMAX over the last dimension, int8 input, int8 or int16 output, in
// gemmlowp fixed point as TensorFlow Lite Micro computes it (no lookup table).
#ifndef TINYSERVE_ENGINE_KERNELS_SOFTMAX_H_
#define TINYSERVE_ENGINE_KERNELS_SOFTMAX_H_

#include "engine/kernels/kernel.h"

namespace tinyserve {

struct SoftmaxData : OpData {
  int64_t rows = 0;
  int depth = 0;
  int32_t input_multiplier = 0;  // beta * s_in, as a multiplier >= 1 ...
  int input_left_shift = 0;      // ... with this left shift
  int32_t diff_min = 0;          // differences below this contribute exp() = 0
  bool int16_output = false;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareSoftmax(const PrepareContext& ctx);
void EvalSoftmaxReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_SOFTMAX_H_
