// The VPU instruction sequences that turn 16 accumulators into int8 outputs:
// the output transform of conv-like kernels (group or channelwise, xs3.md
// §2.3 step 5) and the int8 store that can produce -128 although the VPU's
// own saturation stops at -127.
#ifndef TINYSERVE_DEVICES_XS3_OUTPUT_STAGE_H_
#define TINYSERVE_DEVICES_XS3_OUTPUT_STAGE_H_

#include <cstdint>
#include <vector>

#include "devices/xs3/lowered_op.h"
#include "devices/xs3/output_transform.h"
#include "devices/xs3/weight_layout.h"

namespace tinyserve::xs3 {

// Scratch vectors an output stage works in (part of a kernel's scratch).
struct OutputStageScratch {
  Vector32 ring_vr, ring_vd;  // the saved accumulator ring
  Vector32 shifted;           // VLASHR's memory operand
  Vector32 value;             // the 16-bit result, kept across the -128 mask
  Vector32 mask;              // VDEPTH1's word
};

// Output-transform parameters laid out as the kernel loads them: per group of
// 16 channels, [16 x initial shift][16 x mul16][16 x bias16], int16 lanes.
class OutputTransformProgram {
 public:
  explicit OutputTransformProgram(const OutputTransformParams& params);

  OutputTransformKind kind() const { return kind_; }
  int final_shr() const { return final_shr_; }
  int group_initial_shr() const { return group_initial_shr_; }
  const Vector32* shifts(int group) const { return &vectors_[group * 3]; }
  const Vector32* multipliers(int group) const { return &vectors_[group * 3 + 1]; }
  const Vector32* biases(int group) const { return &vectors_[group * 3 + 2]; }

 private:
  OutputTransformKind kind_;
  int final_shr_;
  int group_initial_shr_;
  std::vector<Vector32> vectors_;
};

// Saves the 16 accumulators (vR, vD) to `s.ring_*`: the end of an aggregation.
void SaveAccumulators(Vpu& vpu, OutputStageScratch& s);

// Runs the output transform of `group` on the accumulators saved in `s` and
// stores the first `lanes` channels as int8 at `out`. Leaves the VPU in int16 mode.
void RunOutputTransform(KernelContext& ctx, const OutputTransformProgram& program, int group,
                        OutputStageScratch& s, int8_t* out, int lanes);

// vR holds 16 int16 values v (int16 mode); stores clamp(rhu(v, 8), -128, 127)
// for the first `lanes` of them at `out`: VDEPTH8 for all lanes, then -128
// through a VSTRPV mask for the lanes where sat16(v + 0x7F80) < 0.
void StoreInt8WithMinus128(KernelContext& ctx, OutputStageScratch& s, int8_t* out, int lanes);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_OUTPUT_STAGE_H_
