// LOGISTIC and TANH int8 in gemmlowp fixed point (tflite-int8.md §4.13).
// Input scaling: q = frexp(s_in * 2^27, &left_shift), M = round(q * 2^31),
// radius = floor(15 * 2^27 / 2^left_shift); x = in - zp_in; x <= -radius -> -128,
// x >= radius -> 127, else y = f(Q4.27 MBQM(x, M, left_shift)) in Q0.31 and
//   LOGISTIC: out = clamp(RDBPOT(y, 23) - 128)   (scale 1/256, zp -128)
//   TANH:     out = clamp(RDBPOT(y, 24))         (scale 1/128, zp 0)
#include <cmath>

#include "engine/kernels/logistic.h"
#include "engine/kernels/tanh.h"
#include "engine/op_type.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"

namespace tinyserve {
namespace {

using testing::FromBytes;
using testing::LoadFails;
using testing::LoadTestModel;
using testing::ModelBuilder;
using testing::PerTensor;
using testing::RunReference;
using testing::TensorQuant;
using testing::ToBytes;
using testing::Widen;

const TensorQuant kLogisticOut = PerTensor(1.0f / 256, -128);
const TensorQuant kTanhOut = PerTensor(1.0f / 128, 0);

std::vector<uint8_t> Model(OpType op, TensorQuant in_q, TensorQuant out_q, int size,
                           tflite::TensorType type = tflite::TensorType_INT8) {
  ModelBuilder b;
  const int in = b.AddInput(type, {size}, in_q);
  const int out = b.AddOutput(tflite::TensorType_INT8, {size}, out_q);
  b.AddOperator(op, {in}, {out});
  return b.Finish();
}

std::vector<int32_t> RunOp(OpType op, TensorQuant in_q, const std::vector<int8_t>& in) {
  const auto model = Model(op, in_q, op == OpType::kLogistic ? kLogisticOut : kTanhOut,
                           static_cast<int>(in.size()));
  auto outputs = RunReference(model, {ToBytes(in)});
  EXPECT_TRUE(outputs.ok()) << outputs.status();
  if (!outputs.ok()) return {};
  return Widen(FromBytes<int8_t>((*outputs)[0]));
}

// Mid-range values are not worked out by hand (gemmlowp's exp and reciprocal
// are approximations); they are checked against the real function. Their
// error in output LSBs is far below 1e-3 (exp is good to ~3e-7 relative), so
// when the real value is more than 1e-3 from a rounding tie the output must be
// exactly the rounded real value; nearer a tie, within one LSB.
void ExpectMatchesRealFunction(OpType op, float s_in, int zp_in, const std::vector<int8_t>& in) {
  const std::vector<int32_t> got = RunOp(op, PerTensor(s_in, zp_in), in);
  ASSERT_EQ(got.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const double x = static_cast<double>(s_in) * (in[i] - zp_in);
    const double real = op == OpType::kLogistic ? 256.0 / (1.0 + std::exp(-x)) - 128.0
                                                : 128.0 * std::tanh(x);
    const double expected = std::clamp(std::round(real), -128.0, 127.0);
    const double frac = real - std::floor(real);
    if (std::abs(frac - 0.5) > 1e-3) {
      EXPECT_EQ(got[i], expected) << OpTypeName(op) << " x = " << x << ", real " << real;
    } else {
      EXPECT_NEAR(got[i], real, 1.0) << OpTypeName(op) << " x = " << x;
    }
  }
}

TEST(LogisticTest, ZeroRadiusAndSaturation) {
  // s_in = 2^-4: s_in * 2^27 = 2^23 = 0.5 * 2^24 -> M = 2^30, left_shift = 24,
  // radius = floor(15 * 2^27 / 2^24) = 120.
  //   x = 0: logistic(0) = 2^30 (0.5 exactly) -> RDBPOT(2^30, 23) = 128 -> 0
  //   x = +-120 (the radius), 127, -128: saturated to 127 / -128
  //   x = 119: 256 * sigmoid(7.4375) = 255.85 -> 256 - 128 = 128 -> clamped 127
  //   x = -119: 256 * sigmoid(-7.4375) = 0.15 -> 0 -> -128
  EXPECT_EQ(RunOp(OpType::kLogistic, PerTensor(0.0625f, 0), {0, 120, -120, 127, -128, 119, -119}),
            (std::vector<int32_t>{0, 127, -128, 127, -128, 127, -128}));
}

TEST(LogisticTest, ZeroPointExtremes) {
  // zp_in = -128: in = -128 is x = 0 -> 0; in = -8 is x = 120 -> 127; in = 127
  // is x = 255 -> 127. zp_in = 127: in = 127 -> 0; in = 7 is x = -120 -> -128.
  EXPECT_EQ(RunOp(OpType::kLogistic, PerTensor(0.0625f, -128), {-128, -8, 127}),
            (std::vector<int32_t>{0, 127, 127}));
  EXPECT_EQ(RunOp(OpType::kLogistic, PerTensor(0.0625f, 127), {127, 7, -128}),
            (std::vector<int32_t>{0, -128, -128}));
  ExpectMatchesRealFunction(OpType::kLogistic, 0.0625f, -128, {-112, -9, -120, -96});
  ExpectMatchesRealFunction(OpType::kLogistic, 0.0625f, 127, {111, 8, 87, 119});
}

TEST(LogisticTest, MidValuesMatchTheRealFunction) {
  // 256 sigmoid(x) - 128 at x = +-0.5, +-1, +-2.5: +-31.35, +-59.15, +-108.58.
  ExpectMatchesRealFunction(OpType::kLogistic, 0.0625f, 0, {8, -8, 16, -16, 40, -40, 1, -1});
  // s_in = 0.1f = 13421773 * 2^-27: M = 13421773 * 2^7 = 1717986944, shift 24.
  ExpectMatchesRealFunction(OpType::kLogistic, 0.1f, 0, {10, -10, 25, -25, 3, -77});
  // s_in = 2^-6: radius 480, so every int8 input goes through the function.
  ExpectMatchesRealFunction(OpType::kLogistic, 0.015625f, 0, {127, -128, 64, -33});
}

TEST(LogisticTest, LargeInputScale) {
  // s_in = 1: 2^27 = 0.5 * 2^28 -> M = 2^30, left_shift = 28, radius =
  // floor(15 * 2^27 / 2^28) = 7. x = 7 saturates; x = 6: 256 sigmoid(6) =
  // 255.37 -> 127; x = -6: 0.63 -> 1 -> -127 (not saturated); x = 1: 187.15 -> 59.
  EXPECT_EQ(RunOp(OpType::kLogistic, PerTensor(1.0f, 0), {-7, -6, 0, 1, 6, 7}),
            (std::vector<int32_t>{-128, -127, 0, 59, 127, 127}));
}

TEST(TanhTest, ZeroRadiusAndSaturation) {
  // Same input scaling as LOGISTIC (s_in = 2^-4: radius 120).
  //   x = 0: tanh(0) = 0 -> 0;  x = 119: 128 tanh(7.4375) = 127.9999 -> 128 -> 127
  //   x = -119: -127.9999 -> -128
  EXPECT_EQ(RunOp(OpType::kTanh, PerTensor(0.0625f, 0), {0, 120, -120, 127, -128, 119, -119}),
            (std::vector<int32_t>{0, 127, -128, 127, -128, 127, -128}));
  // zp_in extremes: x = in - zp.
  EXPECT_EQ(RunOp(OpType::kTanh, PerTensor(0.0625f, -128), {-128, -8, 127}),
            (std::vector<int32_t>{0, 127, 127}));
  EXPECT_EQ(RunOp(OpType::kTanh, PerTensor(0.0625f, 127), {127, 7, -128}),
            (std::vector<int32_t>{0, -128, -128}));
}

TEST(TanhTest, MidValuesMatchTheRealFunction) {
  // 128 tanh(x) at x = +-0.25, +-0.5, +-1, +-1.5: +-31.35, +-59.15, +-97.48, +-115.86.
  ExpectMatchesRealFunction(OpType::kTanh, 0.0625f, 0, {4, -4, 8, -8, 16, -16, 24, -24, 1});
  ExpectMatchesRealFunction(OpType::kTanh, 0.1f, 0, {10, -10, 5, -5, 13});
  ExpectMatchesRealFunction(OpType::kTanh, 0.015625f, 0, {127, -128, 64, -33});
  ExpectMatchesRealFunction(OpType::kTanh, 0.0625f, -128, {-120, -112, -100});
}

TEST(TanhTest, LargeInputScale) {
  // s_in = 1: radius 7. 128 tanh: x = 1 -> 97.48 -> 97; x = 3 -> 127.37 -> 127;
  // x = 6 -> 127.998 -> 128 -> 127; x = -6 -> -128.
  EXPECT_EQ(RunOp(OpType::kTanh, PerTensor(1.0f, 0), {-7, -6, -1, 0, 1, 3, 6, 7}),
            (std::vector<int32_t>{-128, -128, -97, 0, 97, 127, 127, 127}));
}

TEST(LogisticTanhTest, EveryInputMatchesTheRealFunction) {
  std::vector<int8_t> all;
  for (int v = -128; v <= 127; ++v) all.push_back(static_cast<int8_t>(v));
  for (float s : {0.0625f, 0.1f, 0.02f, 0.0478f, 0.3f}) {
    for (int zp : {-128, -5, 0, 127}) {
      ExpectMatchesRealFunction(OpType::kLogistic, s, zp, all);
      ExpectMatchesRealFunction(OpType::kTanh, s, zp, all);
    }
  }
}

TEST(SigmoidInputScalingTest, MatchesTfliteMicroPrepare) {
  struct Case {
    float scale;
    int32_t multiplier;
    int left_shift;
    int32_t radius;
  };
  // s * 2^27 = q * 2^left_shift, M = q * 2^31, radius = floor(15 * 2^27 / 2^left_shift).
  const Case cases[] = {
      {0.0625f, 1 << 30, 24, 120},       // 2^23
      {0.1f, 1717986944, 24, 120},       // 13421773 = (13421773 / 2^24) * 2^24
      {1.0f, 1 << 30, 28, 7},            // 2^27
      {0.125f, 1 << 30, 25, 60},         // 2^24
      {0.046875f, 1610612736, 23, 240},  // 0.75 * 2^23
      {0.015625f, 1 << 30, 22, 480},     // 2^21
  };
  for (const Case& c : cases) {
    auto model = LoadTestModel(Model(OpType::kTanh, PerTensor(c.scale, 3), kTanhOut, 2));
    ASSERT_TRUE(model.ok()) << model.status();
    const auto& data = static_cast<const TanhData&>((*model)->op_data(0));
    EXPECT_EQ(data.input.multiplier, c.multiplier) << c.scale;
    EXPECT_EQ(data.input.left_shift, c.left_shift) << c.scale;
    EXPECT_EQ(data.input.range_radius, c.radius) << c.scale;
    EXPECT_EQ(data.input.zero_point, 3);
  }
}

TEST(LogisticTanhTest, PrepareRejectsBadModels) {
  const TensorQuant in_q = PerTensor(0.0625f, 0);
  EXPECT_TRUE(LoadFails(Model(OpType::kLogistic, in_q, PerTensor(1.0f / 256, -127), 2),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 LOGISTIC", "scale 1/256 and zero point -128"}));
  EXPECT_TRUE(LoadFails(Model(OpType::kLogistic, in_q, PerTensor(1.0f / 128, -128), 2),
                        absl::StatusCode::kInvalidArgument, {"operator #0 LOGISTIC", "output 0"}));
  EXPECT_TRUE(LoadFails(Model(OpType::kTanh, in_q, PerTensor(1.0f / 128, -128), 2),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 TANH", "scale 1/128 and zero point 0"}));
  EXPECT_TRUE(LoadFails(Model(OpType::kTanh, in_q, PerTensor(1.0f / 256, 0), 2),
                        absl::StatusCode::kInvalidArgument, {"operator #0 TANH", "output 0"}));
  // int16 input.
  EXPECT_TRUE(LoadFails(Model(OpType::kTanh, in_q, kTanhOut, 2, tflite::TensorType_INT16),
                        absl::StatusCode::kUnimplemented, {"operator #0 TANH", "expected int8"}));
  // s_in = 2^-30: s_in * 2^27 = 2^-3 = 0.5 * 2^-2: a negative left shift.
  EXPECT_TRUE(LoadFails(Model(OpType::kLogistic, PerTensor(std::ldexp(1.0f, -30), 0),
                              kLogisticOut, 2),
                        absl::StatusCode::kUnimplemented, {"operator #0 LOGISTIC", "too small"}));
  // Shapes differ.
  {
    ModelBuilder b;
    const int in = b.AddInput(tflite::TensorType_INT8, {2}, in_q);
    const int out = b.AddOutput(tflite::TensorType_INT8, {3}, kLogisticOut);
    b.AddOperator(OpType::kLogistic, {in}, {out});
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kInvalidArgument,
                          {"operator #0 LOGISTIC", "shape differs"}));
  }
}

}  // namespace
}  // namespace tinyserve
