// CONCATENATION (tflite-int8.md §4.14): a byte copy along the axis (negative
// axis += rank); quantized inputs must share the output's scale and zero point.
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

tflite::ConcatenationOptionsT Axis(int axis, tflite::ActivationFunctionType activation =
                                                 tflite::ActivationFunctionType_NONE) {
  tflite::ConcatenationOptionsT options;
  options.axis = axis;
  options.fused_activation_function = activation;
  return options;
}

// Concatenates model inputs of `shapes` into `out_shape`.
std::vector<uint8_t> ConcatModel(tflite::TensorType type,
                                 const std::vector<std::vector<int32_t>>& shapes,
                                 std::vector<int32_t> out_shape, int axis,
                                 std::optional<TensorQuant> q = std::nullopt,
                                 std::optional<TensorQuant> out_q = std::nullopt) {
  ModelBuilder b;
  std::vector<int32_t> inputs;
  for (const auto& shape : shapes) inputs.push_back(b.AddInput(type, shape, q));
  const int out = b.AddOutput(type, out_shape, out_q.has_value() ? out_q : q);
  b.AddOperator(OpType::kConcatenation, inputs, {out}, Axis(axis));
  return b.Finish();
}

template <typename T>
std::vector<T> RunConcat(const std::vector<uint8_t>& model,
                         const std::vector<std::vector<T>>& inputs) {
  std::vector<std::vector<uint8_t>> bytes;
  for (const auto& in : inputs) bytes.push_back(ToBytes(in));
  auto outputs = RunReference(model, bytes);
  EXPECT_TRUE(outputs.ok()) << outputs.status();
  if (!outputs.ok()) return {};
  return FromBytes<T>((*outputs)[0]);
}

TEST(ConcatenationTest, Int8InnerAxis) {
  // [2,1] ++ [2,2] on axis 1: row r is in1[r] followed by in2[r].
  const auto model = ConcatModel(tflite::TensorType_INT8, {{2, 1}, {2, 2}}, {2, 3}, 1,
                                 PerTensor(0.5f, 3));
  EXPECT_EQ(Widen(RunConcat<int8_t>(model, {{1, 2}, {3, 4, 5, 6}})),
            (std::vector<int32_t>{1, 3, 4, 2, 5, 6}));
}

TEST(ConcatenationTest, Float32NegativeAxisThreeInputs) {
  // Axis -1 of rank 2 is axis 1.
  const auto model =
      ConcatModel(tflite::TensorType_FLOAT32, {{1, 2}, {1, 1}, {1, 3}}, {1, 6}, -1);
  EXPECT_EQ(RunConcat<float>(model, {{1.5f, 2.5f}, {-1.0f}, {7.0f, 8.0f, 9.0f}}),
            (std::vector<float>{1.5f, 2.5f, -1.0f, 7.0f, 8.0f, 9.0f}));
}

TEST(ConcatenationTest, Int32OuterAxis) {
  const auto model = ConcatModel(tflite::TensorType_INT32, {{1, 2}, {2, 2}}, {3, 2}, 0);
  EXPECT_EQ(RunConcat<int32_t>(model, {{1, 2}, {3, 4, 5, 6}}),
            (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
}

TEST(ConcatenationTest, Int16MiddleAxisNegative) {
  // Rank 3, axis -2 = 1: [2,1,2] ++ [2,2,2] -> [2,3,2]; per outer index b the
  // output holds in1[b] (2 values) then in2[b] (4 values).
  const TensorQuant q = PerTensor(1.0f / 4096, 0);
  const auto model =
      ConcatModel(tflite::TensorType_INT16, {{2, 1, 2}, {2, 2, 2}}, {2, 3, 2}, -2, q);
  EXPECT_EQ(Widen(RunConcat<int16_t>(model, {{1, 2, 3, 4}, {10, 11, 12, 13, 20, 21, 22, 23}})),
            (std::vector<int32_t>{1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23}));
}

TEST(ConcatenationTest, WithAConstantInput) {
  const TensorQuant q = PerTensor(0.5f, -128);
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 2}, q);
  const int k = b.AddConstant<int8_t>(tflite::TensorType_INT8, {1, 2}, {-128, 127}, q);
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 4}, q);
  b.AddOperator(OpType::kConcatenation, {k, in}, {out}, Axis(1));
  auto outputs = RunReference(b.Finish(), {ToBytes<int8_t>({5, -6})});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  EXPECT_EQ(Widen(FromBytes<int8_t>((*outputs)[0])), (std::vector<int32_t>{-128, 127, 5, -6}));
}

TEST(ConcatenationTest, PrepareRejectsBadModels) {
  const TensorQuant q = PerTensor(0.5f, 3);
  const auto kInt8 = tflite::TensorType_INT8;
  // Scale or zero point differs from the output's.
  {
    ModelBuilder b;
    const int a = b.AddInput(kInt8, {1, 2}, q);
    const int c = b.AddInput(kInt8, {1, 2}, PerTensor(0.5f, 4));
    const int out = b.AddOutput(kInt8, {1, 4}, q);
    b.AddOperator(OpType::kConcatenation, {a, c}, {out}, Axis(1));
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kInvalidArgument,
                          {"operator #0 CONCATENATION", "input 1", "quantization differs"}));
  }
  EXPECT_TRUE(LoadFails(ConcatModel(kInt8, {{1, 2}, {1, 2}}, {1, 4}, 1, q, PerTensor(0.25f, 3)),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 CONCATENATION", "input 0", "quantization differs"}));
  // A non-axis dimension differs.
  EXPECT_TRUE(LoadFails(ConcatModel(kInt8, {{1, 2}, {2, 2}}, {1, 4}, 1, q),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 CONCATENATION", "input 1", "dimension 0 is 2"}));
  // The axis sizes do not add up.
  EXPECT_TRUE(LoadFails(ConcatModel(kInt8, {{1, 2}, {1, 2}}, {1, 5}, 1, q),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 CONCATENATION", "sum to 4"}));
  // Axis out of range, both signs.
  EXPECT_TRUE(LoadFails(ConcatModel(kInt8, {{1, 2}, {1, 2}}, {1, 4}, 2, q),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 CONCATENATION", "axis 2 is out of range"}));
  EXPECT_TRUE(LoadFails(ConcatModel(kInt8, {{1, 2}, {1, 2}}, {1, 4}, -3, q),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 CONCATENATION", "axis -3"}));
  // Rank differs.
  EXPECT_TRUE(LoadFails(ConcatModel(kInt8, {{1, 2}, {2}}, {1, 4}, 1, q),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 CONCATENATION", "input 1", "rank"}));
  // Type differs.
  {
    ModelBuilder b;
    const int a = b.AddInput(kInt8, {1, 2}, q);
    const int c = b.AddInput(tflite::TensorType_INT16, {1, 2}, q);
    const int out = b.AddOutput(kInt8, {1, 4}, q);
    b.AddOperator(OpType::kConcatenation, {a, c}, {out}, Axis(1));
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kInvalidArgument,
                          {"operator #0 CONCATENATION", "input 1", "type"}));
  }
  // A fused activation.
  {
    ModelBuilder b;
    const int a = b.AddInput(kInt8, {1, 2}, q);
    const int c = b.AddInput(kInt8, {1, 2}, q);
    const int out = b.AddOutput(kInt8, {1, 4}, q);
    b.AddOperator(OpType::kConcatenation, {a, c}, {out},
                  Axis(1, tflite::ActivationFunctionType_RELU));
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kUnimplemented,
                          {"operator #0 CONCATENATION", "fused activation"}));
  }
}

}  // namespace
}  // namespace tinyserve
