// XS3 element-wise ADD / SUB of two same-shape int8 tensors (xformer's
// XC_add, xs3.md §2.3): acc32 = bias + x1 * m1 + x2 * m2 with int16-mode
// VLMACC into accumulators preloaded with the bias, then
// out = clamp(rhu(acc32, shift), -128, 127).
#ifndef TINYSERVE_DEVICES_XS3_ADD_KERNEL_H_
#define TINYSERVE_DEVICES_XS3_ADD_KERNEL_H_

#include <cstdint>
#include <optional>

#include "devices/xs3/lowered_op.h"
#include "devices/xs3/weight_layout.h"
#include "engine/quant/activation_range.h"

namespace tinyserve::xs3 {

struct AddParams {
  int16_t m1 = 0, m2 = 0;
  int32_t bias = 0;
  int shift = 0;
};

// r1 = s1 / s_out, r2 = +-s2 / s_out (minus for SUB); shift =
// floor(log2(2^14 / max(|r1|, |r2|))); m = round(r * 2^shift); bias =
// round((zp_out - zp1 * r1 - zp2 * r2) * 2^shift), rounding half away from
// zero. nullopt when the shift falls outside what VLSAT can apply.
std::optional<AddParams> DeriveAddParams(double s1, int32_t zp1, double s2, int32_t zp2,
                                         double s_out, int32_t zp_out, bool subtract);

class AddKernel : public LoweredOp {
 public:
  AddKernel(int64_t elements, const AddParams& params, std::optional<ActivationRange> clamp);

  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;
  size_t scratch_bytes() const override;
  int64_t work_units() const override;

 private:
  // Sign-extends 16 int8 lanes at `x` into int16 lanes at `out` on the VPU:
  // int8 VLMACC against ones, then a 16-bit VLSAT by 0.
  void Widen(Vpu& vpu, const uint8_t* x, Vector32& out) const;

  int64_t elements_;
  std::optional<ActivationRange> clamp_;
  Vector32 m1_, m2_, bias_high_, bias_low_, shifts_, ones_, zero_shifts_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_ADD_KERNEL_H_
