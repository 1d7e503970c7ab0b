// DEPTHWISE_CONV_2D, int8, per-channel weights, any depth multiplier.
#ifndef TINYSERVE_ENGINE_KERNELS_DEPTHWISE_CONV_H_
#define TINYSERVE_ENGINE_KERNELS_DEPTHWISE_CONV_H_

#include "engine/kernels/conv_quantization.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/window_geometry.h"

namespace tinyserve {

inline constexpr int kDepthwiseInputTensor = 0;
inline constexpr int kDepthwiseFilterTensor = 1;  // [1, H, W, C_in * multiplier]
inline constexpr int kDepthwiseBiasTensor = 2;    // optional

struct DepthwiseConvData : OpData {
  WindowGeometry geometry;
  int depth_multiplier = 1;  // output channel = input channel * multiplier + m
  ConvQuantization quant;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareDepthwiseConv(const PrepareContext& ctx);
void EvalDepthwiseConvReference(const OpData& data, const void* const* inputs,
                                void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_DEPTHWISE_CONV_H_
