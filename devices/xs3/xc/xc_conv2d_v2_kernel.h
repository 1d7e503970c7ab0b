// XC_conv2d_v2 on the emulated VPU: lib_nn's filter pipeline (memcpy,
// aggregate, output transform) per output pixel of each thread region, with
// the instruction sequences of lib_nn's C model (the one XMOS's x86 host
// interpreter runs), so that the result matches it bit for bit when the VPU
// uses lib_nn's VLASHR rounding (VlashrRounding::kLibNn2024).
//
// Memory safety: every vector load goes through a bounds check against its
// tensor (a load that would leave it, or is misaligned, is served from a
// zero-padded copy: lanes past the data are never stored), and every output
// store is staged and copied inside the output. The op's prepare validated
// the parameters so that valid files never need the fallback.
#ifndef TINYSERVE_DEVICES_XS3_XC_XC_CONV2D_V2_KERNEL_H_
#define TINYSERVE_DEVICES_XS3_XC_XC_CONV2D_V2_KERNEL_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "devices/xs3/lowered_op.h"
#include "devices/xs3/weight_layout.h"
#include "engine/xcore_ops/xcore_conv2d_v2.h"

namespace tinyserve::xs3 {

class XcConv2dV2Kernel : public LoweredOp {
 public:
  // `weights` and `multipliers_and_biases` are the op's constant inputs 1 and
  // 2 (copied here into aligned, zero-padded storage).
  XcConv2dV2Kernel(const XcConv2dV2Data& data, absl::Span<const uint8_t> weights,
                   absl::Span<const uint8_t> multipliers_and_biases);

  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override;
  size_t scratch_bytes() const override;
  // The file fixes the thread split: one unit per region.
  int64_t work_units() const override { return static_cast<int64_t>(data_.regions.size()); }

 private:
  struct Scratch;
  // A read-only byte range the kernel loads vectors from.
  struct Memory {
    const uint8_t* base;
    int64_t size;
  };

  void RunRegion(KernelContext& ctx, const XcRegionParams& region, Memory input,
                 uint8_t* output) const;
  // The memcpy step for pixel (h, w): the patch's offset in `input` (deref),
  // or the im2col copy into the scratch patch.
  void Im2colValid(KernelContext& ctx, Memory input, int64_t x, uint8_t* patch, Scratch& s) const;
  void AggregateDirect(KernelContext& ctx, Memory input, int64_t x, int group, Scratch& s) const;
  void AggregateGeneric(KernelContext& ctx, const uint8_t* patch, int group, Scratch& s) const;
  void AggregateDepthwise(KernelContext& ctx, Memory input, int64_t x, int group,
                          Scratch& s) const;
  // Accumulators saved in s → `count` int8 outputs at output[y].
  void OutputTransform(KernelContext& ctx, int group, int count, Scratch& s, uint8_t* output,
                       int64_t y) const;

  // Scalar slots lib_nn spends per output pixel on the memcpy step's call
  // and per output group on the aggregate's call (cycle_model.h, as our
  // lowering's conv kernels charge them).
  int64_t MemcpySlots() const;
  int64_t AggregateCallSlots() const;
  int ChannelsInGroup(int group) const;
  size_t patch_bytes() const;

  XcConv2dV2Data data_;
  std::vector<Vector32> weights_;  // zero-padded by two vectors
  int64_t weights_size_;
  // Per output group: the VLSAT shifts (channelwise), VLMUL and VLADD operands
  // as lib_nn's C model reads them (16 lanes from each pointer).
  std::vector<Vector32> shifts_, multipliers_, biases_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XC_XC_CONV2D_V2_KERNEL_H_
