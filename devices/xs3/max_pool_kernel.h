// XS3 MAX_POOL_2D (xformer's XC_maxpool2d, xs3.md §2.1-2.2): exact, a
// per-lane int8 max over the window's in-image taps, 32 channels per vector.
//
// The VPU has no max instruction, and an int8 VLSUB saturates, so max is not
// x + VPOS(y - x). But symmetric saturation keeps the sign, so per tap:
//   VLDR x; VLSUB max  -> S8(max - x), negative exactly where x > max
//   VDEPTH1            -> one bit per lane where x wins
//   VLDR x; VSTRPV max -> overwrite just those lanes with x
// A fused activation is two more such steps: the running max starts from a
// vector of the activation's minimum, and a last step lowers lanes above its
// maximum. No output transform: input and output share quantization.
#ifndef TINYSERVE_DEVICES_XS3_MAX_POOL_KERNEL_H_
#define TINYSERVE_DEVICES_XS3_MAX_POOL_KERNEL_H_

#include "devices/xs3/lowered_op.h"
#include "engine/kernels/window_geometry.h"
#include "engine/quant/activation_range.h"

namespace tinyserve::xs3 {

inline constexpr int kMaxPoolLanes = 32;  // int8 lanes per vector

class MaxPoolKernel : public LoweredOp {
 public:
  // The geometry's channel count must be a multiple of 4 (word-aligned pixels).
  MaxPoolKernel(const WindowGeometry& geometry, ActivationRange activation);

  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;
  size_t scratch_bytes() const override;
  int64_t work_units() const override;

 private:
  WindowGeometry geometry_;
  ActivationRange activation_;
  int blocks_;  // ceil(channels / 32)
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_MAX_POOL_KERNEL_H_
