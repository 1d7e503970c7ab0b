#include "devices/xs3/add_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "devices/xs3/cycle_model.h"
#include "devices/xs3/output_stage.h"
#include "devices/xs3/vector_memory.h"

namespace tinyserve::xs3 {
namespace {

struct Scratch {
  OutputStageScratch stage;
  Vector32 spill1, spill2;
  Vector32 x1, x2;  // widened inputs
};

void SplatInt16(Vector32& v, int16_t x) {
  for (int i = 0; i < 16; ++i) std::memcpy(v.bytes + 2 * i, &x, 2);
}

}  // namespace

std::optional<AddParams> DeriveAddParams(double s1, int32_t zp1, double s2, int32_t zp2,
                                         double s_out, int32_t zp_out, bool subtract) {
  const double r1 = s1 / s_out;
  const double r2 = (subtract ? -s2 : s2) / s_out;
  const double largest = std::max(std::abs(r1), std::abs(r2));
  if (!(largest > 0.0) || !std::isfinite(largest)) return std::nullopt;
  const int shift = static_cast<int>(std::floor(std::log2(16384.0 / largest)));
  // VLSAT shifts are 0..~30 here; the 32-bit bias must fit too.
  if (shift < 0 || shift > 30) return std::nullopt;
  const double bias = std::round((zp_out - zp1 * r1 - zp2 * r2) * std::ldexp(1.0, shift));
  if (std::abs(bias) > 2147483647.0) return std::nullopt;
  AddParams p;
  p.m1 = static_cast<int16_t>(std::round(r1 * std::ldexp(1.0, shift)));
  p.m2 = static_cast<int16_t>(std::round(r2 * std::ldexp(1.0, shift)));
  p.bias = static_cast<int32_t>(bias);
  p.shift = shift;
  return p;
}

AddKernel::AddKernel(int64_t elements, const AddParams& params,
                     std::optional<ActivationRange> clamp)
    : elements_(elements), clamp_(clamp) {
  SplatInt16(m1_, params.m1);
  SplatInt16(m2_, params.m2);
  // The accumulator preload: high halves in vD, low halves in vR.
  SplatInt16(bias_high_, static_cast<int16_t>(params.bias >> 16));
  SplatInt16(bias_low_, static_cast<int16_t>(static_cast<uint16_t>(params.bias & 0xFFFF)));
  SplatInt16(shifts_, static_cast<int16_t>(params.shift));
  std::memset(ones_.bytes, 1, sizeof(ones_.bytes));
}

size_t AddKernel::scratch_bytes() const { return sizeof(Scratch); }

int64_t AddKernel::work_units() const { return (elements_ + 15) / 16; }

void AddKernel::Widen(Vpu& vpu, const uint8_t* x, Vector32& out) const {
  vpu.Vsetc(VpuMode::kInt8);
  vpu.Vclrdr();
  vpu.Vldc(ones_.bytes);
  vpu.Vlmacc(x);
  vpu.Vsetc(VpuMode::kInt16);
  vpu.Vlsat(zero_shifts_.bytes);
  vpu.Vstr(out.bytes);
}

void AddKernel::Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const {
  Vpu& vpu = *ctx.vpu;
  auto& s = *reinterpret_cast<Scratch*>(ctx.scratch);
  const auto* x1 = static_cast<const int8_t*>(inputs[0]);
  const auto* x2 = static_cast<const int8_t*>(inputs[1]);
  auto* out = static_cast<int8_t*>(outputs[0]);
  // XC_add's Eval (what both an xformed XC_add and our lowering of ADD run).
  ctx.scalar_slots += cost::kElementwiseEval + cost::kFunctionCall;
  for (int64_t i = 0; i < elements_; i += 16) {
    ctx.scalar_slots += cost::kElementwiseStep;
    Widen(vpu, LoadableVector(x1 + i, x1 + elements_, s.spill1), s.x1);
    Widen(vpu, LoadableVector(x2 + i, x2 + elements_, s.spill2), s.x2);
    vpu.Vldd(bias_high_.bytes);
    vpu.Vldr(bias_low_.bytes);
    vpu.Vldc(m1_.bytes);
    vpu.Vlmacc(s.x1.bytes);
    vpu.Vldc(m2_.bytes);
    vpu.Vlmacc(s.x2.bytes);
    vpu.Vlsat(shifts_.bytes);  // rhu(acc32, shift), saturated to 16 bits
    // To int8 with -128 reachable: scale by 2^8 (saturating) and let the
    // -128-aware store round it back exactly.
    vpu.Vstr(s.stage.shifted.bytes);
    vpu.Vlashr(s.stage.shifted.bytes, -8);
    StoreInt8WithMinus128(ctx, s.stage, out + i,
                          static_cast<int>(std::min<int64_t>(16, elements_ - i)));
  }
  if (clamp_) {
    for (int64_t i = 0; i < elements_; ++i) out[i] = static_cast<int8_t>(Clamp(out[i], *clamp_));
    ctx.scalar_slots += cost::kFunctionCall + elements_ * cost::kLookupElement;
  }
}

}  // namespace tinyserve::xs3
