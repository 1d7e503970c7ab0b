// MUL int8 (tflite-int8.md §4.11): out = clamp(zp_out + MBQM((x1 - zp1) * (x2 - zp2),
// M, shift), act_min, act_max) with (M, shift) = QuantizeMultiplier(s1 * s2 / s_out).
// Scales are powers of two so that (M, shift) is obvious; every expected value
// is worked out in the comments (SRDHM ties go up, RDBPOT ties away from zero).
#include <cmath>

#include "engine/op_type.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"

namespace tinyserve {
namespace {

using testing::FromBytes;
using testing::LoadFails;
using testing::ModelBuilder;
using testing::PerTensor;
using testing::RunReference;
using testing::TensorQuant;
using testing::ToBytes;
using testing::Widen;

struct MulCase {
  std::vector<int32_t> shape1, shape2, out_shape;
  TensorQuant q1, q2, qo;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType_NONE;
};

std::vector<uint8_t> MulModel(const MulCase& c) {
  ModelBuilder b;
  const int a = b.AddInput(tflite::TensorType_INT8, c.shape1, c.q1);
  const int x = b.AddInput(tflite::TensorType_INT8, c.shape2, c.q2);
  const int out = b.AddOutput(tflite::TensorType_INT8, c.out_shape, c.qo);
  tflite::MulOptionsT options;
  options.fused_activation_function = c.activation;
  b.AddOperator(OpType::kMul, {a, x}, {out}, options);
  return b.Finish();
}

std::vector<int32_t> RunMul(const MulCase& c, const std::vector<int8_t>& in1,
                            const std::vector<int8_t>& in2) {
  auto outputs = RunReference(MulModel(c), {ToBytes(in1), ToBytes(in2)});
  EXPECT_TRUE(outputs.ok()) << outputs.status();
  if (!outputs.ok()) return {};
  return Widen(FromBytes<int8_t>((*outputs)[0]));
}

TEST(MulTest, DoubleRoundingWithBroadcastScalar) {
  // m = 0.5 * 0.5 / 1 = 0.25 -> M = 2^30, shift = -1: out = RDBPOT(SRDHM(p, 2^30), 1),
  // i.e. p / 2 rounded half up, then / 2 rounded half away from zero.
  MulCase c{{10}, {1}, {10}, PerTensor(0.5f, 0), PerTensor(0.5f, 0), PerTensor(1.0f, 0)};
  //   p:   1   2   3  -1  -2  -3   5  -5   6  -6
  // p/2: 0.5   1 1.5 -.5  -1 -1.5 2.5 -2.5  3  -3
  //  ->    1   1   2   0  -1  -1   3  -2   3  -3
  // /2:  0.5 0.5   1   0 -.5 -.5 1.5  -1 1.5 -1.5
  //  ->    1   1   1   0  -1  -1   2  -1   2  -2
  // (p = 1 gives 1 although 0.25 rounds to 0 in one step; p = 5 gives 2, not 1.)
  EXPECT_EQ(RunMul(c, {1, 2, 3, -1, -2, -3, 5, -5, 6, -6}, {1}),
            (std::vector<int32_t>{1, 1, 1, 0, -1, -1, 2, -1, 2, -2}));
}

TEST(MulTest, ZeroPointsAt127AndRelu6Clamp) {
  // zp1 = zp2 = 127, s1 = s2 = 1/16, s_out = 1/4, zp_out = -128, RELU6.
  // m = 2^-8 / 2^-2 = 2^-6 -> M = 2^30, shift = -5: out = -128 + RDBPOT(SRDHM(p), 5).
  // RELU6 range: [max(-128, -128 + round(0 / 0.25)), min(127, -128 + round(6 / 0.25))]
  //            = [-128, -104].
  MulCase c{{6}, {6}, {6}, PerTensor(0.0625f, 127), PerTensor(0.0625f, 127),
            PerTensor(0.25f, -128), tflite::ActivationFunctionType_RELU6};
  // x1  x2   p = (x1-127)(x2-127)   SRDHM (p/2)   RDBPOT(/32)   + zp   clamp
  // -128 -128  65025                32512.5->32513  1016.03->1016  888  -104
  //  127  -5   0                    0               0              -128 -128
  //  126  126  1                    0.5->1          1/32->0        -128 -128
  //   95   79  (-32)(-48) = 1536    768             24             -104 -104
  //   87   87  (-40)(-40) = 1600    800             25             -103 -104
  //   95   78  (-32)(-49) = 1568    784             24.5->25       -103 -104
  EXPECT_EQ(RunMul(c, {-128, 127, 126, 95, 87, 95}, {-128, -5, 126, 79, 87, 78}),
            (std::vector<int32_t>{-104, -128, -128, -104, -104, -104}));
}

TEST(MulTest, ZeroPointsAtBothExtremesAndOutputZeroPoint127) {
  // zp1 = -128, zp2 = 127, so p = (x1 + 128)(x2 - 127) <= 0; s as above
  // (M = 2^30, shift = -5), zp_out = 127, no activation: range [-128, 127].
  MulCase c{{6}, {6}, {6}, PerTensor(0.0625f, -128), PerTensor(0.0625f, 127),
            PerTensor(0.25f, 127)};
  // x1    x2   p          SRDHM (ties up)     RDBPOT(/32, ties away)  + 127
  //  127 -128  -65025     -32512.5 -> -32512  -1016                   -889 -> -128
  // -128   0   0          0                   0                        127
  // -127  126  -1         -0.5 -> 0           0                        127
  //  -96   95  32*-32     -512                -16                      111
  // -112  125  16*-2=-32  -16                 -0.5 -> -1               126
  // -127  111  1*-16      -8                  -0.25 -> 0               127
  EXPECT_EQ(RunMul(c, {127, -128, -127, -96, -112, -127}, {-128, 0, 126, 95, 125, 111}),
            (std::vector<int32_t>{-128, 127, 127, 111, 126, 127}));
}

TEST(MulTest, FusedReluAndReluN1To1) {
  // s1 = s2 = 0.5, s_out = 0.25: m = 1 -> M = 2^30, shift = 1: out = zp_out + p exactly.
  MulCase relu{{5}, {5}, {5}, PerTensor(0.5f, 0), PerTensor(0.5f, 0), PerTensor(0.25f, -3),
               tflite::ActivationFunctionType_RELU};
  // RELU range [max(-128, -3 + 0), 127] = [-3, 127]; out = -3 + x1 * x2.
  EXPECT_EQ(RunMul(relu, {-10, -1, 0, 5, 100}, {1, 1, 1, 2, 2}),
            (std::vector<int32_t>{-3, -3, -3, 7, 127}));
  // RELU_N1_TO_1 range [max(-128, 0 + round(-1 / 0.25)), min(127, 0 + round(1 / 0.25))] = [-4, 4].
  MulCase n1to1{{5}, {5}, {5}, PerTensor(0.5f, 0), PerTensor(0.5f, 0), PerTensor(0.25f, 0),
                tflite::ActivationFunctionType_RELU_N1_TO_1};
  EXPECT_EQ(RunMul(n1to1, {-10, -4, 3, 5, 100}, {1, 1, 1, 1, 1}),
            (std::vector<int32_t>{-4, -4, 3, 4, 4}));
}

TEST(MulTest, BroadcastingAcrossRanks) {
  // m = 1 (M = 2^30, shift = 1): out = x1 * x2 exactly.
  MulCase c{{2, 1, 3}, {1, 2, 1}, {2, 2, 3}, PerTensor(1.0f, 0), PerTensor(1.0f, 0),
            PerTensor(1.0f, 0)};
  // out[b][i][j] = in1[b][0][j] * in2[0][i][0].
  EXPECT_EQ(RunMul(c, {1, 2, 3, 4, 5, 6}, {10, -1}),
            (std::vector<int32_t>{10, 20, 30, -1, -2, -3, 40, 50, 60, -4, -5, -6}));
  // A rank-1 operand broadcasts over the leading dimension.
  MulCase low_rank{{2, 3}, {3}, {2, 3}, PerTensor(1.0f, 0), PerTensor(1.0f, 0),
                   PerTensor(1.0f, 0)};
  EXPECT_EQ(RunMul(low_rank, {1, 2, 3, 4, 5, 6}, {1, -1, 2}),
            (std::vector<int32_t>{1, -2, 6, 4, -5, 12}));
  // Operands swapped: the broadcast one first.
  MulCase swapped{{3}, {2, 3}, {2, 3}, PerTensor(1.0f, 0), PerTensor(1.0f, 0),
                  PerTensor(1.0f, 0)};
  EXPECT_EQ(RunMul(swapped, {1, -1, 2}, {1, 2, 3, 4, 5, 6}),
            (std::vector<int32_t>{1, -2, 6, 4, -5, 12}));
}

TEST(MulTest, MultiplierRenormalizedFrom2p31) {
  // s1 = 1 + 2^-17, s2 = 1 - 2^-17 (both exact in float32), s_out = 1:
  // m = 1 - 2^-34 exactly in double; frexp gives q = m, and q * 2^31 =
  // 2^31 - 1/8 rounds to 2^31, renormalized to M = 2^30, shift = 1, so out = p.
  // (Without the renormalization M would wrap to -2^31 and negate every product.)
  const float s1 = static_cast<float>(1 + std::ldexp(1.0, -17));
  const float s2 = static_cast<float>(1 - std::ldexp(1.0, -17));
  MulCase c{{3}, {3}, {3}, PerTensor(s1, 0), PerTensor(s2, 0), PerTensor(1.0f, 0)};
  EXPECT_EQ(RunMul(c, {7, -9, 100}, {-9, 7, 1}), (std::vector<int32_t>{-63, -63, 100}));
}

TEST(MulTest, TinyMultiplierFlushesToZero) {
  // m = 2^-20 * 2^-20 / 1 = 2^-40: frexp shift -39 < -31 -> M = 0, shift = 0:
  // every output is the output zero point.
  MulCase c{{3}, {3}, {3}, PerTensor(std::ldexp(1.0f, -20), 0),
            PerTensor(std::ldexp(1.0f, -20), 0), PerTensor(1.0f, 5)};
  EXPECT_EQ(RunMul(c, {127, -128, 1}, {127, 127, 1}), (std::vector<int32_t>{5, 5, 5}));
}

TEST(MulTest, PrepareRejectsBadModels) {
  const TensorQuant q = PerTensor(0.5f, 0);
  // Not broadcastable.
  EXPECT_TRUE(LoadFails(MulModel({{2, 3}, {4}, {2, 3}, q, q, q}),
                        absl::StatusCode::kInvalidArgument, {"operator #0 MUL", "broadcast"}));
  // Output shape is not the broadcast shape.
  EXPECT_TRUE(LoadFails(MulModel({{2, 3}, {3}, {3, 2}, q, q, q}),
                        absl::StatusCode::kInvalidArgument, {"operator #0 MUL", "output 0"}));
  // Input not quantized.
  {
    ModelBuilder b;
    const int a = b.AddInput(tflite::TensorType_INT8, {2});
    const int x = b.AddInput(tflite::TensorType_INT8, {2}, q);
    const int out = b.AddOutput(tflite::TensorType_INT8, {2}, q);
    b.AddOperator(OpType::kMul, {a, x}, {out});
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kInvalidArgument,
                          {"operator #0 MUL", "input 0", "not quantized"}));
  }
  // uint8 is not supported.
  {
    ModelBuilder b;
    const int a = b.AddInput(tflite::TensorType_UINT8, {2}, q);
    const int x = b.AddInput(tflite::TensorType_UINT8, {2}, q);
    const int out = b.AddOutput(tflite::TensorType_UINT8, {2}, q);
    b.AddOperator(OpType::kMul, {a, x}, {out});
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kUnimplemented,
                          {"operator #0 MUL", "expected int8"}));
  }
  // One input only.
  {
    ModelBuilder b;
    const int a = b.AddInput(tflite::TensorType_INT8, {2}, q);
    const int out = b.AddOutput(tflite::TensorType_INT8, {2}, q);
    b.AddOperator(OpType::kMul, {a}, {out});
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kInvalidArgument,
                          {"operator #0 MUL", "has 1 inputs"}));
  }
}

}  // namespace
}  // namespace tinyserve
