// XMOS's data-movement operators on xs3: XC_pad, XC_pad_3_to_4 /
// XC_pad_1_to_4, XC_slice and XC_no_op, byte for byte as lib_nn's host build
// moves them (engine/xcore_ops/xcore_data_movement.h), on one thread.
//
// The bytes are moved directly (lib_nn's vpu_memset_256 and
// vpu_memmove_word_aligned move the same bytes as a memset/memmove); the
// issue slots are counted from the op's plan with the instruction counts of
// those routines and of lib_tflite_micro's Eval loops (cycle_model.h).
#ifndef TINYSERVE_DEVICES_XS3_XC_XC_DATA_MOVEMENT_KERNEL_H_
#define TINYSERVE_DEVICES_XS3_XC_XC_DATA_MOVEMENT_KERNEL_H_

#include "devices/xs3/lowered_op.h"
#include "engine/xcore_ops/xcore_data_movement.h"

namespace tinyserve::xs3 {

class XcPadKernel : public LoweredOp {
 public:
  explicit XcPadKernel(const XcPadData& data);
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;

 private:
  XcPadData data_;
  uint8_t pattern_[4];  // pad_word's bytes in memory order
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
  explicit XcSliceKernel(const XcSliceData& data) : data_(data) {}
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;

 private:
  XcSliceData data_;
};

// The chip does nothing (input and output share an arena offset in the file's
// plan); the emulation copies because our arena gives the output its own
// buffer, and counts no work for it.
class XcNoOpKernel : public LoweredOp {
 public:
  explicit XcNoOpKernel(const XcNoOpData& data) : bytes_(data.bytes) {}
  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;

 private:
  int64_t bytes_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XC_XC_DATA_MOVEMENT_KERNEL_H_
