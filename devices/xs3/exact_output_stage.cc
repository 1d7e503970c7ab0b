#include "devices/xs3/exact_output_stage.h"

#include <cassert>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "devices/xs3/cycle_model.h"

namespace tinyserve::xs3 {
namespace {

Vector32 Int32Splat(int32_t v) {
  Vector32 out;
  for (int i = 0; i < 8; ++i) std::memcpy(out.bytes + 4 * i, &v, 4);
  return out;
}

void SetLane32(Vector32& v, int lane, int32_t x) { std::memcpy(v.bytes + 4 * lane, &x, 4); }
void SetLane16(Vector32& v, int lane, int16_t x) { std::memcpy(v.bytes + 2 * lane, &x, 2); }

// Stage 0 preload K0 = D0 * 2^15 - 2^14 with D0 = -2^14 - 2^16: VLSAT(15) of
// K0 + l * Ml is then floor(l * Ml / 2^15) + D0 = c0 + D0, which lies in
// [-2^16 - 2^14, -2^14 - 2] (c0 <= 2^16 - 2): always negative, so after
// VLSAT (vD = 0) the 40-bit accumulator reads it as c0 + D0 + 2^32.
constexpr int64_t kD0 = -(int64_t{1} << 14) - (int64_t{1} << 16);
constexpr int64_t kK0 = kD0 * (int64_t{1} << 15) - (int64_t{1} << 14);
// Stage 1: VLSAT(15) of c0 + D0 + 2^32 + S (S = l * Mh + 2 h Ml) is
// floor((c0 + S - 2^16 + 2^32) / 2^15) = c1 + kOff, kOff = 2^17 - 2; with
// c1 >= -2^16 + 2 (S > -2^31 + 2^16) it is always positive, so the accumulator
// reads it back as is.
constexpr int64_t kOff = (int64_t{1} << 17) - 2;

const Vector32 kK0Low = Int32Splat(static_cast<int32_t>(static_cast<uint32_t>(
    static_cast<uint64_t>(kK0))));
const Vector32 kK0High = Int32Splat(static_cast<int32_t>(kK0 >> 32));  // -1: sign extension
const Vector32 kShift15 = Int32Splat(15);
const Vector32 kOne30 = Int32Splat(int32_t{1} << 30);  // 1.0 in Q30: rhu(2^30 * m, 30) = m
const Vector32 kZero = {};

// Byte masks over the 8 int32 lanes: low halves (bytes 4j, 4j+1) and high halves.
constexpr uint32_t kLowHalves = 0x33333333u;
constexpr uint32_t kHighHalves = 0xCCCCCCCCu;
// Output bytes 2j (even channels) and 2j + 1 (odd channels) of 16.
constexpr uint32_t kEvenBytes = 0x5555u;
constexpr uint32_t kOddBytes = 0xAAAAu;

uint32_t LaneMask(int lanes) { return lanes >= 32 ? 0xFFFFFFFFu : (1u << lanes) - 1; }

void FillHalf(ExactHalfConstants& h, int lane, const ExactChannel* c, int32_t zp,
              ActivationRange range) {
  int32_t m = 0, e = 0;
  if (c != nullptr) {
    m = c->multiplier.multiplier;
    e = -c->multiplier.shift;
  }
  SetLane32(h.ml15, lane, (m & 0x7FFF) << 15);
  SetLane32(h.mh15, lane, (m >> 15) << 15);
  const int32_t t = e >= 1 ? 1 : 0;
  SetLane32(h.sign_weight, lane, t ? std::numeric_limits<int32_t>::min() : 0);
  SetLane32(h.offset, lane, static_cast<int32_t>(t - kOff));
  SetLane32(h.final_shift, lane, 1 + e);
  SetLane32(h.zp_minus_lo, lane, zp - range.min);
  SetLane32(h.hi_minus_lo, lane, range.max - range.min);
  SetLane32(h.hi, lane, range.max);
}

}  // namespace

std::string ExactStageUnsupportedReason(absl::Span<const ExactChannel> channels) {
  for (size_t c = 0; c < channels.size(); ++c) {
    const QuantizedMultiplier& q = channels[c].multiplier;
    if (q.shift > 0) {
      return absl::StrCat("channel ", c, ": requantization multiplier >= 1 (shift ", q.shift,
                          ") needs TFLite's wrapping left shift, which has no exact VPU sequence");
    }
    if (q.shift < -31 || (q.multiplier != 0 && q.multiplier < (int32_t{1} << 30)) ||
        q.multiplier < 0) {
      return absl::StrCat("channel ", c, ": multiplier ", q.multiplier, " shift ", q.shift,
                          " is not a normalized TFLite multiplier");
    }
  }
  return "";
}

ExactOutputProgram::ExactOutputProgram(absl::Span<const ExactChannel> channels,
                                       int32_t output_zero_point, ActivationRange range) {
  assert(ExactStageUnsupportedReason(channels).empty());
  const int n = static_cast<int>(channels.size());
  const int groups = CeilDiv(n, kChannelsPerGroup);
  bias_hi_.resize(groups);
  bias_lo_.resize(groups);
  halves_.resize(static_cast<size_t>(groups) * 2);
  for (int g = 0; g < groups; ++g) {
    for (int lane = 0; lane < kChannelsPerGroup; ++lane) {
      const int c = g * kChannelsPerGroup + lane;
      const ExactChannel* ch = c < n ? &channels[c] : nullptr;
      const uint32_t b = ch ? static_cast<uint32_t>(ch->bias_folded) : 0u;
      SetLane16(bias_hi_[g], lane, static_cast<int16_t>(b >> 16));
      SetLane16(bias_lo_[g], lane, static_cast<int16_t>(b & 0xFFFF));
      // Ring lane 2j -> even half lane j; ring lane 2j + 1 -> odd half lane j.
      FillHalf(halves_[2 * g + lane % 2], lane / 2, ch, output_zero_point, range);
    }
  }
}

void ClearExactStageScratch(KernelContext& ctx, ExactStageScratch& s) {
  s = ExactStageScratch{};
  // Six limb vectors zeroed with VSTR of a cleared vR: VCLRDR + 6 stores.
  ctx.scalar_slots += 7 * cost::kVpuInstruction;
}

void PreloadExactAccumulators(Vpu& vpu, const ExactOutputProgram& program, int group) {
  vpu.Vldd(program.bias_hi(group).bytes);
  vpu.Vldr(program.bias_lo(group).bytes);
}

void BeginGroupAccumulation(Vpu& vpu, const std::optional<ExactOutputProgram>& exact, int group) {
  vpu.Vsetc(VpuMode::kInt8);
  if (exact) {
    PreloadExactAccumulators(vpu, *exact, group);
  } else {
    vpu.Vclrdr();
  }
}

void ExactRequantizeHalf(Vpu& vpu, const ExactHalfConstants& c, const Vector32& h16,
                         const Vector32& l, ExactStageScratch& s) {
  // l * 2^15 (< 2^31: a left shift, no saturation, no rounding).
  vpu.Vlashr(l.bytes, -15);
  vpu.Vstr(s.l15.bytes);
  // [x < 0] = [h < 0]: VLASHR by the lane width or more gives -1 or 0 by
  // sign (floor or not), and 0 - that is [x < 0].
  vpu.Vlashr(h16.bytes, 32);
  vpu.Vlsub(kZero.bytes);
  vpu.Vstr(s.negative.bytes);
  // Stage 0: acc = K0 + l * Ml; c0 + D0 = floor(acc / 2^15) via rhu.
  vpu.Vldr(kK0Low.bytes);
  vpu.Vldd(kK0High.bytes);
  vpu.Vldc(s.l15.bytes);
  vpu.Vlmacc(c.ml15.bytes);  // rhu(l 2^15 * Ml 2^15, 30) = l * Ml, exact
  vpu.Vlsat(kShift15.bytes);
  // Stage 1: acc = c0 + D0 + 2^32 + l * Mh + 2 h Ml -> c1 + kOff.
  vpu.Vlmacc(c.mh15.bytes);  // vC = l 2^15: l * Mh
  vpu.Vldc(h16.bytes);
  vpu.Vlmacc(c.ml15.bytes);  // rhu(h 2^16 * Ml 2^15, 30) = 2 h Ml
  vpu.Vlsat(kShift15.bytes);
  // Stage 2: acc = c1 + kOff + 2 h Mh - 2 [x < 0] T + (T - kOff) = F + t with
  // T = [e >= 1]; y = rhu(acc, 1 + e).
  vpu.Vlmacc(c.mh15.bytes);  // vC = h 2^16: 2 h Mh
  vpu.Vldc(s.negative.bytes);
  vpu.Vlmacc(c.sign_weight.bytes);  // rhu([x < 0] * -2^31 T, 30) = -2 [x < 0] T
  vpu.Vldc(kOne30.bytes);
  vpu.Vlmacc(c.offset.bytes);  // rhu(2^30 (T - kOff), 30) = T - kOff
  vpu.Vlsat(c.final_shift.bytes);
}

namespace {

// vR = y (int32 mode): stores clamp(y + zp, lo, hi) as the bytes selected by
// `byte_mask` at `out`: even channels at bytes 2j (VDEPTH16 of v * 2^16 puts v
// in halfword j), odd ones at bytes 2j + 1 (VDEPTH16 of v * 2^24 puts v * 2^8
// in halfword j; v = -128 saturates to -(2^31 - 1), halfword -32767 = 0x8001,
// whose high byte is still -128).
void ClampAndStore(Vpu& vpu, const ExactHalfConstants& c, ExactStageScratch& s, int8_t* out,
                   bool odd, uint32_t byte_mask) {
  // max(y + zp - lo, 0) + lo, then min(., hi) = hi - max(hi - ., 0); VLADD and
  // VLSUB saturate, which keeps the side of the clamp.
  vpu.Vladd(c.zp_minus_lo.bytes);
  vpu.Vpos();
  vpu.Vlsub(c.hi_minus_lo.bytes);
  vpu.Vpos();
  vpu.Vlsub(c.hi.bytes);
  vpu.Vstr(s.value.bytes);
  vpu.Vlashr(s.value.bytes, odd ? -24 : -16);
  vpu.Vdepth16();
  vpu.Vstrpv(out, (odd ? kOddBytes : kEvenBytes) & byte_mask);
}

}  // namespace

void RunExactOutputStage(KernelContext& ctx, const ExactOutputProgram& program, int group,
                         ExactStageScratch& s, int8_t* out, int lanes) {
  Vpu& vpu = *ctx.vpu;
  // A call with ~20 memory operands whose addresses are formed from three
  // base registers (constants, scratch, output).
  ctx.scalar_slots += cost::kFunctionCall + cost::kExactStageScalar;
  // Split the ring (int8 mode; after rotation r, ring lane (k + r) mod 16
  // holds channel k; int32 lane w covers ring lanes 2w (low half) and 2w + 1):
  //   even channel 2j: l from rotation 0, h from rotation 1 -> int32 lane j;
  //   odd channel 2j+1: l from rotation 1, h from rotation 2 -> int32 lane
  //   j + 1 (mod 8), stored 4 bytes low so it is read back as lane j.
  vpu.Vstrpv(s.l_even.bytes, kLowHalves);  // rotation 0
  vpu.Vlmaccr(kZero.bytes);                // rotation 1 (adds a zero dot product)
  uint8_t* l_odd = s.l_odd[1].bytes;
  uint8_t* h_odd = s.h_odd[1].bytes;
  vpu.Vstrpv(l_odd - 4, kLowHalves);
  vpu.Vstrpv(l_odd + 28, 0x3u);  // int32 lane 0 (channel 15) to lane 7
  vpu.Vstd(s.ring_hi1.bytes);
  vpu.Vlmaccr(kZero.bytes);  // rotation 2
  vpu.Vstd(s.ring_hi2.bytes);
  vpu.Vldr(s.ring_hi1.bytes);
  vpu.Vstrpv(s.h_even.bytes, kHighHalves);
  vpu.Vldr(s.ring_hi2.bytes);
  vpu.Vstrpv(h_odd - 4, kHighHalves);
  vpu.Vstrpv(h_odd + 28, 0xCu);

  vpu.Vsetc(VpuMode::kInt32);
  const uint32_t byte_mask = LaneMask(lanes);
  ExactRequantizeHalf(vpu, program.even(group), s.h_even, s.l_even, s);
  ClampAndStore(vpu, program.even(group), s, out, /*odd=*/false, byte_mask);
  ExactRequantizeHalf(vpu, program.odd(group), s.h_odd[1], s.l_odd[1], s);
  ClampAndStore(vpu, program.odd(group), s, out, /*odd=*/true, byte_mask);
}

void RunGroupOutputStage(KernelContext& ctx, const std::optional<ExactOutputProgram>& exact,
                         const std::optional<OutputTransformProgram>& transform, int group,
                         ExactStageScratch& exact_scratch, OutputStageScratch& stage, int8_t* out,
                         int lanes) {
  if (exact) {
    RunExactOutputStage(ctx, *exact, group, exact_scratch, out, lanes);
    return;
  }
  SaveAccumulators(*ctx.vpu, stage);
  RunOutputTransform(ctx, *transform, group, stage, out, lanes);
}

}  // namespace tinyserve::xs3
