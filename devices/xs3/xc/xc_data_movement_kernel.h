// XMOS's data-movement operators on xs3: XC_pad, XC_pad_3_to_4 /
// XC_pad_1_to_4, XC_slice and XC_no_op, byte for byte as lib_nn's host build
// moves them (engine/xcore_ops/xcore_data_movement.h), on one thread.
//
// Fills and word-aligned copies go through the VPU as lib_nn's
// vpu_memset_256 / vpu_memmove_word_aligned do (a 32-byte load and a masked
// store per chunk); a copy xcore-opt marked as not VPU-able (v = false), or
// whose addresses are not word-aligned, is a scalar memmove.
#ifndef TINYSERVE_DEVICES_XS3_XC_XC_DATA_MOVEMENT_KERNEL_H_
#define TINYSERVE_DEVICES_XS3_XC_XC_DATA_MOVEMENT_KERNEL_H_

#include "devices/xs3/lowered_op.h"
#include "devices/xs3/weight_layout.h"
#include "engine/xcore_ops/xcore_data_movement.h"

namespace tinyserve::xs3 {

class XcPadKernel : public LoweredOp {
 public:
  XcPadKernel(const XcPadData& data, int64_t input_bytes);
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;
  size_t scratch_bytes() const override;

 private:
  XcPadData data_;
  int64_t input_bytes_;
  Vector32 pattern_;  // pad_word repeated over a vector
};

class XcPadTo4Kernel : public LoweredOp {
 public:
  explicit XcPadTo4Kernel(const XcPadTo4Data& data) : data_(data) {}
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;

 private:
  XcPadTo4Data data_;
};

class XcSliceKernel : public LoweredOp {
 public:
  XcSliceKernel(const XcSliceData& data, int64_t input_bytes)
      : data_(data), input_bytes_(input_bytes) {}
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;
  size_t scratch_bytes() const override;

 private:
  XcSliceData data_;
  int64_t input_bytes_;
};

// The chip does nothing (input and output share an arena offset in the file's
// plan); the emulation copies because our arena gives the output its own
// buffer, and counts no work for it.
class XcNoOpKernel : public LoweredOp {
 public:
  explicit XcNoOpKernel(int64_t bytes) : bytes_(bytes) {}
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;

 private:
  int64_t bytes_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XC_XC_DATA_MOVEMENT_KERNEL_H_
