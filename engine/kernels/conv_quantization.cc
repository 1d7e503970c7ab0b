#include "engine/kernels/conv_quantization.h"

#include <cmath>

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<ConvQuantization> PrepareConvQuantization(const PrepareContext& ctx,
                                                         int channels, int channel_dim,
                                                         Activation activation,
                                                         bool float_product) {
  TS_RETURN_IF_ERROR(ctx.CheckInputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckInputType(1, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckOutputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, /*is_output=*/false));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, /*is_output=*/true));
  TS_RETURN_IF_ERROR(ctx.CheckConstantInput(1));

  const TensorInfo& input = *ctx.input(0);
  const TensorInfo& filter = *ctx.input(1);
  const TensorInfo& output = ctx.output(0);
  const Quantization& fq = filter.quantization;
  if (fq.empty()) return ctx.InvalidInput(1, "weights are not quantized");
  if (fq.per_channel() &&
      (static_cast<int>(fq.scales.size()) != channels || fq.quantized_dimension != channel_dim)) {
    return ctx.InvalidInput(1, absl::StrCat(fq.scales.size(), " weight scales along dimension ",
                                            fq.quantized_dimension, ", expected ", channels,
                                            " along dimension ", channel_dim));
  }
  for (int64_t zp : fq.zero_points) {
    if (zp != 0) {
      return ctx.InvalidInput(1, absl::StrCat("weight zero point ", zp,
                                              " is not 0 (int8 weights must be symmetric)"));
    }
  }
  if (const TensorInfo* bias = ctx.input(2)) {
    TS_RETURN_IF_ERROR(ctx.CheckInputType(2, DataType::kInt32));
    TS_RETURN_IF_ERROR(ctx.CheckConstantInput(2));
    if (bias->num_elements() != channels) {
      return ctx.InvalidInput(2, absl::StrCat("has ", bias->num_elements(), " elements, expected ",
                                              channels, " (one per output channel)"));
    }
    // TFLite checks per-tensor bias scales against s_in * s_w.
    if (!fq.per_channel() && bias->quantization.scales.size() == 1) {
      const double product = static_cast<double>(input.quantization.scale()) * fq.scale();
      const double diff = std::abs(product - bias->quantization.scale());
      if (diff / output.quantization.scale() > 0.02) {
        return ctx.InvalidInput(2, absl::StrCat("bias scale ", bias->quantization.scale(),
                                                " does not match input scale * weight scale = ",
                                                product));
      }
    }
  }

  ConvQuantization q;
  q.input_zero_point = input.quantization.zero_point();
  q.output_zero_point = output.quantization.zero_point();
  q.multipliers.resize(channels);
  const double s_out = output.quantization.scale();
  for (int c = 0; c < channels; ++c) {
    const float s_w = fq.scales[fq.per_channel() ? c : 0];
    const double product = float_product
                               ? static_cast<double>(input.quantization.scale() * s_w)
                               : static_cast<double>(input.quantization.scale()) * s_w;
    const double real = product / s_out;
    // MultiplyByQuantizedMultiplier shifts left by at most 31 bits, so the
    // multiplier must be below 2^31 (real models are near or below 1); the
    // float32 product can even overflow to infinity.
    if (std::isfinite(real)) q.multipliers[c] = QuantizeMultiplier(real);
    if (!std::isfinite(real) || q.multipliers[c].shift > 31) {
      return ctx.InvalidInput(1, absl::StrCat("channel ", c, ": requantization multiplier ",
                                              "input scale * weight scale / output scale = ",
                                              real, " is not below 2^31"));
    }
  }
  q.activation = QuantizedActivationRange(activation, output.quantization.scale(),
                                          q.output_zero_point, DataType::kInt8);
  return q;
}

}  // namespace tinyserve
