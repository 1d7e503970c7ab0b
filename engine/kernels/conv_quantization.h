// Quantization checks and requantization parameters shared by the kernels that
// accumulate int8 x int8 products into int32 (CONV_2D, DEPTHWISE_CONV_2D,
// FULLY_CONNECTED).
#ifndef TINYSERVE_ENGINE_KERNELS_CONV_QUANTIZATION_H_
#define TINYSERVE_ENGINE_KERNELS_CONV_QUANTIZATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "engine/kernels/kernel.h"
#include "engine/quant/activation_range.h"
#include "engine/quant/requantize.h"

namespace tinyserve {

struct ConvQuantization {
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  // One per output channel (per-tensor weights are broadcast).
  std::vector<QuantizedMultiplier> multipliers;
  ActivationRange activation;
};

// Inputs: 0 = int8 activations, 1 = int8 weights (per-tensor, or per-channel
// along `channel_dim` with `channels` scales), optional 2 = int32 bias with
// `channels` elements. Weight zero points must be 0 (TFLite Micro ignores them).
// Multipliers are s_in * s_w[c] / s_out in double, except per-tensor FULLY_CONNECTED,
// where TFLite multiplies s_in * s_w in float32 first (`float_product`).
absl::StatusOr<ConvQuantization> PrepareConvQuantization(const PrepareContext& ctx,
                                                         int channels, int channel_dim,
                                                         Activation activation,
                                                         bool float_product);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_CONV_QUANTIZATION_H_
