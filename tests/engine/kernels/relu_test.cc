// RELU and RELU6 int8 as TensorFlow Lite Micro computes them
// (micro/kernels/activations*.{h,cc}):
//  RELU:  out = clamp(zp_out + MBQM(x - zp_in, M, shift), max(-128, zp_out), 127),
//         (M, shift) = QuantizeMultiplier((double)s_in / (double)s_out).
//  RELU6: out = clamp(x, zp_in, clamp(zp_in + round(6.0f / s_in), -128, 127)); the
//         output quantization is not used (it normally equals the input's).
// Expected values are worked out in the comments.
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

std::vector<uint8_t> Model(OpType op, std::optional<TensorQuant> in_q,
                           std::optional<TensorQuant> out_q, std::vector<int32_t> in_shape,
                           std::vector<int32_t> out_shape = {},
                           tflite::TensorType type = tflite::TensorType_INT8) {
  ModelBuilder b;
  const int in = b.AddInput(type, in_shape, in_q);
  const int out = b.AddOutput(type, out_shape.empty() ? in_shape : out_shape, out_q);
  b.AddOperator(op, {in}, {out});
  return b.Finish();
}

std::vector<int32_t> RunOp(OpType op, TensorQuant in_q, TensorQuant out_q,
                           const std::vector<int8_t>& in) {
  auto outputs =
      RunReference(Model(op, in_q, out_q, {static_cast<int32_t>(in.size())}), {ToBytes(in)});
  EXPECT_TRUE(outputs.ok()) << outputs.status();
  if (!outputs.ok()) return {};
  return Widen(FromBytes<int8_t>((*outputs)[0]));
}

TEST(ReluTest, RequantizesToAnOutputZeroPointOfMinus128) {
  // s_in = 0.5, zp_in = -10 -> s_out = 0.25, zp_out = -128: m = 2 -> M = 2^30,
  // shift = 2: MBQM(x') = 2 x' exactly; out = -128 + 2 (x + 10), range [-128, 127].
  //   x: -128 -11  -10   0   50  53  117  118  127
  //      -364 -130 -128 -108 -8  -2  126  128  146  -> clamped
  EXPECT_EQ(RunOp(OpType::kRelu, PerTensor(0.5f, -10), PerTensor(0.25f, -128),
                  {-128, -11, -10, 0, 50, 53, 117, 118, 127}),
            (std::vector<int32_t>{-128, -128, -128, -108, -8, -2, 126, 127, 127}));
}

TEST(ReluTest, RoundingAndLowerBound) {
  // s_in = 0.25 -> s_out = 0.5, zps 0 and 3: m = 0.5 -> M = 2^30, shift = 0:
  // a single SRDHM (x / 2, ties up); range [max(-128, 3), 127] = [3, 127].
  //   x = 1: 0.5 -> 1 -> 4;  3: 1.5 -> 2 -> 5;  -1: -0.5 -> 0 -> 3;  -3: -1.5 -> -1 -> 2 -> 3
  //   x = 127: 63.5 -> 64 -> 67;  -128: -64 -> -61 -> 3;  0 -> 3
  EXPECT_EQ(RunOp(OpType::kRelu, PerTensor(0.25f, 0), PerTensor(0.5f, 3),
                  {1, 3, -1, -3, 127, -128, 0}),
            (std::vector<int32_t>{4, 5, 3, 3, 67, 3, 3}));
  // zp_out = 127: the range is [127, 127].
  EXPECT_EQ(RunOp(OpType::kRelu, PerTensor(0.25f, 0), PerTensor(0.5f, 127), {-128, 0, 127}),
            (std::vector<int32_t>{127, 127, 127}));
}

TEST(Relu6Test, ClampsInTheInputDomain) {
  // s = 0.125, zp = -20: six = round(6 / 0.125) - 20 = 48 - 20 = 28; range [-20, 28].
  const TensorQuant q = PerTensor(0.125f, -20);
  EXPECT_EQ(RunOp(OpType::kRelu6, q, q, {-128, -21, -20, 0, 28, 29, 127}),
            (std::vector<int32_t>{-20, -20, -20, 0, 28, 28, 28}));
}

TEST(Relu6Test, UpperBoundSaturatesAndRoundsHalfAway) {
  // s = 0.01, zp = 100: 6 / 0.01 = 600 -> 700 -> clamped to 127; range [100, 127].
  const TensorQuant q1 = PerTensor(0.01f, 100);
  EXPECT_EQ(RunOp(OpType::kRelu6, q1, q1, {-128, 99, 100, 126, 127}),
            (std::vector<int32_t>{100, 100, 100, 126, 127}));
  // s = 4, zp = -3: 6 / 4 = 1.5 exactly -> 2 (half away from zero) -> six = -1;
  // range [-3, -1].
  const TensorQuant q2 = PerTensor(4.0f, -3);
  EXPECT_EQ(RunOp(OpType::kRelu6, q2, q2, {-5, -3, -2, -1, 0}),
            (std::vector<int32_t>{-3, -3, -2, -1, -1}));
  // zp = -128: range [-128, -128 + round(6 / 0.05) = -8].
  const TensorQuant q3 = PerTensor(0.05f, -128);
  EXPECT_EQ(RunOp(OpType::kRelu6, q3, q3, {-128, -9, -8, -7, 127}),
            (std::vector<int32_t>{-128, -9, -8, -8, -8}));
}

TEST(Relu6Test, OutputQuantizationIsNotUsed) {
  // TFLite Micro's Relu6 never reads the output's scale or zero point: with an
  // output of s = 0.5, zp = 0 the bytes are those of the first test.
  EXPECT_EQ(RunOp(OpType::kRelu6, PerTensor(0.125f, -20), PerTensor(0.5f, 0),
                  {-128, -21, -20, 0, 28, 29, 127}),
            (std::vector<int32_t>{-20, -20, -20, 0, 28, 28, 28}));
}

TEST(ReluTest, PrepareRejectsBadModels) {
  const TensorQuant q = PerTensor(0.5f, 0);
  for (OpType op : {OpType::kRelu, OpType::kRelu6}) {
    const std::string name = "operator #0 " + OpTypeName(op);
    EXPECT_TRUE(LoadFails(Model(op, q, q, {2}, {3}), absl::StatusCode::kInvalidArgument,
                          {name, "shape differs"}));
    EXPECT_TRUE(LoadFails(Model(op, q, std::nullopt, {2}), absl::StatusCode::kInvalidArgument,
                          {name, "output 0", "not quantized"}));
    EXPECT_TRUE(LoadFails(Model(op, q, q, {2}, {}, tflite::TensorType_INT16),
                          absl::StatusCode::kUnimplemented, {name, "expected int8"}));
  }
}

}  // namespace
}  // namespace tinyserve
