// The shape of a conv-like xs3 kernel's work: NHWC input and output, a
// kernel window, strides, dilations and padding (in the engine's terms), plus
// how the output is post-processed.
#ifndef TINYSERVE_DEVICES_XS3_CONV_GEOMETRY_H_
#define TINYSERVE_DEVICES_XS3_CONV_GEOMETRY_H_

#include <cstdint>

#include "engine/kernels/window_geometry.h"
#include "engine/quant/activation_range.h"

namespace tinyserve::xs3 {

struct ConvShape {
  WindowGeometry geometry;
  int8_t input_zero_point = 0;  // the value spatial padding is filled with
  // A fused activation narrower than int8 is applied after the output
  // transform, as the separate lookup op xformer splits it into.
  bool clamp_output = false;
  ActivationRange output_range{-128, 127};
};

// The shape of a conv-like op with input zero point `input_zero_point` and
// fused activation `act` (clamped after the output transform when narrower
// than int8).
ConvShape MakeConvShape(const WindowGeometry& g, int32_t input_zero_point,
                        ActivationRange act);

// Units of thread-level work: output rows; when there are fewer rows than
// threads, rows x channel groups (xformer then splits channels).
int64_t ConvWorkUnits(const WindowGeometry& g, int channel_groups);

// Applies shape.output_range to `count` int8 outputs when clamp_output is set
// (a scalar lookup pass), counting its slots.
void ClampOutputs(const ConvShape& shape, int8_t* out, int64_t count, int64_t& scalar_slots);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_CONV_GEOMETRY_H_
