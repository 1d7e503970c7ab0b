// Output-transform parameters of the xs3 conv-like kernels: how the raw int32
// accumulator (sum of x_q * w_q, no zero points, no bias) becomes int8 through
// the VPU's 16-bit stages, derived from FLOAT scales as XMOS's xformer does
// (xs3.md §2.3), independently written from that description.
//
//   t   = sat16(acc * 2^-initial_shr)                 (VLSAT, or VLSAT 0 + VLASHR left)
//   t   = sat16(rhu(t * mul16, 14))                   (VLMUL, Q14)
//   t   = sat16(t + bias16)                           (VLADD)
//   v   = VLASHR(t, final_shr)                        (floor, or left shift)
//   out = clamp(rhu(v, 8), -128, 127)                 (VDEPTH8 + the -128 fix)
//
// with mul16 = rint(mult * 2^M), t carrying B = A + M - 14 fractional bits
// (A = -initial_shr), and final_shr = B - 8.
#ifndef TINYSERVE_DEVICES_XS3_OUTPUT_TRANSFORM_H_
#define TINYSERVE_DEVICES_XS3_OUTPUT_TRANSFORM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace tinyserve::xs3 {

// xformer's default --xcore-conv-err-threshold.
inline constexpr double kOutputTransformErrorThreshold = 0.25;

// One output channel's float map from raw accumulator a to output: y = a * multiplier + bias,
// and the accumulators its weights can produce at all.
struct ChannelAffine {
  float multiplier = 0.0f;  // (float)(s_in * s_w / s_out)
  double bias = 0.0;        // (bias_i32 - zp_in * sum(w)) * multiplier + zp_out
  int64_t accu_min = 0;     // sum over weights of min(w * 127, w * -128)
  int64_t accu_max = 0;
};

// `weights` are one channel's int8 weights (any order); `bias` is the int32 bias or 0.
ChannelAffine MakeChannelAffine(absl::Span<const int8_t> weights, float input_scale,
                                float weight_scale, float output_scale, int32_t bias,
                                int32_t input_zero_point, int32_t output_zero_point);

enum class OutputTransformKind { kGroup, kChannelwise };
const char* OutputTransformKindName(OutputTransformKind kind);

struct OutputTransformParams {
  OutputTransformKind kind = OutputTransformKind::kGroup;
  // Per channel. Group: initial_shr is the same for all (and may be negative:
  // a left shift by VLASHR after VLSAT 0); channelwise: each >= 0 (VLSAT only).
  std::vector<int16_t> initial_shr;
  std::vector<int16_t> multiplier;  // mul16, Q(M)
  std::vector<int16_t> bias;        // bias16, scaled by 2^B
  int final_shr = 0;
  // Estimated error in output LSBs: group 2^-(final_shr + 7); channelwise
  // the mean |error| of the 16-bit result over sampled reachable accumulators.
  double estimated_error = 0.0;
  bool feasible = true;  // false: no 16-bit parameters exist at all
};

// One A and M for all channels (xformer's group quantizer).
OutputTransformParams QuantizeGroupOutputTransform(absl::Span<const ChannelAffine> channels);
// Per-channel A <= 0 and M, one common B; no -1 bias tweak.
OutputTransformParams QuantizeChannelwiseOutputTransform(
    absl::Span<const ChannelAffine> channels);

// Group first; channelwise if the group error exceeds the threshold; if that
// fails too, `chosen` is false and the op stays on the reference kernel.
struct OutputTransformChoice {
  bool chosen = false;
  OutputTransformParams params;  // the chosen one, or the last one tried
  std::string reason;            // why, for the compile report
};
OutputTransformChoice ChooseOutputTransform(absl::Span<const ChannelAffine> channels,
                                            double threshold = kOutputTransformErrorThreshold);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_OUTPUT_TRANSFORM_H_
