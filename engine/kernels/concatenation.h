// CONCATENATION along one axis (negative counts from the end), any element
// type: a byte copy. Quantized inputs must share the output's scale and zero
// point, as TensorFlow Lite Micro requires, so nothing is requantized.
#ifndef TINYSERVE_ENGINE_KERNELS_CONCATENATION_H_
#define TINYSERVE_ENGINE_KERNELS_CONCATENATION_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/kernels/kernel.h"

namespace tinyserve {

inline constexpr int kConcatenationOutputTensor = 0;  // inputs: 0 .. n-1

struct ConcatenationData : OpData {
  int axis = 0;        // resolved, in [0, rank)
  int64_t outer = 1;   // product of the dimensions before the axis
  // Per input: bytes of one slice from the axis inward (dims[axis..] * element size).
  std::vector<size_t> slice_bytes;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareConcatenation(const PrepareContext& ctx);
void EvalConcatenationReference(const OpData& data, const void* const* inputs,
                                void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_CONCATENATION_H_
