#include "engine/kernels/window_geometry.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <tuple>

namespace tinyserve {

int64_t WindowOutputSize(Padding padding, int64_t in, int64_t filter, int64_t stride,
                         int64_t dilation) {
  const int64_t effective = (filter - 1) * dilation + 1;
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  return in >= effective ? (in - effective) / stride + 1 : 0;
}

int WindowPaddingBefore(int64_t in, int64_t filter, int64_t stride, int64_t dilation,
                        int64_t out) {
  const int64_t effective = (filter - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>(0, (out - 1) * stride + effective - in);
  return static_cast<int>(total / 2);
}

absl::StatusOr<WindowGeometry> ComputeWindowGeometry(const PrepareContext& ctx, Padding padding,
                                                     int filter_h, int filter_w, int stride_h,
                                                     int stride_w, int dilation_h,
                                                     int dilation_w) {
  if (stride_h < 1 || stride_w < 1) {
    return ctx.Invalid(absl::StrCat("strides must be positive (got h=", stride_h,
                                    ", w=", stride_w, ")"));
  }
  if (dilation_h < 1 || dilation_w < 1) {
    return ctx.Invalid(absl::StrCat("dilations must be positive (got h=", dilation_h,
                                    ", w=", dilation_w, ")"));
  }
  if (filter_h < 1 || filter_w < 1) {
    return ctx.Invalid(absl::StrCat("window must be at least 1x1 (got ", filter_h, "x",
                                    filter_w, ")"));
  }
  if (padding != Padding::kSame && padding != Padding::kValid) {
    return ctx.Invalid(absl::StrCat("unknown padding ", static_cast<int>(padding)));
  }
  const TensorInfo& in = *ctx.input(0);
  const TensorInfo& out = ctx.output(0);
  if (in.rank() != 4) return ctx.InvalidInput(0, "expected an NHWC tensor of rank 4");
  if (out.rank() != 4) return ctx.InvalidOutput(0, "expected an NHWC tensor of rank 4");
  WindowGeometry g;
  g.batches = in.shape[0];
  g.in_h = in.shape[1];
  g.in_w = in.shape[2];
  g.in_c = in.shape[3];
  g.out_h = out.shape[1];
  g.out_w = out.shape[2];
  g.out_c = out.shape[3];
  g.filter_h = filter_h;
  g.filter_w = filter_w;
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  g.dilation_h = dilation_h;
  g.dilation_w = dilation_w;
  if (out.shape[0] != g.batches) {
    return ctx.InvalidOutput(0, absl::StrCat("batch ", out.shape[0], " != input batch ", g.batches));
  }
  const int64_t expect_h = WindowOutputSize(padding, g.in_h, filter_h, stride_h, dilation_h);
  const int64_t expect_w = WindowOutputSize(padding, g.in_w, filter_w, stride_w, dilation_w);
  if (expect_h != g.out_h || expect_w != g.out_w) {
    return ctx.InvalidOutput(0, absl::StrCat("output is ", g.out_h, "x", g.out_w, " but ",
                                             padding == Padding::kSame ? "SAME" : "VALID",
                                             " padding gives ", expect_h, "x", expect_w));
  }
  // Kernels compute tap coordinates in int: from -pad_top up to
  // (out - 1) * stride + (filter - 1) * dilation - pad_top. Both ends, and the
  // padding itself, fit when the window's span over the whole output does.
  // Every real model is far below this; a hostile stride or dilation is not.
  for (const auto& [axis, out_size, stride, filter, dilation] :
       {std::tuple{"height", g.out_h, stride_h, filter_h, dilation_h},
        std::tuple{"width", g.out_w, stride_w, filter_w, dilation_w}}) {
    const int64_t span = (int64_t{out_size} - 1) * stride + (int64_t{filter} - 1) * dilation + 1;
    if (span > std::numeric_limits<int32_t>::max()) {
      return ctx.Invalid(absl::StrCat("window ", axis, " ", filter, " with dilation ", dilation,
                                      " and stride ", stride, " spans ", span,
                                      " positions over ", out_size,
                                      " outputs, beyond the int32 coordinate range"));
    }
  }
  g.pad_top = WindowPaddingBefore(g.in_h, filter_h, stride_h, dilation_h, g.out_h);
  g.pad_left = WindowPaddingBefore(g.in_w, filter_w, stride_w, dilation_w, g.out_w);
  return g;
}

}  // namespace tinyserve
