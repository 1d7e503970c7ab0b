// MAX_POOL_2D on the xs3 VPU against the reference kernel: random shapes,
// strides, paddings (SAME with odd totals, VALID), fused activations and
// zero points at the rails; every output byte must be identical. Seeded
// (SplitMix64): a failure prints the case, and reruns identically.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "devices/xs3/xs3_executable.h"
#include "devices/xs3/xs3_session.h"
#include "engine/util/splitmix64.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"

namespace tinyserve::xs3 {
namespace {

using testing::ModelBuilder;
using testing::PerTensor;

struct PoolCase {
  int n, h, w, c, kh, kw, sh, sw;
  bool same;
  tflite::ActivationFunctionType activation;
  float scale;
  int zero_point;
  std::string ToString() const {
    return absl::StrCat("MAX_POOL_2D in=[", n, ",", h, ",", w, ",", c, "] filter=", kh, "x", kw,
                        " stride=", sh, "x", sw, same ? " SAME" : " VALID",
                        " act=", tflite::EnumNameActivationFunctionType(activation),
                        " scale=", scale, " zp=", zero_point);
  }
};

int Draw(SplitMix64& rng, int lo, int hi) {
  return lo + static_cast<int>(rng.Next() % static_cast<uint64_t>(hi - lo + 1));
}

PoolCase DrawCase(SplitMix64& rng, bool aligned_channels) {
  PoolCase p;
  p.n = Draw(rng, 1, 2);
  p.kh = Draw(rng, 1, 4);
  p.kw = Draw(rng, 1, 4);
  p.sh = Draw(rng, 1, 3);
  p.sw = Draw(rng, 1, 3);
  p.same = Draw(rng, 0, 1) == 1;
  // VALID needs the window inside the image.
  p.h = Draw(rng, p.same ? 1 : p.kh, 11);
  p.w = Draw(rng, p.same ? 1 : p.kw, 11);
  // Around the 32-lane vector: partial blocks, one, several.
  static constexpr int kAligned[] = {4, 8, 12, 16, 28, 32, 36, 60, 64, 68, 96, 100};
  p.c = aligned_channels ? kAligned[Draw(rng, 0, 11)] : 4 * Draw(rng, 0, 8) + Draw(rng, 1, 3);
  p.activation = static_cast<tflite::ActivationFunctionType>(Draw(rng, 0, 3));
  p.scale = static_cast<float>(std::exp2(Draw(rng, -80, 10) / 10.0));
  const int zp_kind = Draw(rng, 0, 3);
  p.zero_point = zp_kind == 0 ? -128 : zp_kind == 1 ? 127 : Draw(rng, -128, 127);
  return p;
}

std::vector<uint8_t> BuildModel(const PoolCase& p) {
  const int oh = p.same ? (p.h + p.sh - 1) / p.sh : (p.h - p.kh) / p.sh + 1;
  const int ow = p.same ? (p.w + p.sw - 1) / p.sw : (p.w - p.kw) / p.sw + 1;
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {p.n, p.h, p.w, p.c},
                            PerTensor(p.scale, p.zero_point));
  const int out = b.AddOutput(tflite::TensorType_INT8, {p.n, oh, ow, p.c},
                              PerTensor(p.scale, p.zero_point));
  tflite::Pool2DOptionsT o;
  o.padding = p.same ? tflite::Padding_SAME : tflite::Padding_VALID;
  o.stride_h = p.sh;
  o.stride_w = p.sw;
  o.filter_height = p.kh;
  o.filter_width = p.kw;
  o.fused_activation_function = p.activation;
  b.AddOperator(OpType::kMaxPool2D, {in}, {out}, o);
  return b.Finish();
}

// Runs `cases` random cases; returns how many ran on the VPU.
int RunCases(uint64_t seed, int cases, bool aligned_channels) {
  SplitMix64 rng(seed);
  int on_vpu = 0;
  for (int k = 0; k < cases; ++k) {
    const PoolCase p = DrawCase(rng, aligned_channels);
    SCOPED_TRACE(absl::StrCat("case ", k, " (seed ", seed, "): ", p.ToString()));
    const std::vector<uint8_t> bytes = BuildModel(p);
    auto model = testing::LoadTestModel(bytes);
    EXPECT_TRUE(model.ok()) << model.status();
    if (!model.ok()) return on_vpu;
    auto exe = Xs3Executable::Build(*model, VlashrRounding::kFloor);
    EXPECT_TRUE(exe.ok()) << exe.status();
    if (!exe.ok()) return on_vpu;
    const OpReport& op = (*exe)->report().ops[0];
    on_vpu += op.placement == Placement::kVpu;
    EXPECT_EQ(op.placement == Placement::kVpu, aligned_channels) << op.reason;
    auto session = (*exe)->NewSession();
    EXPECT_TRUE(session.ok()) << session.status();
    if (!session.ok()) return on_vpu;
    // Two inputs: full-range random, and values at the rails (ties and the
    // int8 extremes whose difference saturates).
    for (int variant = 0; variant < 2; ++variant) {
      std::vector<uint8_t> input((*session)->input(0).size());
      for (auto& v : input) {
        const uint64_t r = rng.Next();
        v = variant == 0 ? static_cast<uint8_t>(r >> 56)
                         : static_cast<uint8_t>((r >> 60) < 8 ? 0x80 : 0x7F);
      }
      std::copy(input.begin(), input.end(), (*session)->input(0).begin());
      auto stats = (*session)->Invoke(InvokeOptions{});
      EXPECT_TRUE(stats.ok()) << stats.status();
      if (!stats.ok()) return on_vpu;
      EXPECT_EQ(stats->saturation_events.value_or(-1), 0);
      auto want = testing::RunReference(bytes, {input});
      EXPECT_TRUE(want.ok()) << want.status();
      if (!want.ok()) return on_vpu;
      const auto got = (*session)->output(0);
      const std::vector<uint8_t> mine(got.begin(), got.end());
      EXPECT_EQ(testing::Widen(testing::FromBytes<int8_t>(mine)),
                testing::Widen(testing::FromBytes<int8_t>((*want)[0])))
          << "variant " << variant;
      if (::testing::Test::HasFailure()) return on_vpu;
    }
  }
  return on_vpu;
}

TEST(Xs3MaxPoolTest, BitExactWithReferenceOnRandomShapes) {
  EXPECT_EQ(RunCases(0x3A9001, 300, /*aligned_channels=*/true), 300);
}

TEST(Xs3MaxPoolTest, UnalignedChannelsStayOnReferenceAndAreExact) {
  EXPECT_EQ(RunCases(0x3A9002, 40, /*aligned_channels=*/false), 0);
}

TEST(Xs3MaxPoolTest, CyclesCountVpuWorkAndSplitOverRows) {
  PoolCase p{1, 12, 12, 64, 2, 2, 2, 2, false, tflite::ActivationFunctionType_NONE, 0.5f, 3};
  auto model = testing::LoadTestModel(BuildModel(p));
  ASSERT_TRUE(model.ok()) << model.status();
  auto exe = Xs3Executable::Build(*model, VlashrRounding::kFloor);
  ASSERT_TRUE(exe.ok()) << exe.status();
  const OpReport& op = (*exe)->report().ops[0];
  ASSERT_EQ(op.placement, Placement::kVpu);
  // 36 pixels x 2 blocks x (a first-tap copy, 3 max steps of 6 VPU
  // instructions, the final VLDR + VSTRPV) at least.
  EXPECT_GE(op.slots, 36 * 2 * (2 + 3 * 6 + 2));
  EXPECT_LT(op.cycles_five_threads, op.cycles_one_thread);
  EXPECT_FALSE(op.output_transform.has_value());
}

}  // namespace
}  // namespace tinyserve::xs3
