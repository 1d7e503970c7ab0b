// TANH, int8, in gemmlowp fixed point as TensorFlow Lite Micro computes it (no
// lookup table): the input scaling of LOGISTIC, output fixed at scale 1/128,
// zero point 0.
#ifndef TINYSERVE_ENGINE_KERNELS_TANH_H_
#define TINYSERVE_ENGINE_KERNELS_TANH_H_

#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/kernels/logistic.h"

namespace tinyserve {

inline constexpr int kTanhInputTensor = 0;
inline constexpr int kTanhOutputTensor = 0;

struct TanhData : OpData {
  int64_t size = 0;
  SigmoidInputScaling input;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareTanh(const PrepareContext& ctx);
void EvalTanhReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_TANH_H_
