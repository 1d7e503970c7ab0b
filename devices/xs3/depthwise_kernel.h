// XS3 depthwise convolution (DEPTHWISE_CONV_2D with depth multiplier 1, and
// AVERAGE_POOL_2D as a depthwise conv with unit weights): per output pixel
// and group of 16 channels, accumulate from zero with VLDC(16 input
// channels) + VLMACC(16 weights) per kernel tap, padding taps reading a
// vector of the input zero point, then the output transform (xs3.md §2.2).
#ifndef TINYSERVE_DEVICES_XS3_DEPTHWISE_KERNEL_H_
#define TINYSERVE_DEVICES_XS3_DEPTHWISE_KERNEL_H_

#include <optional>

#include "devices/xs3/conv_geometry.h"
#include "devices/xs3/exact_output_stage.h"
#include "devices/xs3/lowered_op.h"
#include "devices/xs3/output_stage.h"
#include "devices/xs3/weight_layout.h"

namespace tinyserve::xs3 {

class DepthwiseKernel : public LoweredOp {
 public:
  // `weights` are [filter_h * filter_w][channels] (TFLite's [1, H, W, C]).
  DepthwiseKernel(const ConvShape& shape, absl::Span<const int8_t> weights,
                  const OutputTransformParams& output_transform);
  // The exact lowering (see DenseConvKernel).
  DepthwiseKernel(const ConvShape& shape, absl::Span<const int8_t> weights,
                  ExactOutputProgram exact);

  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;
  size_t scratch_bytes() const override;
  int64_t work_units() const override;

 private:
  // Whether some output pixel's window leaves the image: xformer then emits
  // the DepthwisePaddedIndirect kernel, which copies every pixel's patch.
  bool padded() const;
  size_t patch_offset() const;

  ConvShape shape_;
  DepthwiseWeights weights_;
  std::optional<OutputTransformProgram> output_transform_;
  std::optional<ExactOutputProgram> exact_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_DEPTHWISE_KERNEL_H_
