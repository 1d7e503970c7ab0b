// The pure diff of two devices' outputs (server/output_comparison.h): no
// engine, no server.
#include "server/output_comparison.h"

#include <cstring>
#include <limits>

#include "gtest/gtest.h"

namespace tinyserve::server {
namespace {

ComparedOutputs::Tensor Int8(std::initializer_list<int8_t> values) {
  ComparedOutputs::Tensor t{DataType::kInt8, {}};
  for (int8_t v : values) t.raw.push_back(static_cast<uint8_t>(v));
  return t;
}

template <typename T>
ComparedOutputs::Tensor Typed(DataType dtype, std::initializer_list<T> values) {
  ComparedOutputs::Tensor t{dtype, {}};
  t.raw.resize(values.size() * sizeof(T));
  if (!t.raw.empty()) std::memcpy(t.raw.data(), std::data(values), t.raw.size());
  return t;
}

ComparedOutputs Outputs(std::vector<ComparedOutputs::Tensor> tensors,
                        std::optional<int> top1 = std::nullopt) {
  return {std::move(tensors), top1};
}

TEST(OutputComparisonTest, IdenticalOutputsAreBitExact) {
  const auto a = Outputs({Int8({1, -2, 3}), Int8({127})}, 2);
  auto c = CompareOutputs(a, a);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->bit_exact);
  EXPECT_EQ(c->differing_elements, 0);
  EXPECT_EQ(c->max_abs_diff, 0);
  EXPECT_FALSE(c->first_diff_index.has_value());
  EXPECT_TRUE(c->top1_agrees);
  EXPECT_EQ(ResultOf(*c), ComparisonResult::kExact);
}

TEST(OutputComparisonTest, ReportsCountMaxAndFirstDifferenceAcrossTensors) {
  // Element indices run on across tensors: tensor 1 starts at index 3.
  const auto a = Outputs({Int8({10, 20, 30}), Int8({-128, 0, 5})});
  const auto b = Outputs({Int8({10, 20, 30}), Int8({-125, 0, 4})});
  auto c = CompareOutputs(a, b);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->bit_exact);
  EXPECT_EQ(c->differing_elements, 2);
  EXPECT_EQ(c->max_abs_diff, 3);
  ASSERT_TRUE(c->first_diff_index.has_value());
  EXPECT_EQ(c->first_diff_index, 3);
  EXPECT_EQ(c->first_diff_a, -128);
  EXPECT_EQ(c->first_diff_b, -125);
  EXPECT_EQ(ResultOf(*c), ComparisonResult::kDiffers);
}

TEST(OutputComparisonTest, Int8DifferencesAreSignedValuesNotBytes) {
  // 127 and -128 are one byte step apart but 255 quantized steps.
  auto c = CompareOutputs(Outputs({Int8({127})}), Outputs({Int8({-128})}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_abs_diff, 255);
  EXPECT_EQ(c->first_diff_a, 127);
  EXPECT_EQ(c->first_diff_b, -128);
}

TEST(OutputComparisonTest, WiderIntegerTypes) {
  auto c = CompareOutputs(Outputs({Typed<int16_t>(DataType::kInt16, {-300, 7})}),
                          Outputs({Typed<int16_t>(DataType::kInt16, {-300, 1007})}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->first_diff_index, 1);
  EXPECT_EQ(c->max_abs_diff, 1000);
  c = CompareOutputs(Outputs({Typed<uint8_t>(DataType::kUInt8, {0, 255})}),
                     Outputs({Typed<uint8_t>(DataType::kUInt8, {0, 0})}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->first_diff_a, 255);
  EXPECT_EQ(c->max_abs_diff, 255);
  // Saturates rather than overflowing.
  c = CompareOutputs(
      Outputs({Typed<int64_t>(DataType::kInt64, {std::numeric_limits<int64_t>::min()})}),
      Outputs({Typed<int64_t>(DataType::kInt64, {std::numeric_limits<int64_t>::max()})}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_abs_diff, std::numeric_limits<int64_t>::max());
}

TEST(OutputComparisonTest, Float32DiffersInUlps) {
  const float one = 1.0f;
  const float next = std::nextafter(std::nextafter(one, 2.0f), 2.0f);
  auto c = CompareOutputs(Outputs({Typed<float>(DataType::kFloat32, {one, -0.0f})}),
                          Outputs({Typed<float>(DataType::kFloat32, {next, 0.0f})}));
  ASSERT_TRUE(c.ok());
  // -0 and +0 differ in bits (not bit-exact) but are 0 ULPs apart.
  EXPECT_EQ(c->differing_elements, 2);
  EXPECT_EQ(c->max_abs_diff, 2);
  int32_t bits = 0;
  std::memcpy(&bits, &one, sizeof(bits));
  EXPECT_EQ(c->first_diff_a, bits);
}

TEST(OutputComparisonTest, Top1DisagreementIsTheMostSevereResult) {
  auto c = CompareOutputs(Outputs({Int8({5, 4})}, 0), Outputs({Int8({4, 5})}, 1));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->top1_agrees);
  EXPECT_EQ(ResultOf(*c), ComparisonResult::kTop1Differs);
  EXPECT_STREQ(ComparisonResultName(ResultOf(*c)), "top1_differs");
  // Not a classifier: top-1 agreement holds vacuously.
  c = CompareOutputs(Outputs({Int8({5})}), Outputs({Int8({6})}));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->top1_agrees);
}

TEST(OutputComparisonTest, MismatchedTensorsAreAnInternalError) {
  EXPECT_EQ(CompareOutputs(Outputs({Int8({1})}), Outputs({Int8({1}), Int8({2})})).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(CompareOutputs(Outputs({Int8({1, 2})}), Outputs({Int8({1})})).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(CompareOutputs(Outputs({Int8({1, 2})}),
                           Outputs({Typed<int16_t>(DataType::kInt16, {1})}))
                .status()
                .code(),
            absl::StatusCode::kInternal);
}

TEST(OutputComparisonTest, OutputsOfTakesRawTensorsAndTheFirstRankedClass) {
  InferResult result;
  OutputTensorResult& out = result.outputs.emplace_back();
  out.info.type = DataType::kInt8;
  out.raw = {1, 5, 5};
  result.classes.push_back({1, "", 0.5f, 5});
  result.classes.push_back({2, "", 0.5f, 5});
  const ComparedOutputs outputs = OutputsOf(result);
  ASSERT_EQ(outputs.tensors.size(), 1u);
  EXPECT_EQ(outputs.tensors[0].dtype, DataType::kInt8);
  EXPECT_EQ(outputs.tensors[0].raw, (std::vector<uint8_t>{1, 5, 5}));
  EXPECT_EQ(outputs.top1, 1);
  EXPECT_FALSE(OutputsOf(InferResult()).top1.has_value());
}

}  // namespace
}  // namespace tinyserve::server
