// The xs3 conv-like kernels, run on the VPU emulator, against an independent
// integer computation of the same 16-bit pipeline written here from the
// documented semantics (xs3.md §1.4, §2.2, §2.3), with the same derived
// output-transform parameters:
//   acc = sum x * w (padding taps read the input zero point), from 0
//   t = initial_shr > 0 ? sat16(rhu(acc, shr)) : sat16(sat16(acc) << -shr)
//   t = sat16(rhu(t * mul, 14)); t = sat16(t + bias)
//   v = final_shr > 0 ? floor(t / 2^final_shr) : sat16(t << -final_shr)
//   out = clamp(rhu(v, 8), -128, 127)
// Also checks the derived parameters' documented invariants.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "devices/xs3/dense_conv_kernel.h"
#include "devices/xs3/depthwise_kernel.h"
#include "devices/xs3/output_transform.h"
#include "engine/kernels/window_geometry.h"
#include "gtest/gtest.h"

namespace tinyserve::xs3 {
namespace {

int64_t Rhu(int64_t x, int s) { return s <= 0 ? x : (x + (int64_t{1} << (s - 1))) >> s; }
int64_t Sat16(int64_t x) { return std::clamp<int64_t>(x, -32767, 32767); }
int64_t ShiftLeftSat16(int64_t x, int s) { return Sat16(x * (int64_t{1} << s)); }

int8_t ExpectedOutput(int64_t acc, const OutputTransformParams& p, int c) {
  const int shr = p.initial_shr[c];
  int64_t t = shr > 0 ? Sat16(Rhu(acc, shr)) : ShiftLeftSat16(Sat16(acc), -shr);
  t = Sat16(Rhu(t * p.multiplier[c], 14));
  t = Sat16(t + p.bias[c]);
  int64_t v;
  if (p.final_shr > 0) {
    v = t >= 0 ? t >> p.final_shr : -((-t + (int64_t{1} << p.final_shr) - 1) >> p.final_shr);
  } else {
    v = ShiftLeftSat16(t, -p.final_shr);
  }
  return static_cast<int8_t>(std::clamp<int64_t>(Rhu(v, 8), -128, 127));
}

struct Case {
  WindowGeometry g;
  int32_t zp_in, zp_out;
  std::vector<int8_t> input, weights;  // weights [out_c][K] (dense) or [taps][C] (depthwise)
  std::vector<int32_t> bias;
  std::vector<float> weight_scales;
  float s_in, s_out;
};

Case RandomCase(std::mt19937& rng, WindowGeometry g, int weights_count) {
  Case c;
  c.g = g;
  std::uniform_int_distribution<int> byte(-128, 127), zp(-128, 127);
  std::uniform_real_distribution<float> scale(0.002f, 0.05f), wscale(0.001f, 0.02f);
  c.zp_in = zp(rng);
  c.zp_out = zp(rng) / 4;
  c.s_in = scale(rng);
  c.s_out = scale(rng) * 8;
  c.input.resize(static_cast<size_t>(g.batches) * g.in_h * g.in_w * g.in_c);
  for (auto& x : c.input) x = static_cast<int8_t>(byte(rng));
  c.weights.resize(weights_count);
  for (auto& w : c.weights) w = static_cast<int8_t>(byte(rng));
  std::uniform_int_distribution<int32_t> bias(-20000, 20000);
  for (int i = 0; i < g.out_c; ++i) {
    c.bias.push_back(bias(rng));
    c.weight_scales.push_back(wscale(rng));
  }
  return c;
}

struct Runner {
  Vpu vpu;
  std::vector<Vector32> scratch;
  KernelContext ctx;
  void Run(const LoweredOp& op, const void* input, void* output) {
    scratch.assign(op.scratch_bytes() / 32 + 1, Vector32{});
    ctx.vpu = &vpu;
    ctx.scratch = scratch.front().bytes;
    ctx.scratch_bytes = scratch.size() * 32;
    const void* inputs[] = {input, nullptr, nullptr};
    void* outputs[] = {output};
    op.Run(ctx, inputs, outputs);
  }
};

ConvShape ShapeOf(const Case& c) {
  ConvShape s;
  s.geometry = c.g;
  s.input_zero_point = static_cast<int8_t>(c.zp_in);
  return s;
}

// Dense: FULLY_CONNECTED shapes (1x1 geometry) and padded strided convs.
void CheckDense(const Case& c) {
  const WindowGeometry& g = c.g;
  const int depth = g.filter_h * g.filter_w * g.in_c;
  std::vector<ChannelAffine> affines;
  for (int o = 0; o < g.out_c; ++o) {
    affines.push_back(MakeChannelAffine(absl::MakeConstSpan(c.weights).subspan(o * depth, depth),
                                        c.s_in, c.weight_scales[o], c.s_out, c.bias[o], c.zp_in,
                                        c.zp_out));
  }
  // The lowering would revert a case whose channelwise error is above the
  // threshold; its parameters still exercise the same pipeline.
  const OutputTransformChoice choice = ChooseOutputTransform(affines);
  ASSERT_TRUE(choice.params.feasible) << choice.reason;
  const OutputTransformParams& p = choice.params;
  DenseConvKernel kernel(ShapeOf(c), c.weights, p);
  std::vector<int8_t> got(static_cast<size_t>(g.batches) * g.out_h * g.out_w * g.out_c, 99);
  Runner runner;
  runner.Run(kernel, c.input.data(), got.data());
  size_t i = 0;
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        for (int o = 0; o < g.out_c; ++o, ++i) {
          int64_t acc = 0;
          for (int ky = 0; ky < g.filter_h; ++ky) {
            for (int kx = 0; kx < g.filter_w; ++kx) {
              const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
              const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
              const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
              for (int ic = 0; ic < g.in_c; ++ic) {
                const int x = inside ? c.input[((b * g.in_h + iy) * g.in_w + ix) * g.in_c + ic]
                                     : c.zp_in;
                acc += x * c.weights[o * depth + (ky * g.filter_w + kx) * g.in_c + ic];
              }
            }
          }
          ASSERT_EQ(got[i], ExpectedOutput(acc, p, o))
              << "pixel (" << b << "," << oy << "," << ox << ") channel " << o << " acc " << acc;
        }
      }
    }
  }
}

WindowGeometry FcGeometry(int batches, int depth, int units) {
  WindowGeometry g;
  g.batches = batches;
  g.in_h = g.in_w = g.out_h = g.out_w = 1;
  g.in_c = depth;
  g.out_c = units;
  g.filter_h = g.filter_w = 1;
  return g;
}

TEST(Xs3KernelPipelineTest, FullyConnectedMatchesIndependentPipeline) {
  std::mt19937 rng(1234);
  // Depths not a multiple of 32 (and not of 4: read through im2col), units not
  // a multiple of 16, and both exact. With several batches, units are a
  // multiple of 4 as the lowering requires (VSTRPV stores whole words).
  const int shapes[][3] = {{1, 64, 16}, {1, 100, 10}, {1, 7, 3}, {1, 256, 2},
                           {3, 45, 20}, {1, 640, 128}, {2, 33, 12}};
  for (const auto& s : shapes) {
    SCOPED_TRACE(::testing::Message() << "batches " << s[0] << " depth " << s[1] << " units " << s[2]);
    CheckDense(RandomCase(rng, FcGeometry(s[0], s[1], s[2]), s[1] * s[2]));
  }
}

TEST(Xs3KernelPipelineTest, PaddedStridedConvMatchesIndependentPipeline) {
  std::mt19937 rng(99);
  struct ConvSpec { int in_h, in_w, in_c, out_c, kh, kw, stride; };
  const ConvSpec specs[] = {{7, 9, 8, 20, 3, 3, 2}, {6, 5, 3, 16, 3, 3, 1}, {5, 5, 12, 36, 2, 3, 2}};
  for (const ConvSpec& s : specs) {
    WindowGeometry g;
    g.batches = 1;
    g.in_h = s.in_h; g.in_w = s.in_w; g.in_c = s.in_c; g.out_c = s.out_c;
    g.filter_h = s.kh; g.filter_w = s.kw; g.stride_h = g.stride_w = s.stride;
    g.out_h = static_cast<int>(WindowOutputSize(Padding::kSame, s.in_h, s.kh, s.stride, 1));
    g.out_w = static_cast<int>(WindowOutputSize(Padding::kSame, s.in_w, s.kw, s.stride, 1));
    g.pad_top = WindowPaddingBefore(s.in_h, s.kh, s.stride, 1, g.out_h);
    g.pad_left = WindowPaddingBefore(s.in_w, s.kw, s.stride, 1, g.out_w);
    SCOPED_TRACE(::testing::Message() << "conv " << s.in_h << "x" << s.in_w << "x" << s.in_c
                                      << " -> " << s.out_c << " k" << s.kh << "x" << s.kw);
    CheckDense(RandomCase(rng, g, s.out_c * s.kh * s.kw * s.in_c));
  }
}

TEST(Xs3KernelPipelineTest, DepthwiseConvMatchesIndependentPipeline) {
  std::mt19937 rng(7);
  WindowGeometry g;
  g.batches = 1;
  g.in_h = g.in_w = 6;
  g.in_c = g.out_c = 24;  // one full and one partial group of 16
  g.filter_h = g.filter_w = 3;
  g.out_h = g.out_w = 6;
  g.pad_top = g.pad_left = 1;
  const int taps = 9;
  Case c = RandomCase(rng, g, taps * g.out_c);
  std::vector<ChannelAffine> affines;
  for (int ch = 0; ch < g.out_c; ++ch) {
    std::vector<int8_t> w;
    for (int t = 0; t < taps; ++t) w.push_back(c.weights[t * g.out_c + ch]);
    affines.push_back(MakeChannelAffine(w, c.s_in, c.weight_scales[ch], c.s_out, c.bias[ch],
                                        c.zp_in, c.zp_out));
  }
  const OutputTransformChoice choice = ChooseOutputTransform(affines);
  ASSERT_TRUE(choice.chosen) << choice.reason;
  DepthwiseKernel kernel(ShapeOf(c), c.weights, choice.params);
  std::vector<int8_t> got(static_cast<size_t>(g.out_h) * g.out_w * g.out_c);
  Runner runner;
  runner.Run(kernel, c.input.data(), got.data());
  for (int oy = 0; oy < g.out_h; ++oy) {
    for (int ox = 0; ox < g.out_w; ++ox) {
      for (int ch = 0; ch < g.out_c; ++ch) {
        int64_t acc = 0;
        for (int ky = 0; ky < 3; ++ky) {
          for (int kx = 0; kx < 3; ++kx) {
            const int iy = oy - 1 + ky, ix = ox - 1 + kx;
            const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
            const int x = inside ? c.input[(iy * g.in_w + ix) * g.in_c + ch] : c.zp_in;
            acc += x * c.weights[(ky * 3 + kx) * g.out_c + ch];
          }
        }
        ASSERT_EQ(got[(oy * g.out_w + ox) * g.out_c + ch], ExpectedOutput(acc, choice.params, ch))
            << "pixel (" << oy << "," << ox << ") channel " << ch;
      }
    }
  }
}

// The documented relations between the derived parameters (xs3.md §2.3).
TEST(Xs3KernelPipelineTest, GroupParametersFollowDocumentedRelations) {
  std::mt19937 rng(5);
  Case c = RandomCase(rng, FcGeometry(1, 128, 16), 128 * 16);
  std::vector<ChannelAffine> affines;
  for (int o = 0; o < 16; ++o) {
    affines.push_back(MakeChannelAffine(absl::MakeConstSpan(c.weights).subspan(o * 128, 128),
                                        c.s_in, c.weight_scales[o], c.s_out, c.bias[o], c.zp_in,
                                        c.zp_out));
  }
  const OutputTransformParams p = QuantizeGroupOutputTransform(affines);
  ASSERT_TRUE(p.feasible);
  // B = A + M - 14 with A = -initial_shr; final_shr = B - 8; error 2^-(final_shr+7);
  // mul16 = rint(mult * 2^M); bias16 = rint(bias * 2^B - 1).
  const int b = p.final_shr + 8;
  const int m = b + 14 + p.initial_shr[0];
  EXPECT_DOUBLE_EQ(p.estimated_error, std::ldexp(1.0, -(p.final_shr + 7)));
  for (int o = 0; o < 16; ++o) {
    EXPECT_EQ(p.initial_shr[o], p.initial_shr[0]);
    EXPECT_EQ(p.multiplier[o], std::nearbyint(std::ldexp(static_cast<double>(affines[o].multiplier), m)));
    EXPECT_EQ(p.bias[o], std::nearbyint(std::ldexp(affines[o].bias, b) - 1.0));
  }
}

}  // namespace
}  // namespace tinyserve::xs3
