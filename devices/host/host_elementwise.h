// The `host` device's kernels for ADD (int8, with broadcasting), AVERAGE_POOL_2D
// and MAX_POOL_2D (int8): bit-exact with the reference kernels, prepared once
// at compile (no allocation in Eval), with per-ISA inner loops.
//
// ADD is TFLite's integer arithmetic done lane by lane: each input is
// (x - zp) << 20, SaturatingRoundingDoublingHighMul'd by its multiplier and
// RoundingDivideByPOT'd; the sum is requantized the same way, the output zero
// point added and the activation clamp applied. The SIMD paths compute every
// 32x32 -> 64-bit product in full (vpmuldq on even and odd lanes), so they
// match the scalar definitions in engine/quant/requantize.h exactly (see
// host_elementwise_avx2.cc for the argument).
#ifndef TINYSERVE_DEVICES_HOST_HOST_ELEMENTWISE_H_
#define TINYSERVE_DEVICES_HOST_HOST_ELEMENTWISE_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "devices/host/host_kernels.h"
#include "engine/compiled_model.h"
#include "engine/kernels/kernel.h"
#include "engine/model.h"
#include "engine/quant/requantize.h"

namespace tinyserve {

// The host kernel for an ADD / AVERAGE_POOL_2D / MAX_POOL_2D operator, or {}
// (use the reference kernel) for every other op and every case not handled.
// `isa` picks the inner loops by its name ("portable", "avx2", "avx512*").
BoundKernel SelectHostElementwiseKernel(const Model& model, const Operator& op,
                                        const host::IsaKernels* isa,
                                        std::vector<std::unique_ptr<const OpData>>& owned);

namespace host {

// One input of an ADD brought to the common scale:
//   RoundingDivideByPOT(SRDHM((x + offset) << left_shift, multiplier), right_shift).
struct AddInputStage {
  int32_t offset = 0;      // minus the zero point, in [-127, 128]
  int32_t multiplier = 0;  // in [0, 2^31)
  int left_shift = 0;      // ADD's 20 plus the multiplier's own left shift, <= 23
                           // (so (x + offset) << left_shift never wraps)
  int right_shift = 0;     // [0, 31]
  // Set by FinishAddParams when the stage equals (x << linear_shift) + intercept
  // for every int8 x (checked on all 256), linear_shift in [0, 30], or 32 for
  // a constant stage (vpsllvd gives 0 for counts above 31): e.g. the input
  // with the larger scale, whose multiplier is exactly 1/2, is (x + offset) << 19.
  bool linear = false;
  int linear_shift = 0;
  int32_t intercept = 0;
};

// out = clamp(RoundingDivideByPOT(SRDHM(raw << out_left_shift, out_multiplier),
//             out_right_shift) + out_zero_point), raw = stage0(x0) + stage1(x1).
struct AddParams {
  AddInputStage in[2];
  int32_t out_multiplier = 0;  // in [0, 2^31)
  int out_left_shift = 0;      // [0, 31]
  int out_right_shift = 0;     // [0, 31]
  int32_t out_zero_point = 0;
  int32_t act_min = -128, act_max = 127;  // within the int8 range
  // stage_k(x) for x = -128..127 (index x + 128), for the scalar paths.
  int32_t scaled[2][256] = {};
};

// Fills p.scaled and the stages' linear forms from the stage parameters.
void FinishAddParams(AddParams& p);

// out[i] = ADD(x0[i], x1[i]), i < n.
using AddRowFn = void (*)(const AddParams& p, const int8_t* x0, const int8_t* x1, int8_t* out,
                          int64_t n);
// out[i] = ADD(x0[i], <input 1 = a value whose stage-1 result is scaled1>), i < n.
using AddRowScalarFn = void (*)(const AddParams& p, const int8_t* x0, int32_t scaled1,
                                int8_t* out, int64_t n);
// One output pixel of a pool: the window is ny rows (row_stride bytes apart) of
// nx pixels (`channels` bytes apart) starting at `in`, ny, nx >= 1.
//   max: out[c] = clamp(max of the window)
//   avg: out[c] = clamp(sign(s) * floor((|s| + count / 2) / count)), s = window sum,
//        count = ny * nx <= 256, magic = ceil(2^31 / count).
using MaxPoolFn = void (*)(const int8_t* in, int64_t row_stride, int ny, int nx, int channels,
                           int32_t act_min, int32_t act_max, int8_t* out);
using AvgPoolFn = void (*)(const int8_t* in, int64_t row_stride, int ny, int nx, int channels,
                           uint32_t magic, int32_t act_min, int32_t act_max, int8_t* out);

inline constexpr int kMaxAvgPoolTaps = 256;  // int16 window sums stay exact

struct ElementwiseKernels {
  const char* name;
  AddRowFn add_row;
  AddRowScalarFn add_row_scalar;
  MaxPoolFn max_pool;
  AvgPoolFn avg_pool;
};

const ElementwiseKernels& PortableElementwiseKernels();
#if defined(TINYSERVE_HOST_X86)
const ElementwiseKernels& Avx2ElementwiseKernels();
const ElementwiseKernels& Avx512ElementwiseKernels();
#endif

// The table for a host ISA name ("portable", "avx2", "avx512bw", "avx512vnni").
const ElementwiseKernels& ElementwiseKernelsFor(const char* isa_name);

// Scalar ADD of one element from its two scaled inputs: the reference's output
// stage, which every path must match. The additions wrap like the SIMD lanes'
// (the reference's do not, but Prepare only accepts ops where they cannot
// overflow).
inline int8_t AddOne(const AddParams& p, int32_t scaled0, int32_t scaled1) {
  const auto raw =
      static_cast<int32_t>(static_cast<uint32_t>(scaled0) + static_cast<uint32_t>(scaled1));
  const int32_t q = RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(raw, p.out_left_shift),
                                        p.out_multiplier),
      p.out_right_shift);
  const auto v =
      static_cast<int32_t>(static_cast<uint32_t>(q) + static_cast<uint32_t>(p.out_zero_point));
  return static_cast<int8_t>(std::min(std::max(v, p.act_min), p.act_max));
}

}  // namespace host
}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_HOST_HOST_ELEMENTWISE_H_
