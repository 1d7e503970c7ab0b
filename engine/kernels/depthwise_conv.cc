#include "engine/kernels/depthwise_conv.h"

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareDepthwiseConv(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
  const auto& options = ctx.options<DepthwiseConvOptions>();
  TS_RETURN_IF_ERROR(ctx.CheckInputRank(kDepthwiseFilterTensor, 4));
  const TensorInfo& filter = *ctx.input(kDepthwiseFilterTensor);
  auto data = std::make_unique<DepthwiseConvData>();
  TS_ASSIGN_OR_RETURN(data->geometry,
                      ComputeWindowGeometry(ctx, options.padding, filter.shape[1], filter.shape[2],
                                            options.stride_h, options.stride_w,
                                            options.dilation_h, options.dilation_w));
  const WindowGeometry& g = data->geometry;
  if (filter.shape[0] != 1 || filter.shape[3] != g.out_c) {
    return ctx.InvalidInput(kDepthwiseFilterTensor,
                            absl::StrCat("expected shape [1, h, w, ", g.out_c, "]"));
  }
  if (g.out_c % g.in_c != 0) {
    return ctx.InvalidOutput(0, absl::StrCat(g.out_c, " output channels are not a multiple of ",
                                             g.in_c, " input channels"));
  }
  data->depth_multiplier = g.out_c / g.in_c;
  // Newer converters leave the option 0; when set it must agree with the shapes.
  if (options.depth_multiplier != 0 && options.depth_multiplier != data->depth_multiplier) {
    return ctx.Invalid(absl::StrCat("depth_multiplier option is ", options.depth_multiplier,
                                    " but the channels give ", data->depth_multiplier));
  }
  TS_ASSIGN_OR_RETURN(data->quant, PrepareConvQuantization(ctx, g.out_c, /*channel_dim=*/3,
                                                           options.activation,
                                                           /*float_product=*/false));
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalDepthwiseConvReference(const OpData& op_data, const void* const* inputs,
                                void* const* outputs) {
  const auto& data = static_cast<const DepthwiseConvData&>(op_data);
  const WindowGeometry& g = data.geometry;
  const auto* input = static_cast<const int8_t*>(inputs[kDepthwiseInputTensor]);
  const auto* filter = static_cast<const int8_t*>(inputs[kDepthwiseFilterTensor]);
  const auto* bias = static_cast<const int32_t*>(inputs[kDepthwiseBiasTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  const int32_t input_offset = -data.quant.input_zero_point;
  const int dm = data.depth_multiplier;

  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int in_y0 = oy * g.stride_h - g.pad_top;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int in_x0 = ox * g.stride_w - g.pad_left;
        for (int ic = 0; ic < g.in_c; ++ic) {
          for (int m = 0; m < dm; ++m) {
            const int oc = ic * dm + m;
            int64_t acc = 0;
            for (int ky = 0; ky < g.filter_h; ++ky) {
              const int iy = in_y0 + ky * g.dilation_h;
              if (iy < 0 || iy >= g.in_h) continue;
              for (int kx = 0; kx < g.filter_w; ++kx) {
                const int ix = in_x0 + kx * g.dilation_w;
                if (ix < 0 || ix >= g.in_w) continue;
                const int32_t x =
                    input[((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.in_c + ic];
                const int32_t w = filter[(static_cast<int64_t>(ky) * g.filter_w + kx) * g.out_c + oc];
                acc += w * (x + input_offset);
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
}

}  // namespace tinyserve
