// PAD (tflite-int8.md §4.14): a pure copy; the border holds the output zero
// point for int8/uint8 and 0 for float32/int16/int32.
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

template <typename Padding = int32_t>
std::vector<uint8_t> PadModel(tflite::TensorType type, std::vector<int32_t> in_shape,
                              std::vector<int32_t> out_shape, std::vector<Padding> paddings,
                              std::optional<TensorQuant> in_q = std::nullopt,
                              std::optional<TensorQuant> out_q = std::nullopt) {
  ModelBuilder b;
  const int in = b.AddInput(type, in_shape, in_q);
  const int rank = static_cast<int>(paddings.size() / 2);
  const int pads = b.AddConstant<Padding>(
      sizeof(Padding) == 8 ? tflite::TensorType_INT64 : tflite::TensorType_INT32, {rank, 2},
      paddings);
  const int out = b.AddOutput(type, out_shape, out_q);
  b.AddOperator(OpType::kPad, {in, pads}, {out});
  return b.Finish();
}

template <typename T>
std::vector<T> RunPad(const std::vector<uint8_t>& model, const std::vector<T>& input) {
  auto outputs = RunReference(model, {ToBytes(input)});
  EXPECT_TRUE(outputs.ok()) << outputs.status();
  if (!outputs.ok()) return {};
  return FromBytes<T>((*outputs)[0]);
}

TEST(PadTest, Int8FillsWithTheZeroPoint) {
  // [2,3] padded by one row before and two columns after: [3,5], fill zp = -5.
  const TensorQuant q = PerTensor(0.5f, -5);
  const auto out = RunPad<int8_t>(
      PadModel(tflite::TensorType_INT8, {2, 3}, {3, 5}, std::vector<int32_t>{1, 0, 0, 2}, q, q),
      {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(Widen(out), (std::vector<int32_t>{-5, -5, -5, -5, -5,  //
                                              1,  2,  3,  -5, -5,  //
                                              4,  5,  6,  -5, -5}));
}

TEST(PadTest, Int8ImageStyleWithZeroPoint127) {
  // NHWC [1,2,2,1] padded by 1 on every side of H and W: [1,4,4,1], fill 127.
  const TensorQuant q = PerTensor(0.25f, 127);
  const auto out = RunPad<int8_t>(
      PadModel(tflite::TensorType_INT8, {1, 2, 2, 1}, {1, 4, 4, 1},
               std::vector<int32_t>{0, 0, 1, 1, 1, 1, 0, 0}, q, q),
      {-128, 1, 2, 3});
  EXPECT_EQ(Widen(out), (std::vector<int32_t>{127, 127, 127, 127,  //
                                              127, -128, 1, 127,   //
                                              127, 2, 3, 127,      //
                                              127, 127, 127, 127}));
}

TEST(PadTest, Float32WithInt64Paddings) {
  const auto out = RunPad<float>(
      PadModel<int64_t>(tflite::TensorType_FLOAT32, {2}, {5}, std::vector<int64_t>{2, 1}),
      {1.5f, -2.5f});
  EXPECT_EQ(out, (std::vector<float>{0.0f, 0.0f, 1.5f, -2.5f, 0.0f}));
}

TEST(PadTest, Int16Rank3) {
  // [1,1,2] with paddings (1,0), (0,1), (1,1): [2,2,4]; the first batch is all
  // padding; in the second, row 0 is [0, 300, -300, 0] and row 1 padding.
  const TensorQuant q = PerTensor(1.0f / 4096, 0);
  const auto out = RunPad<int16_t>(
      PadModel(tflite::TensorType_INT16, {1, 1, 2}, {2, 2, 4},
               std::vector<int32_t>{1, 0, 0, 1, 1, 1}, q, q),
      {300, -300});
  EXPECT_EQ(Widen(out), (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 0, 0,  //
                                              0, 300, -300, 0, 0, 0, 0, 0}));
}

TEST(PadTest, Int32Rank6) {
  // [1,1,1,1,1,2] padded before on dim 0 and after on dim 5: [2,1,1,1,1,3].
  const auto out = RunPad<int32_t>(
      PadModel(tflite::TensorType_INT32, {1, 1, 1, 1, 1, 2}, {2, 1, 1, 1, 1, 3},
               std::vector<int32_t>{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
      {7, 8});
  EXPECT_EQ(out, (std::vector<int32_t>{0, 0, 0, 7, 8, 0}));
}

TEST(PadTest, Uint8FillsWithTheZeroPoint) {
  const TensorQuant q = PerTensor(0.5f, 128);
  const auto out = RunPad<uint8_t>(
      PadModel(tflite::TensorType_UINT8, {3}, {5}, std::vector<int32_t>{1, 1}, q, q), {1, 2, 3});
  EXPECT_EQ(Widen(out), (std::vector<int32_t>{128, 1, 2, 3, 128}));
}

TEST(PadTest, NoPaddingIsACopy) {
  const TensorQuant q = PerTensor(0.5f, 0);
  const auto out = RunPad<int8_t>(
      PadModel(tflite::TensorType_INT8, {2, 2}, {2, 2}, std::vector<int32_t>{0, 0, 0, 0}, q, q),
      {1, -2, 3, -4});
  EXPECT_EQ(Widen(out), (std::vector<int32_t>{1, -2, 3, -4}));
}

TEST(PadTest, PrepareRejectsBadModels) {
  const TensorQuant q = PerTensor(0.5f, 0);
  // Output shape is not input + before + after (2 + 1 + 0 = 3, not 4).
  EXPECT_TRUE(LoadFails(
      PadModel(tflite::TensorType_INT8, {2}, {4}, std::vector<int32_t>{1, 0}, q, q),
      absl::StatusCode::kInvalidArgument, {"operator #0 PAD", "output 0", "expected 2 + 1 + 0"}));
  // Negative padding.
  EXPECT_TRUE(LoadFails(
      PadModel(tflite::TensorType_INT8, {2}, {1}, std::vector<int32_t>{-1, 0}, q, q),
      absl::StatusCode::kInvalidArgument, {"operator #0 PAD", "negative padding"}));
  // Paddings shape [1,2] for a rank-2 input.
  EXPECT_TRUE(LoadFails(
      PadModel(tflite::TensorType_INT8, {2, 2}, {3, 2}, std::vector<int32_t>{1, 0}, q, q),
      absl::StatusCode::kInvalidArgument, {"operator #0 PAD", "paddings must have shape [2,2]"}));
  // Quantization differs between input and output.
  EXPECT_TRUE(LoadFails(PadModel(tflite::TensorType_INT8, {2}, {3}, std::vector<int32_t>{1, 0},
                                 q, PerTensor(0.5f, 1)),
                        absl::StatusCode::kInvalidArgument,
                        {"operator #0 PAD", "quantization differs"}));
  // int16 with a nonzero zero point (TFLite Micro would fill with 0).
  EXPECT_TRUE(LoadFails(PadModel(tflite::TensorType_INT16, {2}, {3}, std::vector<int32_t>{1, 0},
                                 PerTensor(1.0f, 3), PerTensor(1.0f, 3)),
                        absl::StatusCode::kUnimplemented, {"operator #0 PAD", "zero point 3"}));
  // Unsupported element type.
  EXPECT_TRUE(LoadFails(PadModel(tflite::TensorType_INT64, {2}, {3}, std::vector<int32_t>{1, 0}),
                        absl::StatusCode::kUnimplemented, {"operator #0 PAD", "input 0"}));
  // Paddings computed at run time.
  {
    ModelBuilder b;
    const int in = b.AddInput(tflite::TensorType_INT8, {2}, q);
    const int pads = b.AddInput(tflite::TensorType_INT32, {1, 2});
    const int out = b.AddOutput(tflite::TensorType_INT8, {3}, q);
    b.AddOperator(OpType::kPad, {in, pads}, {out});
    EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kUnimplemented,
                          {"operator #0 PAD", "must be a constant"}));
  }
}

}  // namespace
}  // namespace tinyserve
