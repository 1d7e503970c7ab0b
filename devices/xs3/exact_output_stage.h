// The "exact" output stage of the xs3 conv-like kernels: TFLite's
// requantization, bit for bit, as a sequence of emulated VPU instructions.
//
// TFLite computes, per output channel c with (M, shift) from QuantizeMultiplier:
//   acc = sum (x - zp_in) * w + bias[c]                       (int32)
//   out = clamp(MultiplyByQuantizedMultiplier(acc, M, shift) + zp_out, lo, hi)
// The VPU accumulates sum x * w with padding = zp_in, so the ring is
// preloaded with bias_folded[c] = bias[c] - zp_in * sum(w[c]) (VLDD/VLDR
// instead of VCLRDR) and holds acc itself after the MAC loop.
//
// The arithmetic (shift <= 0, e = -shift in [0, 31], M = 0 or in [2^30, 2^31)):
//   SRDHM(x, M) = rhu(x * M, 31) exactly (its nudge rounds ties up, and the
//     saturating case needs M = INT32_MIN), and
//   RDBPOT(s, e) = rhu(s - [s < 0], e) for e >= 1 (ties away from zero);
//   [s < 0] may be replaced by [x < 0] (they differ only where s = 0, and
//   rhu(-1, e) = rhu(0, e) = 0). Nesting the floors:
//     y = floor((F + t + 2^e) / 2^(1+e)),  F = floor(x * M / 2^30),
//     t = (e >= 1) ? 1 - 2 [x < 0] : 0,
//   one VLSAT (rhu by 1 + e) of a 40-bit accumulator holding F + t.
// F needs the 62-bit product x * M. The VPU multiplies exactly only when the
// product is a multiple of 2^30 (rhu(c * m, 30)), so F is built from 16-bit
// limbs with two carry stages: x = h * 2^16 + l (h signed, l in [0, 2^16):
// exactly the ring's vD and vR halves), M = Mh * 2^15 + Ml:
//   c0 = floor(l * Ml / 2^15)
//   c1 = floor((l * Mh + 2 h Ml + c0) / 2^15)
//   F  = 2 h Mh + c1
// Every limb product is made exact by its operand scaling (l * 2^15 times
// Ml * 2^15, h * 2^16 times Ml * 2^15 or Mh * 2^15), every floor is a VLSAT
// (rhu) of an accumulator preloaded with the offset that turns rhu into floor,
// and the carries pass from one VLSAT to the next through the accumulator
// itself (VLSAT leaves vD = 0, so a carry kept of one sign by a known offset
// reads back as a known constant plus the carry).
//
// Lane plumbing: the int8 ring (16 lanes, high halves in vD, low in vR) is
// split into two int32-mode vectors of 8 lanes: even channels and odd
// channels, with h * 2^16 and l placed into zeroed buffers by byte-masked
// VSTRPV stores and two zero-dot VLMACCRs that rotate the ring by one lane.
// After the requantization each half is clamped in int32 and stored as bytes
// 2j (even) and 2j + 1 (odd) by VDEPTH16 and byte-masked VSTRPV. No VLASHR
// right shift is used, so the result does not depend on VLASHR's rounding.
#ifndef TINYSERVE_DEVICES_XS3_EXACT_OUTPUT_STAGE_H_
#define TINYSERVE_DEVICES_XS3_EXACT_OUTPUT_STAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "devices/xs3/lowered_op.h"
#include "devices/xs3/output_stage.h"
#include "devices/xs3/weight_layout.h"
#include "engine/quant/activation_range.h"
#include "engine/quant/requantize.h"

namespace tinyserve::xs3 {

// One output channel of the exact stage.
struct ExactChannel {
  int32_t bias_folded = 0;  // bias - zp_in * sum(w): the accumulator preload
  QuantizedMultiplier multiplier;
};

// Why `channels` cannot run on the exact stage ("" when they can): a left
// shift (shift > 0) or a multiplier outside {0} U [2^30, 2^31).
std::string ExactStageUnsupportedReason(absl::Span<const ExactChannel> channels);

// Per 8-lane half (even or odd channels of a group), the constant vectors the
// sequence reads.
struct ExactHalfConstants {
  Vector32 ml15;         // Ml * 2^15
  Vector32 mh15;         // Mh * 2^15
  Vector32 sign_weight;  // -2^31 [e >= 1]: times [x < 0] adds -2 [x < 0] [e >= 1]
  Vector32 offset;       // [e >= 1] - (the stage-1 carry offset): times 2^30
  Vector32 final_shift;  // 1 + e
  Vector32 zp_minus_lo;  // zp_out - lo
  Vector32 hi_minus_lo;  // hi - lo
  Vector32 hi;           // hi
};

class ExactOutputProgram {
 public:
  // Channels must pass ExactStageUnsupportedReason. [lo, hi] is the fused
  // activation range (within [-128, 127]).
  ExactOutputProgram(absl::Span<const ExactChannel> channels, int32_t output_zero_point,
                     ActivationRange range);

  int groups() const { return static_cast<int>(bias_hi_.size()); }
  // Ring preload for a group in int8 mode: vD = high halves, vR = low halves.
  const Vector32& bias_hi(int group) const { return bias_hi_[group]; }
  const Vector32& bias_lo(int group) const { return bias_lo_[group]; }
  const ExactHalfConstants& even(int group) const { return halves_[2 * group]; }
  const ExactHalfConstants& odd(int group) const { return halves_[2 * group + 1]; }

 private:
  std::vector<Vector32> bias_hi_, bias_lo_;
  std::vector<ExactHalfConstants> halves_;
};

// Scratch of the exact stage. The limb buffers are written only through byte
// masks, so their other halves must stay zero: call ClearExactStageScratch
// once before the first group (it counts its stores).
struct ExactStageScratch {
  Vector32 l_even, h_even;  // l and h * 2^16 of the even channels
  Vector32 l_odd[2], h_odd[2];  // the odd channels, read from element [1]
  Vector32 ring_hi1, ring_hi2;  // vD after one and two rotations
  Vector32 l15, negative, value;
};
void ClearExactStageScratch(KernelContext& ctx, ExactStageScratch& s);

// Preloads the ring with the group's folded biases (VLDD, VLDR), in place of
// VCLRDR before the MAC loop. The VPU must be in int8 mode.
void PreloadExactAccumulators(Vpu& vpu, const ExactOutputProgram& program, int group);

// After the MAC loop (int8 mode, ring = the 16 accumulators x of the group):
// stores clamp(MBQM(x, M, shift) + zp, lo, hi) for the first `lanes`
// channels at `out`. Leaves the VPU in int32 mode.
void RunExactOutputStage(KernelContext& ctx, const ExactOutputProgram& program, int group,
                         ExactStageScratch& s, int8_t* out, int lanes);

// A conv-like kernel's group with whichever output stage it was built with
// (`exact` when set, else `transform`), around its own MAC loop. Before: int8
// mode, and the ring preloaded (exact) or cleared (VCLRDR).
void BeginGroupAccumulation(Vpu& vpu, const std::optional<ExactOutputProgram>& exact, int group);
// After: the group's first `lanes` int8 outputs stored at `out`.
void RunGroupOutputStage(KernelContext& ctx, const std::optional<ExactOutputProgram>& exact,
                         const std::optional<OutputTransformProgram>& transform, int group,
                         ExactStageScratch& exact_scratch, OutputStageScratch& stage, int8_t* out,
                         int lanes);

// The requantization core on one half, for tests: vectors `h16` (h * 2^16)
// and `l` (l in [0, 2^16)) in int32 lanes; leaves y = MBQM(h * 2^16 + l, M,
// -e) in vR (int32 mode). `s` provides l15 and negative.
void ExactRequantizeHalf(Vpu& vpu, const ExactHalfConstants& c, const Vector32& h16,
                         const Vector32& l, ExactStageScratch& s);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_EXACT_OUTPUT_STAGE_H_
