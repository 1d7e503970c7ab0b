// FULLY_CONNECTED, int8 activations and weights, int32 bias. Input of any rank
// is flattened to [batches, depth]; keep_num_dims changes only the shape.
#ifndef TINYSERVE_ENGINE_KERNELS_FULLY_CONNECTED_H_
#define TINYSERVE_ENGINE_KERNELS_FULLY_CONNECTED_H_

#include "engine/kernels/conv_quantization.h"
#include "engine/kernels/kernel.h"

namespace tinyserve {

inline constexpr int kFullyConnectedInputTensor = 0;
inline constexpr int kFullyConnectedWeightsTensor = 1;  // [units, depth]
inline constexpr int kFullyConnectedBiasTensor = 2;     // optional

struct FullyConnectedData : OpData {
  int batches = 0;
  int units = 0;
  int depth = 0;
  ConvQuantization quant;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareFullyConnected(const PrepareContext& ctx);
void EvalFullyConnectedReference(const OpData& data, const void* const* inputs,
                                 void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_FULLY_CONNECTED_H_
