#include "engine/kernels/conv.h"

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareConv(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
  const auto& options = ctx.options<ConvOptions>();
  TS_RETURN_IF_ERROR(ctx.CheckInputRank(kConvFilterTensor, 4));
  const TensorInfo& filter = *ctx.input(kConvFilterTensor);
  auto data = std::make_unique<ConvData>();
  TS_ASSIGN_OR_RETURN(data->geometry,
                      ComputeWindowGeometry(ctx, options.padding, filter.shape[1], filter.shape[2],
                                            options.stride_h, options.stride_w,
                                            options.dilation_h, options.dilation_w));
  const WindowGeometry& g = data->geometry;
  data->filter_c = filter.shape[3];
  if (filter.shape[0] != g.out_c) {
    return ctx.InvalidInput(kConvFilterTensor,
                            absl::StrCat("has ", filter.shape[0], " output channels, output has ",
                                         g.out_c));
  }
  if (g.in_c % data->filter_c != 0) {
    return ctx.InvalidInput(kConvFilterTensor,
                            absl::StrCat(g.in_c, " input channels are not a multiple of the "
                                         "filter's ", data->filter_c));
  }
  const int groups = g.in_c / data->filter_c;
  if (g.out_c % groups != 0) {
    return ctx.InvalidOutput(0, absl::StrCat(g.out_c, " output channels do not split into ",
                                             groups, " groups"));
  }
  data->out_c_per_group = g.out_c / groups;
  TS_ASSIGN_OR_RETURN(data->quant, PrepareConvQuantization(ctx, g.out_c, /*channel_dim=*/0,
                                                           options.activation,
                                                           /*float_product=*/false));
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalConvReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& data = static_cast<const ConvData&>(op_data);
  const WindowGeometry& g = data.geometry;
  const auto* input = static_cast<const int8_t*>(inputs[kConvInputTensor]);
  const auto* filter = static_cast<const int8_t*>(inputs[kConvFilterTensor]);
  const auto* bias = static_cast<const int32_t*>(inputs[kConvBiasTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  const int32_t input_offset = -data.quant.input_zero_point;
  const int fc = data.filter_c;

  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int in_y0 = oy * g.stride_h - g.pad_top;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int in_x0 = ox * g.stride_w - g.pad_left;
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int group = oc / data.out_c_per_group;
          // Accumulate in 64 bits and wrap to 32 at the end: identical to TFLite's
          // int32 accumulator wherever it does not overflow, and defined where it does.
          int64_t acc = 0;
          for (int ky = 0; ky < g.filter_h; ++ky) {
            const int iy = in_y0 + ky * g.dilation_h;
            if (iy < 0 || iy >= g.in_h) continue;  // taps outside the image are skipped
            for (int kx = 0; kx < g.filter_w; ++kx) {
              const int ix = in_x0 + kx * g.dilation_w;
              if (ix < 0 || ix >= g.in_w) continue;
              const int8_t* in_px =
                  input + ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.in_c +
                  group * fc;
              const int8_t* w = filter + ((static_cast<int64_t>(oc) * g.filter_h + ky) *
                                              g.filter_w + kx) * fc;
              for (int ic = 0; ic < fc; ++ic) {
                acc += static_cast<int32_t>(w[ic]) * (in_px[ic] + input_offset);
              }
            }
          }
          if (bias != nullptr) acc += bias[oc];
          int32_t v = MultiplyByQuantizedMultiplier(static_cast<int32_t>(acc),
                                                    data.quant.multipliers[oc]);
          v += data.quant.output_zero_point;
          *output++ = static_cast<int8_t>(Clamp(v, data.quant.activation));
        }
      }
    }
  }
}

}  // namespace tinyserve
