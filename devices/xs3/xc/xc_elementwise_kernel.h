// XMOS's element-wise operators on xs3, bit-exact with lib_nn's host build
// (engine/xcore_ops/xcore_elementwise.h):
// - XC_add: lib_nn's add_elementwise through the VPU (AddKernel: 16-bit
//   VLMACC into bias-preloaded accumulators, rounding shift, -128 reachable),
//   on one thread as the runtime runs it;
// - XC_lookup: a byte table lookup per element, split over the model's threads;
// - XC_softmax: lib_nn's float softmax, split over the model's threads: each
//   thread sums table[x + 128] over its range in float, the sums are added in
//   thread order (s0 + s1 + s2 + s3 + s4), inv = 1 / sum * 256, and each output
//   is clamp(roundf(table[x + 128] * inv) - 128, -128, 127); a NaN gives 0 as
//   the host's float-to-int conversion does. Float, never double, in that
//   order: the thread split changes the sum's rounding, so it is part of the
//   result.
#ifndef TINYSERVE_DEVICES_XS3_XC_XC_ELEMENTWISE_KERNEL_H_
#define TINYSERVE_DEVICES_XS3_XC_XC_ELEMENTWISE_KERNEL_H_

#include "devices/xs3/add_kernel.h"
#include "devices/xs3/lowered_op.h"
#include "engine/xcore_ops/xcore_elementwise.h"

namespace tinyserve::xs3 {

class XcAddKernel : public LoweredOp {
 public:
  explicit XcAddKernel(const XcAddData& data);
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;
  size_t scratch_bytes() const override { return add_.scratch_bytes(); }

 private:
  AddKernel add_;
};

class XcLookupKernel : public LoweredOp {
 public:
  XcLookupKernel(const XcLookupData& data, int threads) : data_(data), threads_(threads) {}
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;

 private:
  XcLookupData data_;
  int threads_;
};

class XcSoftmaxKernel : public LoweredOp {
 public:
  XcSoftmaxKernel(const XcSoftmaxData& data, int threads) : data_(data), threads_(threads) {}
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;

 private:
  XcSoftmaxData data_;
  int threads_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XC_XC_ELEMENTWISE_KERNEL_H_
