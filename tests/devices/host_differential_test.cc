// Randomized differential tests, `host` against `ref`, one single-op model at a
// time (tests/support/model_builder.h), on every dispatch target the machine
// supports. Shapes, strides, paddings (SAME/VALID, odd totals), dilations,
// groups, depth multipliers and channel counts are drawn at random, as are the
// quantization parameters: per-channel requantization multipliers over the
// whole range (left shifts up to 31, right shifts beyond 31 that flush to 0),
// zero points at both rails, full-range int8 weights and int32 biases.
//
// Only cases the host device binds to one of its own kernels are compared (a
// case it leaves to the reference kernel, e.g. a depth multiplier above 1,
// would compare ref with ref); each test requires a stated share of its cases
// to be such, and the kernel to be the forced ISA's own.
//
// Seeded (SplitMix64): a failure prints the case (its seed and parameters) and
// the first differing byte, and reruns identically. Models that
// Model::LoadBuffer rejects (an invalid combination drawn) are counted and
// skipped. TINYSERVE_DIFF_VERBOSE=1 prints every case.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "devices/device_registry.h"
#include "devices/host/host_executable.h"
#include "engine/model.h"
#include "engine/op_type.h"
#include "engine/util/splitmix64.h"
#include "gtest/gtest.h"
#include "tests/devices/host_isa_support.h"
#include "tests/support/model_builder.h"

namespace tinyserve {
namespace {

using testing::ModelBuilder;
using testing::PerTensor;
using testing::TensorQuant;

// ---------------------------------------------------------------------------
// Random draws.

class Rng {
 public:
  explicit Rng(uint64_t seed) : r_(seed) {}
  uint64_t Next() { return r_.Next(); }
  // Uniform in [lo, hi].
  int Int(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  double Uniform(double lo, double hi) {
    return lo + (hi - lo) * (static_cast<double>(Next() >> 11) * 0x1.0p-53);
  }
  bool Chance(double p) { return Uniform(0, 1) < p; }
  template <typename T>
  T Pick(std::initializer_list<T> values) {
    return *(values.begin() + Int(0, static_cast<int>(values.size()) - 1));
  }
  int8_t Int8() { return r_.NextInt8(); }

 private:
  SplitMix64 r_;
};

// A zero point, often at a rail.
int ZeroPoint(Rng& rng) {
  const int k = rng.Int(0, 9);
  if (k < 3) return -128;
  if (k < 6) return 127;
  if (k == 6) return 0;
  return rng.Int(-128, 127);
}

// Channel counts: small, or around the vector widths (8/16/32/64 int8 lanes).
int Channels(Rng& rng, int small_max) {
  if (rng.Chance(0.6)) return rng.Int(1, small_max);
  return rng.Pick({1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 67});
}

tflite::ActivationFunctionType Activation(Rng& rng) {
  // TANH and SIGN_BIT are not fused activations TFLite accepts on these ops:
  // drawn rarely, and expected to be rejected by the loader.
  if (rng.Chance(0.01)) {
    return rng.Chance(0.5) ? tflite::ActivationFunctionType_TANH
                           : tflite::ActivationFunctionType_SIGN_BIT;
  }
  return static_cast<tflite::ActivationFunctionType>(rng.Int(0, 3));
}

const char* ActivationName(tflite::ActivationFunctionType a) {
  return tflite::EnumNameActivationFunctionType(a);
}

// The requantization regime of a conv-like op: where log2(s_in * s_w / s_out)
// lies, hence the shift QuantizeMultiplier gives (shift = floor(log2) + 1).
enum class Regime { kTypical, kNearOne, kLeftShift, kFlush };

const char* RegimeName(Regime r) {
  switch (r) {
    case Regime::kTypical: return "typical";
    case Regime::kNearOne: return "near-one";
    case Regime::kLeftShift: return "left-shift";
    case Regime::kFlush: return "flush";
  }
  return "?";
}

Regime DrawRegime(Rng& rng) {
  const int k = rng.Int(0, 99);
  if (k < 55) return Regime::kTypical;
  if (k < 70) return Regime::kNearOne;
  if (k < 85) return Regime::kLeftShift;
  return Regime::kFlush;
}

double Log2Multiplier(Rng& rng, Regime r) {
  switch (r) {
    case Regime::kTypical: return rng.Uniform(-14, -3);
    case Regime::kNearOne: return rng.Uniform(-2, 1.5);  // shifts -1 .. 2
    case Regime::kLeftShift: return rng.Uniform(1, 30.9);  // shifts 2 .. 31
    case Regime::kFlush: return rng.Uniform(-40, -29);  // shifts -28 .. -39 (< -31 flushes)
  }
  return 0;
}

// Output scale for the regime: tiny for big left shifts, huge for flushing.
double Log2OutputScale(Rng& rng, Regime r) {
  switch (r) {
    case Regime::kLeftShift: return rng.Uniform(-30, -16);
    case Regime::kFlush: return rng.Uniform(16, 30);
    default: return rng.Uniform(-8, 1);
  }
}

std::vector<int8_t> Weights(Rng& rng, size_t n, std::string* desc) {
  // Full int8 range (with -128), TFLite's symmetric [-127, 127], or small.
  const int mode = rng.Int(0, 2);
  const int lim = mode == 2 ? rng.Int(1, 20) : 127;
  absl::StrAppend(desc, " w=", mode == 0 ? "full" : mode == 1 ? "sym127" : "small");
  std::vector<int8_t> w(n);
  for (auto& v : w) {
    if (mode == 0) {
      v = rng.Int8();
    } else {
      v = static_cast<int8_t>(rng.Int(-lim, lim));
    }
  }
  return w;
}

std::vector<int32_t> Biases(Rng& rng, size_t n) {
  // Realistic magnitudes: up to 2^18 (accumulators stay far from int32 limits).
  const int max_bits = rng.Int(0, 18);
  std::vector<int32_t> b(n);
  for (auto& v : b) {
    const int bits = rng.Int(0, max_bits);
    v = static_cast<int32_t>(rng.Next() % (uint64_t{1} << bits));
    if (rng.Chance(0.5)) v = -v;
  }
  return b;
}

// The quantization of a conv-like op's weights and bias, and the output scale.
struct ConvQuant {
  float s_in = 1, s_out = 1;
  int zp_in = 0, zp_out = 0;
  std::vector<float> s_w;  // one per channel, or one
  bool per_channel = false;
};

ConvQuant DrawConvQuant(Rng& rng, int channels, std::string* desc) {
  ConvQuant q;
  const Regime regime = DrawRegime(rng);
  q.per_channel = rng.Chance(0.6);
  q.s_in = static_cast<float>(std::exp2(rng.Uniform(-8, 0)));
  q.s_out = static_cast<float>(std::exp2(Log2OutputScale(rng, regime)));
  q.zp_in = ZeroPoint(rng);
  q.zp_out = ZeroPoint(rng);
  const int n = q.per_channel ? channels : 1;
  int min_shift = 1000, max_shift = -1000;
  for (int c = 0; c < n; ++c) {
    // Per-channel: mostly the case's regime, sometimes another one.
    const Regime r = rng.Chance(0.8) ? regime : DrawRegime(rng);
    const double real = std::exp2(Log2Multiplier(rng, r));
    q.s_w.push_back(static_cast<float>(real * q.s_out / q.s_in));
    int e = 0;
    std::frexp(static_cast<double>(q.s_in) * q.s_w.back() / q.s_out, &e);
    min_shift = std::min(min_shift, e);
    max_shift = std::max(max_shift, e);
  }
  absl::StrAppend(desc, " quant=", q.per_channel ? "per-channel" : "per-tensor", " regime=",
                  RegimeName(regime), " shifts=[", min_shift, ",", max_shift, "] s_in=", q.s_in,
                  " zp_in=", q.zp_in, " s_out=", q.s_out, " zp_out=", q.zp_out);
  return q;
}

// Adds filter (quantized along `qdim`) and optional bias constants.
std::pair<int, int> AddWeightsAndBias(ModelBuilder& b, Rng& rng, const ConvQuant& q,
                                      std::vector<int32_t> filter_shape, int qdim, int channels,
                                      std::string* desc) {
  size_t count = 1;
  for (int d : filter_shape) count *= static_cast<size_t>(d);
  TensorQuant wq{std::vector<float>(q.s_w), std::vector<int64_t>(q.s_w.size(), 0), qdim};
  const int filter = b.AddConstant<int8_t>(tflite::TensorType_INT8, filter_shape,
                                           Weights(rng, count, desc), wq);
  int bias = -1;
  if (rng.Chance(0.8)) {
    TensorQuant bq;
    for (float s : q.s_w) bq.scales.push_back(q.s_in * s);
    bq.zero_points.assign(bq.scales.size(), 0);
    // A per-tensor bias scale must be within 2% of s_out of s_in * s_w (as
    // TFLite checks); with a tiny s_out the float32 rounding of the product
    // alone exceeds that, so such biases carry no quantization at all.
    const double product = static_cast<double>(q.s_in) * q.s_w[0];
    const bool quantized =
        q.s_w.size() > 1 || std::abs(product - bq.scales[0]) / q.s_out <= 0.02;
    bias = b.AddConstant<int32_t>(tflite::TensorType_INT32, {channels},
                                  Biases(rng, static_cast<size_t>(channels)),
                                  quantized ? std::optional<TensorQuant>(bq) : std::nullopt);
    absl::StrAppend(desc, quantized ? " bias=yes" : " bias=yes(unquantized)");
  } else {
    absl::StrAppend(desc, " bias=no");
  }
  return {filter, bias};
}

int64_t OutSize(bool same, int in, int filter, int stride, int dilation) {
  const int effective = (filter - 1) * dilation + 1;
  if (same) return (in + stride - 1) / stride;
  return in >= effective ? (in - effective) / stride + 1 : 0;
}

int PadTotal(int in, int filter, int stride, int dilation, int out) {
  const int effective = (filter - 1) * dilation + 1;
  return std::max(0, (out - 1) * stride + effective - in);
}

// Spatial window drawn so that the output is non-empty.
struct Window {
  int n, ih, iw, kh, kw, sh, sw, dh = 1, dw = 1;
  bool same;
  int oh, ow;
};

Window DrawWindow(Rng& rng, bool dilations, int max_hw) {
  Window w;
  w.n = rng.Chance(0.8) ? 1 : rng.Int(2, 3);
  w.ih = rng.Int(1, max_hw);
  w.iw = rng.Int(1, max_hw);
  w.kh = rng.Int(1, 5);
  w.kw = rng.Chance(0.7) ? w.kh : rng.Int(1, 5);
  w.sh = rng.Int(1, 3);
  w.sw = rng.Chance(0.7) ? w.sh : rng.Int(1, 3);
  if (dilations && rng.Chance(0.35)) {
    w.dh = rng.Int(1, 3);
    w.dw = rng.Int(1, 3);
  }
  w.same = rng.Chance(0.5);
  w.oh = static_cast<int>(OutSize(w.same, w.ih, w.kh, w.sh, w.dh));
  w.ow = static_cast<int>(OutSize(w.same, w.iw, w.kw, w.sw, w.dw));
  if (w.oh == 0 || w.ow == 0) {  // VALID window larger than the image
    w.same = true;
    w.oh = static_cast<int>(OutSize(true, w.ih, w.kh, w.sh, w.dh));
    w.ow = static_cast<int>(OutSize(true, w.iw, w.kw, w.sw, w.dw));
  }
  return w;
}

std::string WindowDesc(const Window& w) {
  return absl::StrCat(" in=", w.n, "x", w.ih, "x", w.iw, " k=", w.kh, "x", w.kw, " s=", w.sh, "x",
                      w.sw, " d=", w.dh, "x", w.dw, " ", w.same ? "SAME" : "VALID", " pad_total=",
                      PadTotal(w.ih, w.kh, w.sh, w.dh, w.oh), "x",
                      PadTotal(w.iw, w.kw, w.sw, w.dw, w.ow), " out=", w.oh, "x", w.ow);
}

// Keeps the reference's work per case small (the whole file runs in seconds).
constexpr int64_t kMaxMacs = 400000;

// ---------------------------------------------------------------------------
// Generators: one random single-op model each.

std::vector<uint8_t> BuildConv(Rng& rng, std::string* desc, const Window& w, int fc, int groups,
                               int oc);
std::vector<uint8_t> BuildDepthwise(Rng& rng, std::string* desc, const Window& w, int ic, int dm);

std::vector<uint8_t> GenConv(Rng& rng, std::string* desc) {
  Window w;
  int fc, groups, oc;
  for (;;) {
    w = DrawWindow(rng, /*dilations=*/true, 14);
    groups = rng.Chance(0.75) ? 1 : rng.Int(2, 4);
    fc = Channels(rng, 20);
    oc = groups * (rng.Chance(0.5) ? Channels(rng, 12) : rng.Int(1, 6));
    const int64_t macs = int64_t{w.n} * w.oh * w.ow * oc * w.kh * w.kw * fc;
    if (macs <= kMaxMacs && fc * groups <= 160) break;
  }
  return BuildConv(rng, desc, w, fc, groups, oc);
}

// A 3x3, stride 1-2 window without dilation: the shape of the specialized host
// paths (first-layer convs, 3x3 depthwise), which the general draws reach only
// a few times in 10,000.
Window Draw3x3Window(Rng& rng, int max_hw) {
  Window w;
  for (;;) {
    w = DrawWindow(rng, /*dilations=*/false, max_hw);
    w.kh = w.kw = 3;
    w.sh = w.sw = rng.Int(1, 2);
    w.oh = static_cast<int>(OutSize(w.same, w.ih, 3, w.sh, 1));
    w.ow = static_cast<int>(OutSize(w.same, w.iw, 3, w.sw, 1));
    if (w.oh > 0 && w.ow > 0) return w;
  }
}

// First-layer convs: 1-6 input channels (images), 8 or 16 output channels.
std::vector<uint8_t> GenNarrowConv(Rng& rng, std::string* desc) {
  const Window w = Draw3x3Window(rng, 20);
  return BuildConv(rng, desc, w, rng.Int(1, 6), 1, rng.Pick({8, 8, 16}));
}

std::vector<uint8_t> BuildConv(Rng& rng, std::string* desc, const Window& w, int fc, int groups,
                               int oc) {
  const int ic = fc * groups;
  const auto act = Activation(rng);
  *desc = absl::StrCat("CONV_2D", WindowDesc(w), " in_c=", ic, " filter_c=", fc,
                       " groups=", groups, " out_c=", oc, " act=", ActivationName(act));
  const ConvQuant q = DrawConvQuant(rng, oc, desc);
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {w.n, w.ih, w.iw, ic},
                            PerTensor(q.s_in, q.zp_in));
  auto [filter, bias] = AddWeightsAndBias(b, rng, q, {oc, w.kh, w.kw, fc}, 0, oc, desc);
  const int out = b.AddOutput(tflite::TensorType_INT8, {w.n, w.oh, w.ow, oc},
                              PerTensor(q.s_out, q.zp_out));
  tflite::Conv2DOptionsT o;
  o.padding = w.same ? tflite::Padding_SAME : tflite::Padding_VALID;
  o.stride_h = w.sh;
  o.stride_w = w.sw;
  o.dilation_h_factor = w.dh;
  o.dilation_w_factor = w.dw;
  o.fused_activation_function = act;
  b.AddOperator(OpType::kConv2D, {in, filter, bias}, {out}, o);
  return b.Finish();
}

std::vector<uint8_t> GenDepthwise(Rng& rng, std::string* desc) {
  Window w;
  int ic, dm;
  for (;;) {
    w = DrawWindow(rng, /*dilations=*/true, 16);
    ic = Channels(rng, 24);
    dm = rng.Pick({1, 1, 1, 2, 3, 4, 8});
    const int64_t macs = int64_t{w.n} * w.oh * w.ow * ic * dm * w.kh * w.kw;
    if (macs <= kMaxMacs) break;
  }
  return BuildDepthwise(rng, desc, w, ic, dm);
}

// 3x3 depthwise, multiplier 1, 1-48 channels (the host's 3x3 paths).
std::vector<uint8_t> GenDepthwise3x3(Rng& rng, std::string* desc) {
  const Window w = Draw3x3Window(rng, 16);
  return BuildDepthwise(rng, desc, w, rng.Int(1, 48), 1);
}

std::vector<uint8_t> BuildDepthwise(Rng& rng, std::string* desc, const Window& w, int ic, int dm) {
  const int oc = ic * dm;
  const auto act = Activation(rng);
  const bool set_dm = rng.Chance(0.5);
  *desc = absl::StrCat("DEPTHWISE_CONV_2D", WindowDesc(w), " in_c=", ic,
                       " depth_multiplier=", dm, set_dm ? "" : "(option 0)", " out_c=", oc,
                       " act=", ActivationName(act));
  const ConvQuant q = DrawConvQuant(rng, oc, desc);
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {w.n, w.ih, w.iw, ic},
                            PerTensor(q.s_in, q.zp_in));
  auto [filter, bias] = AddWeightsAndBias(b, rng, q, {1, w.kh, w.kw, oc}, 3, oc, desc);
  const int out = b.AddOutput(tflite::TensorType_INT8, {w.n, w.oh, w.ow, oc},
                              PerTensor(q.s_out, q.zp_out));
  tflite::DepthwiseConv2DOptionsT o;
  o.padding = w.same ? tflite::Padding_SAME : tflite::Padding_VALID;
  o.stride_h = w.sh;
  o.stride_w = w.sw;
  o.dilation_h_factor = w.dh;
  o.dilation_w_factor = w.dw;
  o.depth_multiplier = set_dm ? dm : 0;
  o.fused_activation_function = act;
  b.AddOperator(OpType::kDepthwiseConv2D, {in, filter, bias}, {out}, o);
  return b.Finish();
}

std::vector<uint8_t> GenFullyConnected(Rng& rng, std::string* desc) {
  std::vector<int32_t> in_shape, out_shape;
  int units, depth;
  bool keep = false;
  for (;;) {
    units = Channels(rng, 40);
    const int kind = rng.Int(0, 2);
    if (kind == 0) {  // rank 2 [batches, depth]
      const int batches = rng.Chance(0.6) ? 1 : rng.Int(2, 5);
      depth = rng.Chance(0.5) ? Channels(rng, 80) : rng.Int(1, 300);
      in_shape = {batches, depth};
      keep = rng.Chance(0.3);
      out_shape = {batches, units};
    } else {  // rank 4 [n, h, w, c]
      const int n = rng.Int(1, 2), h = rng.Int(1, 4), w = rng.Int(1, 4);
      const int c = Channels(rng, 20);
      in_shape = {n, h, w, c};
      if (kind == 1) {  // flatten each batch
        depth = h * w * c;
        keep = false;
        out_shape = {n, units};
      } else {  // a matrix product per pixel
        depth = c;
        keep = rng.Chance(0.5);
        out_shape = keep ? std::vector<int32_t>{n, h, w, units}
                         : std::vector<int32_t>{n * h * w, units};
      }
    }
    int64_t elems = 1;
    for (int d : in_shape) elems *= d;
    if (elems / depth * depth * units <= kMaxMacs) break;
  }
  const auto act = Activation(rng);
  *desc = absl::StrCat("FULLY_CONNECTED in=[", absl::StrJoin(in_shape, ","), "] out=[",
                       absl::StrJoin(out_shape, ","), "] units=", units, " depth=", depth,
                       " keep_num_dims=", keep, " act=", ActivationName(act));
  const ConvQuant q = DrawConvQuant(rng, units, desc);
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, in_shape, PerTensor(q.s_in, q.zp_in));
  auto [weights, bias] = AddWeightsAndBias(b, rng, q, {units, depth}, 0, units, desc);
  const int out = b.AddOutput(tflite::TensorType_INT8, out_shape, PerTensor(q.s_out, q.zp_out));
  tflite::FullyConnectedOptionsT o;
  o.fused_activation_function = act;
  o.keep_num_dims = keep;
  b.AddOperator(OpType::kFullyConnected, {in, weights, bias}, {out}, o);
  return b.Finish();
}

std::vector<uint8_t> GenPool(Rng& rng, std::string* desc, bool average) {
  Window w = DrawWindow(rng, /*dilations=*/false, 12);
  if (rng.Chance(0.1)) {
    // A global pool up to 16 x 17 taps (the host averages up to 256 taps in
    // int16; larger windows use the reference kernel).
    w.n = 1;
    w.ih = w.kh = rng.Int(1, 16);
    w.iw = w.kw = rng.Int(1, 17);
    w.sh = w.sw = 1;
    w.same = false;
    w.oh = w.ow = 1;
  }
  const int c = Channels(rng, 24);
  const auto act = Activation(rng);
  const float scale = static_cast<float>(std::exp2(rng.Uniform(-8, 1)));
  const int zp = ZeroPoint(rng);
  *desc = absl::StrCat(average ? "AVERAGE_POOL_2D" : "MAX_POOL_2D", WindowDesc(w), " c=", c,
                       " act=", ActivationName(act), " scale=", scale, " zp=", zp);
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {w.n, w.ih, w.iw, c}, PerTensor(scale, zp));
  const int out = b.AddOutput(tflite::TensorType_INT8, {w.n, w.oh, w.ow, c}, PerTensor(scale, zp));
  tflite::Pool2DOptionsT o;
  o.padding = w.same ? tflite::Padding_SAME : tflite::Padding_VALID;
  o.stride_h = w.sh;
  o.stride_w = w.sw;
  o.filter_height = w.kh;
  o.filter_width = w.kw;
  o.fused_activation_function = act;
  b.AddOperator(average ? OpType::kAveragePool2D : OpType::kMaxPool2D, {in}, {out}, o);
  return b.Finish();
}

std::vector<uint8_t> GenAdd(Rng& rng, std::string* desc) {
  const int rank = rng.Int(1, 4);
  std::vector<int32_t> out_shape(rank);
  for (auto& d : out_shape) d = rng.Chance(0.3) ? 1 : rng.Int(1, 7);
  if (rng.Chance(0.3)) out_shape.back() = Channels(rng, 40);
  // Each input: every dimension either the output's or 1 (broadcast); each
  // output dimension is full in at least one input; one input may drop
  // leading 1s.
  std::vector<int32_t> s1 = out_shape, s2 = out_shape;
  const int mode = rng.Int(0, 3);
  if (mode != 0) {
    for (int i = 0; i < rank; ++i) {
      const bool bcast = rng.Chance(mode == 3 ? 0.9 : 0.4);
      if (!bcast) continue;
      (rng.Chance(0.5) ? s1 : s2)[i] = 1;
    }
  }
  auto drop_leading_ones = [&](std::vector<int32_t>& s) {
    int ones = 0;
    while (ones < static_cast<int>(s.size()) - 1 && s[ones] == 1) ++ones;
    if (ones > 0 && rng.Chance(0.5)) s.erase(s.begin(), s.begin() + rng.Int(1, ones));
  };
  drop_leading_ones(s2);  // the output's rank is the larger input rank
  if (rng.Chance(0.5)) std::swap(s1, s2);
  float sc1 = static_cast<float>(std::exp2(rng.Uniform(-9, 0)));
  float sc2 = rng.Chance(0.2) ? sc1 : static_cast<float>(std::exp2(rng.Uniform(-9, 0)));
  float sco = static_cast<float>(std::exp2(rng.Uniform(-9, 1)));
  // Extreme regimes: one input's multiplier flushed to zero (scale ratio below
  // 2^-32), or the smallest output scales allowed (output multiplier in
  // [0.5, 1): no right shift, most results saturate before the clamp).
  const int regime = rng.Int(0, 9);
  if (regime == 0) {
    (rng.Chance(0.5) ? sc1 : sc2) =
        static_cast<float>(std::max(sc1, sc2) * std::exp2(-rng.Uniform(33, 40)));
  } else if (regime == 1) {
    sco = static_cast<float>(2.0 * std::max(sc1, sc2) * std::exp2(-20 + rng.Uniform(0.001, 1)));
  }
  const int z1 = ZeroPoint(rng), z2 = ZeroPoint(rng), zo = ZeroPoint(rng);
  const auto act = Activation(rng);
  *desc = absl::StrCat("ADD regime=", regime, " in1=[", absl::StrJoin(s1, ","), "] in2=[", absl::StrJoin(s2, ","),
                       "] out=[", absl::StrJoin(out_shape, ","), "] s1=", sc1, " zp1=", z1,
                       " s2=", sc2, " zp2=", z2, " s_out=", sco, " zp_out=", zo,
                       " act=", ActivationName(act));
  ModelBuilder b;
  const int a = b.AddInput(tflite::TensorType_INT8, s1, PerTensor(sc1, z1));
  const int x = b.AddInput(tflite::TensorType_INT8, s2, PerTensor(sc2, z2));
  const int out = b.AddOutput(tflite::TensorType_INT8, out_shape, PerTensor(sco, zo));
  tflite::AddOptionsT o;
  o.fused_activation_function = act;
  b.AddOperator(OpType::kAdd, {a, x}, {out}, o);
  return b.Finish();
}

// ---------------------------------------------------------------------------
// The harness.

struct Case {
  uint64_t seed;
  std::string desc;
  std::shared_ptr<const Model> model;
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<std::vector<uint8_t>> expected;  // ref's outputs
};

std::vector<uint8_t> RandomInput(Rng& rng, size_t bytes, int zero_point) {
  std::vector<uint8_t> v(bytes);
  const int mode = rng.Int(0, 9);
  const int lo = rng.Int(-128, 127), hi = std::min(127, lo + rng.Int(0, 40));
  for (auto& x : v) {
    int8_t s;
    if (mode <= 6) {
      s = rng.Int8();  // uniform
    } else if (mode == 7) {
      s = static_cast<int8_t>(rng.Int(lo, hi));  // narrow band
    } else if (mode == 8) {
      s = static_cast<int8_t>(rng.Chance(0.5) ? -128 : 127);  // rails
    } else {
      s = static_cast<int8_t>(rng.Chance(0.7) ? zero_point : rng.Int(-128, 127));  // sparse
    }
    x = static_cast<uint8_t>(s);
  }
  return v;
}

using Generator = std::function<std::vector<uint8_t>(Rng&, std::string*)>;

// `min_host_percent`: the share of valid cases that must run on a host kernel
// (and so be compared), set a little below what the generator draws.
void RunDifferential(const std::string& op, uint64_t base_seed, int num_cases,
                     const Generator& generate, int min_host_percent = 95) {
  const auto t0 = std::chrono::steady_clock::now();
  auto ref = CreateDevice("ref");
  ASSERT_TRUE(ref.ok()) << ref.status();

  std::vector<Case> cases;
  int rejected = 0;
  std::map<std::string, int> reasons;
  for (int i = 0; i < num_cases; ++i) {
    Case c;
    c.seed = base_seed * 1000003 + static_cast<uint64_t>(i);
    Rng rng(c.seed);
    const std::vector<uint8_t> bytes = generate(rng, &c.desc);
    auto model = Model::LoadBuffer(absl::MakeConstSpan(bytes), "diff");
    if (!model.ok()) {
      ++rejected;
      // Group by what was wrong, not by the tensor it was wrong in.
      std::string reason(model.status().message());
      if (const size_t p = reason.rfind("): "); p != std::string::npos) reason.erase(0, p + 3);
      std::string digitless;
      for (char ch : reason) {
        if (ch >= '0' && ch <= '9') {
          if (digitless.empty() || digitless.back() != '#') digitless += '#';
        } else {
          digitless += ch;
        }
      }
      reason = digitless.substr(0, 100);
      ++reasons[reason];
      continue;
    }
    c.model = *model;
    if (std::getenv("TINYSERVE_DIFF_VERBOSE") != nullptr) {
      std::printf("[ case     ] seed %llu: %s\n", static_cast<unsigned long long>(c.seed),
                  c.desc.c_str());
    }
    auto exe = (*ref)->Compile(c.model);
    ASSERT_TRUE(exe.ok()) << c.desc << ": " << exe.status();
    auto session = (*exe)->NewSession();
    ASSERT_TRUE(session.ok()) << session.status();
    for (int k = 0; k < c.model->num_inputs(); ++k) {
      c.inputs.push_back(RandomInput(rng, (*session)->input(k).size(),
                                     static_cast<int>(c.model->input(k).quantization.zero_point())));
    }
    auto out = testing::RunSession(**session, c.model->num_inputs(), c.model->num_outputs(),
                                   c.inputs);
    ASSERT_TRUE(out.ok()) << c.desc << ": " << out.status();
    c.expected = std::move(*out);
    cases.push_back(std::move(c));
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::printf("[ diff     ] %s: %d cases drawn, %zu valid, %d rejected by the loader\n",
              op.c_str(), num_cases, cases.size(), rejected);
  for (const auto& [reason, count] : reasons) {
    std::printf("[ diff     ]   rejected x%d: %s\n", count, reason.c_str());
  }
  EXPECT_GE(cases.size(), static_cast<size_t>(num_cases) * 9 / 10)
      << "most drawn cases should be valid models";
  // The generators and ref run either way; only the comparison needs host.
  if (absl::Status s = testing::HostDeviceAvailable(); !s.ok()) {
    GTEST_SKIP() << "host device not built yet: " << s;
  }

  std::vector<std::string> tested;
  for (const std::string& isa : testing::AllHostIsas()) {
    testing::ScopedEnv env(testing::kHostIsaEnv, isa);
    auto host = CreateDevice("host");
    if (!host.ok()) {
      std::printf("[ host     ] ISA %s skipped: %s\n", isa.c_str(),
                  host.status().ToString().c_str());
      continue;
    }
    tested.push_back(isa);
    int mismatches = 0, failures = 0, on_reference = 0;
    constexpr int kMaxReports = 8;
    for (const Case& c : cases) {
      auto exe = (*host)->Compile(c.model);
      if (!exe.ok()) {
        if (++failures <= kMaxReports) {
          ADD_FAILURE() << op << " ISA " << isa << " seed " << c.seed << ": host Compile failed: "
                        << exe.status() << "\n  case: " << c.desc;
        }
        continue;
      }
      // The op under test (the model's only op) must run a host kernel of
      // this ISA's family; a reference fallback is counted, not compared.
      const auto* host_exe = dynamic_cast<const HostExecutable*>(exe->get());
      ASSERT_NE(host_exe, nullptr) << "the host device's Compile must return a HostExecutable";
      ASSERT_EQ(host_exe->op_kernels().size(), 1u) << c.desc;
      const std::string& kernel = host_exe->op_kernels()[0];
      if (kernel == kReferenceKernelName) {
        ++on_reference;
        continue;
      }
      // ADD and the pools run the AVX-512BW loops on VNNI (no VNNI instruction helps them).
      EXPECT_TRUE(kernel == "host:" + isa || (isa == "avx512vnni" && kernel == "host:avx512bw"))
          << op << " ISA " << isa << " seed " << c.seed << ": bound to " << kernel
          << "\n  case: " << c.desc;
      auto session = (*exe)->NewSession();
      if (!session.ok()) {
        if (++failures <= kMaxReports) {
          ADD_FAILURE() << op << " ISA " << isa << ": NewSession failed: " << session.status();
        }
        continue;
      }
      auto got = testing::RunSession(**session, c.model->num_inputs(), c.model->num_outputs(),
                                     c.inputs);
      if (!got.ok()) {
        if (++failures <= kMaxReports) {
          ADD_FAILURE() << op << " ISA " << isa << " seed " << c.seed
                        << ": host Invoke failed: " << got.status() << "\n  case: " << c.desc;
        }
        continue;
      }
      for (size_t o = 0; o < c.expected.size(); ++o) {
        const auto& want = c.expected[o];
        const auto& have = (*got)[o];
        if (have == want) continue;
        ++mismatches;
        if (mismatches <= kMaxReports) {
          size_t i = 0;
          while (i < want.size() && i < have.size() && want[i] == have[i]) ++i;
          size_t differing = 0;
          for (size_t k = 0; k < std::min(want.size(), have.size()); ++k) {
            differing += want[k] != have[k] ? 1 : 0;
          }
          ADD_FAILURE() << op << " ISA " << isa << " seed " << c.seed << ": output " << o
                        << " first differs at byte " << i << " of " << want.size()
                        << " (host " << (i < have.size() ? static_cast<int>(static_cast<int8_t>(have[i])) : 999)
                        << ", ref " << (i < want.size() ? static_cast<int>(static_cast<int8_t>(want[i])) : 999)
                        << "; " << differing << " bytes differ)\n  case: " << c.desc;
        }
        break;
      }
    }
    const int compared = static_cast<int>(cases.size()) - on_reference - failures;
    std::printf("[ diff     ] %s ISA %s: %zu cases, %d on host kernels compared, %d left to the "
                "reference kernel (not compared), %d mismatched, %d failed\n",
                op.c_str(), isa.c_str(), cases.size(), compared, on_reference, mismatches,
                failures);
    EXPECT_GE(compared, static_cast<int>(cases.size()) * min_host_percent / 100)
        << op << " ISA " << isa << ": too few cases ran a host kernel (" << on_reference
        << " of " << cases.size() << " fell back to the reference kernel)";
  }
  const auto t2 = std::chrono::steady_clock::now();
  EXPECT_FALSE(tested.empty()) << "CreateDevice(\"host\") failed for every ISA";
  std::printf("[ host     ] ISAs tested: %s (%s: ref %.2f s, host %.2f s)\n",
              testing::JoinIsas(tested).c_str(), op.c_str(),
              std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count());
}

// Grouped convs and windows past the host's patch bound (about a quarter of
// the draws) run on ref.
TEST(HostDifferentialTest, Conv2D) { RunDifferential("CONV_2D", 1, 10000, GenConv, 70); }

TEST(HostDifferentialTest, NarrowFirstLayerConv2D) {
  RunDifferential("CONV_2D (narrow input)", 8, 3000, GenNarrowConv);
}

TEST(HostDifferentialTest, Depthwise3x3) {
  RunDifferential("DEPTHWISE_CONV_2D (3x3)", 9, 3000, GenDepthwise3x3);
}

TEST(HostDifferentialTest, DepthwiseConv2D) {
  // Depth multipliers above 1 (4 draws in 7) run on ref.
  RunDifferential("DEPTHWISE_CONV_2D", 2, 10000, GenDepthwise, 40);
}

TEST(HostDifferentialTest, FullyConnected) {
  RunDifferential("FULLY_CONNECTED", 3, 10000, GenFullyConnected);
}

TEST(HostDifferentialTest, AveragePool2D) {
  RunDifferential("AVERAGE_POOL_2D", 4, 4000,
                  [](Rng& rng, std::string* d) { return GenPool(rng, d, /*average=*/true); });
}

TEST(HostDifferentialTest, MaxPool2D) {
  RunDifferential("MAX_POOL_2D", 5, 4000,
                  [](Rng& rng, std::string* d) { return GenPool(rng, d, /*average=*/false); });
}

TEST(HostDifferentialTest, Add) { RunDifferential("ADD", 6, 4000, GenAdd); }

}  // namespace
}  // namespace tinyserve
