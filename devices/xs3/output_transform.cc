#include "devices/xs3/output_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tinyserve::xs3 {
namespace {

constexpr double kInt16Max = 32767.0;
// The int8 output range widened by half an LSB: accumulators beyond it give
// a saturated output whatever the 16-bit stages do (they saturate the same way).
constexpr double kOutLow = -128.5;
constexpr double kOutHigh = 127.5;

// A channel with its accumulator range narrowed to the accumulators whose
// output is not clamped; `constant` when no such accumulator exists.
struct Narrowed {
  double multiplier = 0.0;
  double bias = 0.0;
  double lo = 0.0, hi = 0.0;  // narrowed accumulator range
  bool constant = false;
  double constant_value = 0.0;  // the output when constant
};

Narrowed Narrow(const ChannelAffine& c) {
  Narrowed n;
  n.multiplier = c.multiplier;
  n.bias = c.bias;
  double lo = static_cast<double>(c.accu_min), hi = static_cast<double>(c.accu_max);
  if (n.multiplier > 0.0) {
    lo = std::max(lo, std::ceil((kOutLow - n.bias) / n.multiplier));
    hi = std::min(hi, std::floor((kOutHigh - n.bias) / n.multiplier));
  }
  const bool in_range = n.bias >= kOutLow && n.bias <= kOutHigh;
  if (lo > hi || n.multiplier <= 0.0 || (n.multiplier == 0.0 && !in_range)) {
    n.constant = true;
    const double y = static_cast<double>(c.accu_max) * n.multiplier + n.bias;
    n.constant_value = std::clamp(std::nearbyint(y), -128.0, 127.0);
    return n;
  }
  n.lo = lo;
  n.hi = hi;
  return n;
}

double MaxAbsAccumulator(const Narrowed& n) { return std::max(std::abs(n.lo), std::abs(n.hi)); }

// Largest A with max_abs * 2^A (rounded) still in int16.
int FitExponent(double max_abs) {
  if (max_abs <= 0.0) return 0;
  int e = static_cast<int>(std::floor(std::log2(kInt16Max / max_abs)));
  while (std::nearbyint(std::ldexp(max_abs, e)) > kInt16Max) --e;
  while (std::nearbyint(std::ldexp(max_abs, e + 1)) <= kInt16Max) ++e;
  return e;
}

// Whether t = y * 2^B stays in int16 at every stage for every channel (the
// product, the bias and their sum), with a little room for the roundings.
bool FitsWithFractionBits(absl::Span<const Narrowed> channels, int b) {
  for (const Narrowed& n : channels) {
    if (n.constant) {
      if (std::abs(std::ldexp(n.constant_value, b)) + 1.0 > kInt16Max) return false;
      continue;
    }
    const double product = std::max(std::abs(n.lo), std::abs(n.hi)) * n.multiplier;
    if (std::ldexp(product, b) + 1.0 > kInt16Max) return false;
    if (std::abs(std::ldexp(n.bias, b)) + 1.0 > kInt16Max) return false;
    const double y_lo = n.lo * n.multiplier + n.bias, y_hi = n.hi * n.multiplier + n.bias;
    if (std::ldexp(std::max(std::abs(y_lo), std::abs(y_hi)), b) + 2.0 > kInt16Max) return false;
  }
  return true;
}

int16_t ClampToInt16(double v) {
  return static_cast<int16_t>(std::clamp(v, -kInt16Max, kInt16Max));
}

std::vector<Narrowed> NarrowAll(absl::Span<const ChannelAffine> channels) {
  std::vector<Narrowed> out;
  out.reserve(channels.size());
  for (const ChannelAffine& c : channels) out.push_back(Narrow(c));
  return out;
}

// --- xformer's scalar model of the output-transform stages, used only to
// measure a channelwise transform the way xcore-opt does (its saturation
// helper clamps to [-2^16, 2^16 - 1]; we keep that so decisions match).
int64_t ModelSat(int64_t x) { return std::clamp<int64_t>(x, -65536, 65535); }
// A rounding shift right by s; a saturating shift left for s <= 0.
int64_t ModelShr(int64_t x, int s) {
  if (s <= 0) return ModelSat(x * (int64_t{1} << std::min(-s, 32)));
  return ModelSat((x + (int64_t{1} << (s - 1))) >> s);
}

// xformer's measure of a channelwise output transform (lib_nn's
// OutputTransformFnInt8::get_quant_error, high-precision path), which decides
// whether xcore-opt keeps an op on the VPU: the mean |int8 output - exact
// output rounded| over the channel's non-saturating accumulators. xformer
// walks every accumulator; past kMaxSamples we take evenly spaced ones.
double ChannelMeanAbsOutputError(const Narrowed& n, int initial_shr, int16_t mul, int16_t bias,
                                 int final_shr) {
  constexpr int64_t kMaxSamples = 1 << 16;
  const int64_t lo = static_cast<int64_t>(n.lo), hi = static_cast<int64_t>(n.hi);
  const int64_t step = std::max<int64_t>(1, (hi - lo + kMaxSamples) / kMaxSamples);
  int64_t error_sum = 0, count = 0;
  for (int64_t a = lo; a <= hi; a += step) {
    int64_t t = ModelShr(a, initial_shr);                             // VLSAT
    t = ModelSat((t * mul + (int64_t{1} << 13)) >> 14);               // VLMUL
    t = ModelSat(t + bias);                                           // VLADD
    t = ModelShr(t, final_shr);                                       // VLASHR
    t = std::clamp<int64_t>(ModelShr(t, 8), -256, 255);               // VDEPTH8
    const double y = static_cast<double>(a) * n.multiplier + n.bias;
    const int64_t expected = std::clamp<int64_t>(static_cast<int64_t>(std::round(y)), -128, 127);
    error_sum += std::abs(expected - t);
    ++count;
  }
  return count == 0 ? 0.0 : static_cast<double>(error_sum) / static_cast<double>(count);
}

}  // namespace

ChannelAffine MakeChannelAffine(absl::Span<const int8_t> weights, float input_scale,
                                float weight_scale, float output_scale, int32_t bias,
                                int32_t input_zero_point, int32_t output_zero_point) {
  ChannelAffine c;
  c.multiplier = static_cast<float>(static_cast<double>(input_scale) * weight_scale /
                                    static_cast<double>(output_scale));
  int64_t sum = 0;
  for (int8_t w : weights) {
    sum += w;
    c.accu_min += std::min(w * 127, w * -128);
    c.accu_max += std::max(w * 127, w * -128);
  }
  c.bias = (static_cast<double>(bias) - static_cast<double>(input_zero_point) * sum) *
               static_cast<double>(c.multiplier) +
           output_zero_point;
  return c;
}

const char* OutputTransformKindName(OutputTransformKind kind) {
  return kind == OutputTransformKind::kGroup ? "group" : "channelwise";
}

OutputTransformParams QuantizeGroupOutputTransform(absl::Span<const ChannelAffine> channels) {
  const std::vector<Narrowed> narrowed = NarrowAll(channels);
  double max_accu = 0.0, max_mult = 0.0;
  for (const Narrowed& n : narrowed) {
    if (n.constant) continue;
    max_accu = std::max(max_accu, MaxAbsAccumulator(n));
    max_mult = std::max(max_mult, n.multiplier);
  }
  int a = FitExponent(max_accu);
  int m = max_mult > 0.0 ? FitExponent(max_mult) : 14;
  // Give up precision from whichever exponent is larger until every stage fits.
  OutputTransformParams p;
  p.kind = OutputTransformKind::kGroup;
  int tries = 0;
  while (!FitsWithFractionBits(narrowed, a + m - 14)) {
    if (++tries > 128) {
      p.feasible = false;
      p.estimated_error = std::numeric_limits<double>::infinity();
      return p;
    }
    if (a >= m) --a; else --m;
  }
  const int b = a + m - 14;
  p.final_shr = b - 8;
  p.estimated_error = std::ldexp(1.0, -(p.final_shr + 7));
  for (const Narrowed& n : narrowed) {
    p.initial_shr.push_back(static_cast<int16_t>(-a));
    p.multiplier.push_back(n.constant ? 0 : ClampToInt16(std::nearbyint(std::ldexp(n.multiplier, m))));
    const double bias = n.constant ? n.constant_value : n.bias;
    // One LSB low on purpose, as xformer does for the group transform.
    p.bias.push_back(ClampToInt16(std::nearbyint(std::ldexp(bias, b) - 1.0)));
  }
  return p;
}

OutputTransformParams QuantizeChannelwiseOutputTransform(
    absl::Span<const ChannelAffine> channels) {
  const std::vector<Narrowed> narrowed = NarrowAll(channels);
  OutputTransformParams p;
  p.kind = OutputTransformKind::kChannelwise;
  // The common B: what the stages allow, and what each channel's A <= 0 and
  // largest M allow.
  int b = 24;
  while (b > -32 && !FitsWithFractionBits(narrowed, b)) --b;
  std::vector<int> a_of(narrowed.size(), 0);
  for (size_t c = 0; c < narrowed.size(); ++c) {
    const Narrowed& n = narrowed[c];
    if (n.constant) continue;
    a_of[c] = std::min(0, FitExponent(MaxAbsAccumulator(n)));
    b = std::min(b, a_of[c] + FitExponent(n.multiplier) - 14);
  }
  if (b <= -32) {
    p.feasible = false;
    p.estimated_error = std::numeric_limits<double>::infinity();
    return p;
  }
  p.final_shr = b - 8;
  // The worst channel decides, as in xformer.
  double worst_error = 0.0;
  for (size_t c = 0; c < narrowed.size(); ++c) {
    const Narrowed& n = narrowed[c];
    const int shr = -a_of[c];
    const int m = b + 14 - a_of[c];
    const int16_t mul = n.constant ? 0 : ClampToInt16(std::nearbyint(std::ldexp(n.multiplier, m)));
    const int16_t bias =
        ClampToInt16(std::nearbyint(std::ldexp(n.constant ? n.constant_value : n.bias, b)));
    p.initial_shr.push_back(static_cast<int16_t>(shr));
    p.multiplier.push_back(mul);
    p.bias.push_back(bias);
    if (!n.constant) {
      worst_error =
          std::max(worst_error, ChannelMeanAbsOutputError(n, shr, mul, bias, p.final_shr));
    }
  }
  p.estimated_error = worst_error;
  return p;
}

OutputTransformChoice ChooseOutputTransform(absl::Span<const ChannelAffine> channels,
                                            double threshold) {
  OutputTransformChoice choice;
  const OutputTransformParams group = QuantizeGroupOutputTransform(channels);
  if (group.feasible && group.estimated_error <= threshold) {
    choice.chosen = true;
    choice.params = group;
    choice.reason = absl::StrFormat("group output transform, estimated error %.4g LSB",
                                    group.estimated_error);
    return choice;
  }
  const OutputTransformParams channelwise = QuantizeChannelwiseOutputTransform(channels);
  if (channelwise.feasible && channelwise.estimated_error <= threshold) {
    choice.chosen = true;
    choice.params = channelwise;
    choice.reason = absl::StrFormat(
        "channelwise output transform (group error %.4g > %.2f), estimated error %.4g LSB",
        group.estimated_error, threshold, channelwise.estimated_error);
    return choice;
  }
  choice.params = channelwise;
  choice.reason = absl::StrFormat(
      "quantization error too large for 16-bit output transform (group %.4g, channelwise "
      "%.4g > %.2f): reverting to reference",
      group.estimated_error, channelwise.estimated_error, threshold);
  return choice;
}

}  // namespace tinyserve::xs3
