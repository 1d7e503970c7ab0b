// CONV_2D, int8 activations and weights (per-channel or per-tensor), int32 bias.
#ifndef TINYSERVE_ENGINE_KERNELS_CONV_H_
#define TINYSERVE_ENGINE_KERNELS_CONV_H_

#include "engine/kernels/conv_quantization.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/window_geometry.h"

namespace tinyserve {

inline constexpr int kConvInputTensor = 0;
inline constexpr int kConvFilterTensor = 1;  // OHWI
inline constexpr int kConvBiasTensor = 2;    // optional

struct ConvData : OpData {
  WindowGeometry geometry;
  int filter_c = 0;            // input channels per group
  int out_c_per_group = 0;
  ConvQuantization quant;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareConv(const PrepareContext& ctx);
void EvalConvReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_CONV_H_
