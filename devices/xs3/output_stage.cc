#include "devices/xs3/output_stage.h"

#include <cstring>

#include "devices/xs3/cycle_model.h"

namespace tinyserve::xs3 {
namespace {

Vector32 Int16Splat(int16_t v) {
  Vector32 out;
  for (int i = 0; i < 16; ++i) std::memcpy(out.bytes + 2 * i, &v, 2);
  return out;
}

Vector32 Int8Splat(int8_t v) {
  Vector32 out;
  std::memset(out.bytes, static_cast<uint8_t>(v), sizeof(out.bytes));
  return out;
}

// Constant vectors in the kernel's read-only data.
const Vector32 kZeroShifts = Int16Splat(0);
// Adding 0x7F80 makes exactly the lanes with rhu(v, 8) <= -128 negative.
const Vector32 kMinus128Threshold = Int16Splat(0x7F80);
const Vector32 kMinus128Bytes = Int8Splat(-128);

uint32_t LaneMask(int lanes) { return lanes >= 32 ? 0xFFFFFFFFu : (1u << lanes) - 1; }

}  // namespace

OutputTransformProgram::OutputTransformProgram(const OutputTransformParams& params)
    : kind_(params.kind),
      final_shr_(params.final_shr),
      group_initial_shr_(params.initial_shr.empty() ? 0 : params.initial_shr[0]) {
  const int channels = static_cast<int>(params.multiplier.size());
  const int groups = CeilDiv(channels, kChannelsPerGroup);
  vectors_.resize(static_cast<size_t>(groups) * 3);
  for (int c = 0; c < channels; ++c) {
    const int g = c / kChannelsPerGroup, lane = c % kChannelsPerGroup;
    // Channelwise shifts are per lane; the group kernel uses group_initial_shr_.
    const int16_t shift = kind_ == OutputTransformKind::kChannelwise ? params.initial_shr[c] : 0;
    std::memcpy(vectors_[g * 3].bytes + 2 * lane, &shift, 2);
    std::memcpy(vectors_[g * 3 + 1].bytes + 2 * lane, &params.multiplier[c], 2);
    std::memcpy(vectors_[g * 3 + 2].bytes + 2 * lane, &params.bias[c], 2);
  }
  if (kind_ == OutputTransformKind::kGroup && group_initial_shr_ > 0) {
    for (int g = 0; g < groups; ++g) vectors_[g * 3] = Int16Splat(group_initial_shr_);
  }
}

void SaveAccumulators(Vpu& vpu, OutputStageScratch& s) {
  vpu.Vstr(s.ring_vr.bytes);
  vpu.Vstd(s.ring_vd.bytes);
}

void RunOutputTransform(KernelContext& ctx, const OutputTransformProgram& program, int group,
                        OutputStageScratch& s, int8_t* out, int lanes) {
  Vpu& vpu = *ctx.vpu;
  ctx.scalar_slots += cost::kFunctionCall + cost::kOutputTransformScalar;
  vpu.Vsetc(VpuMode::kInt16);
  vpu.Vldr(s.ring_vr.bytes);
  vpu.Vldd(s.ring_vd.bytes);
  if (program.kind() == OutputTransformKind::kChannelwise || program.group_initial_shr() > 0) {
    vpu.Vlsat(program.shifts(group)->bytes);  // rhu right shift to 16 bits
  } else {
    // A left shift: saturate to 16 bits first, then VLASHR by a negative amount.
    vpu.Vlsat(kZeroShifts.bytes);
    vpu.Vstr(s.shifted.bytes);
    vpu.Vlashr(s.shifted.bytes, program.group_initial_shr());
  }
  vpu.Vlmul(program.multipliers(group)->bytes);
  vpu.Vladd(program.biases(group)->bytes);
  vpu.Vstr(s.shifted.bytes);
  vpu.Vlashr(s.shifted.bytes, program.final_shr());
  StoreInt8WithMinus128(ctx, s, out, lanes);
}

void StoreInt8WithMinus128(KernelContext& ctx, OutputStageScratch& s, int8_t* out, int lanes) {
  Vpu& vpu = *ctx.vpu;
  vpu.Vstr(s.value.bytes);
  const int64_t saturations_before = vpu.counters().saturations16;
  vpu.Vladd(kMinus128Threshold.bytes);
  ctx.comparison_saturations += vpu.counters().saturations16 - saturations_before;
  vpu.Vdepth1();
  vpu.Vstr(s.mask.bytes);
  uint32_t negative_lanes;
  std::memcpy(&negative_lanes, s.mask.bytes, 4);  // a scalar LDW, counted in the call's scalar cost
  vpu.Vldr(s.value.bytes);
  vpu.Vdepth8();
  const uint32_t lane_mask = LaneMask(lanes);
  vpu.Vstrpv(out, lane_mask);
  // Unconditional (an empty mask writes nothing), so the cost is data-independent.
  vpu.Vldr(kMinus128Bytes.bytes);
  vpu.Vstrpv(out, negative_lanes & lane_mask);
}

}  // namespace tinyserve::xs3
