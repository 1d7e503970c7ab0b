// XS3 dense convolution (CONV_2D, and FULLY_CONNECTED as a 1x1 conv): per
// output pixel, gather the patch (im2col, padding = input zero point) unless
// it is already contiguous, then per group of 16 output channels accumulate
// from zero with VLDC + 16 x VLMACCR per 32-byte chunk, and run the output
// transform (xs3.md §2.2, §2.3).
#ifndef TINYSERVE_DEVICES_XS3_DENSE_CONV_KERNEL_H_
#define TINYSERVE_DEVICES_XS3_DENSE_CONV_KERNEL_H_

#include <optional>

#include "devices/xs3/conv_geometry.h"
#include "devices/xs3/exact_output_stage.h"
#include "devices/xs3/lowered_op.h"
#include "devices/xs3/output_stage.h"
#include "devices/xs3/weight_layout.h"

namespace tinyserve::xs3 {

class DenseConvKernel : public LoweredOp {
 public:
  // `weights` are [out_c][filter_h * filter_w * in_c] (OHWI), reordered here.
  DenseConvKernel(const ConvShape& shape, absl::Span<const int8_t> weights,
                  const OutputTransformParams& output_transform, bool pad_3_to_4 = false);
  // The exact lowering: the ring is preloaded with the folded biases and the
  // exact output stage requantizes (and clamps to the fused activation).
  DenseConvKernel(const ConvShape& shape, absl::Span<const int8_t> weights,
                  ExactOutputProgram exact, bool pad_3_to_4 = false);

  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;
  size_t scratch_bytes() const override;
  int64_t work_units() const override;

  // True when each output pixel reads one contiguous run of the input (1x1
  // filter): no im2col copy.
  bool direct() const { return direct_; }
  bool exact() const { return exact_.has_value(); }

 private:
  // Gathers the patch of output pixel (b, oy, ox) into `patch`.
  void Im2col(KernelContext& ctx, const int8_t* input, int b, int oy, int ox,
              int8_t* patch) const;

  size_t exact_scratch_bytes() const;

  ConvShape shape_;
  int tap_c_;  // bytes per tap in the patch: in_c, or 4 after XC_pad_3_to_4
  DenseWeights weights_;
  std::optional<OutputTransformProgram> output_transform_;
  std::optional<ExactOutputProgram> exact_;
  bool direct_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_DENSE_CONV_KERNEL_H_
