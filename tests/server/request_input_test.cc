// Matching a request's input tensors to a model's inputs and preparing their
// bytes (server/request_input.h): by name or position, declared shapes, sizes.
#include "server/request_input.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"

namespace tinyserve::server {
namespace {

// int8[1,4] "x" (scale 0.5, zp 0) + int8[1,4] "y" (scale 0.25, zp 1) -> "z".
std::shared_ptr<const Model> TwoInputModel() {
  testing::ModelBuilder b;
  const int x = b.AddInput(tflite::TensorType_INT8, {1, 4}, testing::PerTensor(0.5f, 0), "x");
  const int y = b.AddInput(tflite::TensorType_INT8, {1, 4}, testing::PerTensor(0.25f, 1), "y");
  const int z = b.AddOutput(tflite::TensorType_INT8, {1, 4}, testing::PerTensor(1.0f, 0), "z");
  b.AddOperator(OpType::kAdd, {x, y}, {z}, tflite::AddOptionsT());
  auto model = testing::LoadTestModel(b.Finish());
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

InputTensorView Raw(std::string name, const std::string& bytes) {
  InputTensorView view;
  view.name = std::move(name);
  view.raw = bytes;
  return view;
}

TEST(PrepareInputsTest, MatchesByNameInAnyOrder) {
  const auto model = TwoInputModel();
  ASSERT_NE(model, nullptr);
  const std::string x("\x01\x02\x03\x04", 4), y("\x05\x06\x07\x08", 4);
  auto prepared = PrepareInputs(*model, {Raw("y", y), Raw("x", x)}, NonFinitePolicy::kReject);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  ASSERT_EQ(prepared->tensors.size(), 2u);
  EXPECT_EQ(prepared->tensors[0], (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(prepared->tensors[1], (std::vector<uint8_t>{5, 6, 7, 8}));
  EXPECT_FALSE(prepared->float_input);
}

TEST(PrepareInputsTest, UnnamedViewsGoByPosition) {
  const auto model = TwoInputModel();
  ASSERT_NE(model, nullptr);
  const std::string x("\x01\x02\x03\x04", 4), y("\x05\x06\x07\x08", 4);
  auto prepared = PrepareInputs(*model, {Raw("", x), Raw("", y)}, NonFinitePolicy::kReject);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(prepared->tensors[1], (std::vector<uint8_t>{5, 6, 7, 8}));
  auto three =
      PrepareInputs(*model, {Raw("", x), Raw("", y), Raw("", y)}, NonFinitePolicy::kReject);
  EXPECT_EQ(three.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(three.status().message(), "3 inputs")) << three.status();
}

TEST(PrepareInputsTest, MissingUnknownAndRepeatedInputsAreNamed) {
  const auto model = TwoInputModel();
  ASSERT_NE(model, nullptr);
  const std::string four(4, '\0');
  struct Case {
    std::vector<InputTensorView> inputs;
    std::vector<std::string> expected;
  } cases[] = {
      {{Raw("x", four)}, {"input 'y'", "int8[1,4]", "missing"}},
      {{Raw("x", four), Raw("w", four)}, {"no input 'w'", "'x', 'y'"}},
      {{Raw("x", four), Raw("x", four)}, {"input 'x'", "twice"}},
      {{}, {"no input"}},
  };
  for (const Case& c : cases) {
    auto prepared = PrepareInputs(*model, c.inputs, NonFinitePolicy::kReject);
    ASSERT_EQ(prepared.status().code(), absl::StatusCode::kInvalidArgument);
    for (const std::string& e : c.expected) {
      EXPECT_TRUE(absl::StrContains(prepared.status().message(), e)) << prepared.status();
    }
  }
}

TEST(PrepareInputsTest, DeclaredShapeAndSizeMustMatch) {
  const auto model = TwoInputModel();
  ASSERT_NE(model, nullptr);
  const std::string four(4, '\0');
  InputTensorView shaped = Raw("x", four);
  shaped.shape = std::vector<int64_t>{4};
  auto prepared = PrepareInputs(*model, {shaped, Raw("y", four)}, NonFinitePolicy::kReject);
  ASSERT_EQ(prepared.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(prepared.status().message(), "shape [4]")) << prepared.status();
  EXPECT_TRUE(absl::StrContains(prepared.status().message(), "int8[1,4]")) << prepared.status();
  shaped.shape = std::vector<int64_t>{1, 4};
  EXPECT_TRUE(PrepareInputs(*model, {shaped, Raw("y", four)}, NonFinitePolicy::kReject).ok());
  auto short_y = PrepareInputs(*model, {shaped, Raw("y", "abc")}, NonFinitePolicy::kReject);
  ASSERT_EQ(short_y.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(short_y.status().message(), "input 'y' has 3 bytes"))
      << short_y.status();
}

TEST(PrepareInputsTest, FloatFiguresCombineOverInputs) {
  const auto model = TwoInputModel();
  ASSERT_NE(model, nullptr);
  // x: 0.5 steps, 0.3 is inexact, 100 clips; y: 0.25 steps, all exact.
  const std::vector<float> x = {0.3f, 1.0f, 100.0f, 0.0f};
  const std::vector<float> y = {0.25f, 0.5f, 0.0f, -0.25f};
  InputTensorView vx, vy;
  vx.name = "x";
  vx.is_float = true;
  vx.values = x;
  vy.name = "y";
  vy.is_float = true;
  vy.values = y;
  auto prepared = PrepareInputs(*model, {vx, vy}, NonFinitePolicy::kReject);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_TRUE(prepared->float_input);
  EXPECT_EQ(prepared->clipped, 1);
  ASSERT_TRUE(prepared->input_sqnr_db.has_value());
  EXPECT_TRUE(std::isfinite(*prepared->input_sqnr_db));  // x's, the lower one
  // y quantized with its own zero point 1: 0.25/0.25 + 1 = 2, ...
  EXPECT_EQ(prepared->tensors[1], (std::vector<uint8_t>{2, 3, 1, 0}));
}

}  // namespace
}  // namespace tinyserve::server
