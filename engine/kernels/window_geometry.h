// Geometry of a 2-D sliding window over NHWC data (conv, depthwise conv,
// pooling): output size and padding exactly as TFLite computes them.
#ifndef TINYSERVE_ENGINE_KERNELS_WINDOW_GEOMETRY_H_
#define TINYSERVE_ENGINE_KERNELS_WINDOW_GEOMETRY_H_

#include "absl/status/statusor.h"
#include "engine/kernels/kernel.h"
#include "engine/op_options.h"

namespace tinyserve {

struct WindowGeometry {
  int batches = 0;
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int filter_h = 0, filter_w = 0;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  // Padding before the first row/column; SAME puts an odd extra pixel at the
  // bottom/right, which needs no offset because out-of-image taps are skipped.
  int pad_top = 0, pad_left = 0;
};

// Output extent along one axis: SAME -> ceil(in / s), VALID -> floor((in - eff) / s) + 1.
int64_t WindowOutputSize(Padding padding, int64_t in, int64_t filter, int64_t stride,
                         int64_t dilation);
// floor(max(0, (out - 1) * s + eff - in) / 2).
int WindowPaddingBefore(int64_t in, int64_t filter, int64_t stride, int64_t dilation,
                        int64_t out);

// Fills the geometry from the op's input 0 and output 0 (both NHWC) and checks
// that strides and dilations are positive and that the model's output height
// and width are the ones TFLite derives.
absl::StatusOr<WindowGeometry> ComputeWindowGeometry(const PrepareContext& ctx, Padding padding,
                                                     int filter_h, int filter_w, int stride_h,
                                                     int stride_w, int dilation_h,
                                                     int dilation_w);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_WINDOW_GEOMETRY_H_
