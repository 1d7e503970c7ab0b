// The reader on XMOS's custom operators (xcore-opt output): which it accepts,
// how it refuses the ones it doesn't read, and how it checks their options
// and scratch tensors before any prepare runs.
#include <string>
#include <vector>

#include "engine/model_bytes.h"
#include "engine/tflite_reader.h"
#include "flatbuffers/flexbuffers.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"

namespace tinyserve {
namespace {

using ::tinyserve::testing::ModelBuilder;
using ::tinyserve::testing::PerTensor;

std::vector<uint8_t> PadValueOptions(int32_t pad_value) {
  flexbuffers::Builder fbb;
  fbb.Map([&] { fbb.Int("pv", pad_value); });
  fbb.Finish();
  return fbb.GetBuffer();
}

// input [1,2,2,3] -> XC_pad_3_to_4 -> [1,2,2,4], with `options`.
ModelBuilder PadModel(std::vector<uint8_t> options, const std::string& name = "XC_pad_3_to_4") {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 2, 2, 3}, PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 2, 2, 4}, PerTensor(0.5f, 0));
  b.AddCustomOperator(name, {in}, {out}, std::move(options));
  return b;
}

// Only the status is used: the graph's constant data and option bytes point
// into the file bytes, which this frees.
absl::StatusOr<Graph> Read(const std::vector<uint8_t>& bytes) {
  return ReadTfliteGraph(*ModelBytes::Copy(bytes), "xc");
}

TEST(XcoreReaderTest, ReadsAnXmosOperatorWithItsOptionBytes) {
  const std::vector<uint8_t> options = PadValueOptions(0);
  const auto bytes = ModelBytes::Copy(PadModel(options).Finish());  // outlives the graph
  auto graph = ReadTfliteGraph(*bytes, "xc");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->operators.size(), 1u);
  EXPECT_EQ(graph->operators[0].type, OpType::kXcPad3To4);
  const auto* xc = std::get_if<XcoreOptions>(&graph->operators[0].options);
  ASSERT_NE(xc, nullptr);
  EXPECT_EQ(std::vector<uint8_t>(xc->flexbuffer.begin(), xc->flexbuffer.end()), options);
}

TEST(XcoreReaderTest, UnknownXmosOperatorIsRefusedByName) {
  auto graph = Read(PadModel(PadValueOptions(0), "XC_conv2d_v9").Finish());
  ASSERT_EQ(graph.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(graph.status().message().find("unknown XMOS operator 'XC_conv2d_v9'"),
            std::string::npos)
      << graph.status();
  EXPECT_NE(graph.status().message().find("operator #0"), std::string::npos);
}

TEST(XcoreReaderTest, OtherCustomOperatorsAreListedAsUnsupported) {
  auto graph = Read(PadModel(PadValueOptions(0), "TFLite_Detection_PostProcess").Finish());
  ASSERT_EQ(graph.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(graph.status().message().find("CUSTOM 'TFLite_Detection_PostProcess'"),
            std::string::npos)
      << graph.status();
}

TEST(XcoreReaderTest, XmosOperatorAtAnotherVersionIsUnsupported) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 2, 2, 3}, PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 2, 2, 4}, PerTensor(0.5f, 0));
  b.AddCustomOperator("XC_pad_3_to_4", {in}, {out}, PadValueOptions(0), /*version=*/2);
  auto graph = Read(b.Finish());
  ASSERT_EQ(graph.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(graph.status().message().find("'XC_pad_3_to_4' v2"), std::string::npos)
      << graph.status();
}

TEST(XcoreReaderTest, OptionsThatAreNotAFlexbufferAreRefused) {
  // Every truncation of a valid buffer, and plain garbage.
  const std::vector<uint8_t> valid = PadValueOptions(0x01020304);
  for (size_t n = 1; n < valid.size(); ++n) {
    std::vector<uint8_t> cut(valid.begin(), valid.begin() + n);
    auto graph = Read(PadModel(cut).Finish());
    EXPECT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument) << "length " << n;
  }
  auto graph = Read(PadModel({0xff, 0xff, 0xff, 0xff, 0x7f, 0x01}).Finish());
  ASSERT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(graph.status().message().find("XC_pad_3_to_4: custom options are not a valid "
                                          "flexbuffer"),
            std::string::npos)
      << graph.status();
}

TEST(XcoreReaderTest, OptionsThatAreNotAMapAreRefused) {
  flexbuffers::Builder fbb;
  fbb.Int(7);
  fbb.Finish();
  auto graph = Read(PadModel(fbb.GetBuffer()).Finish());
  ASSERT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(graph.status().message().find("not a flexbuffer map"), std::string::npos)
      << graph.status();
}

TEST(XcoreReaderTest, UnknownOptionsFormatIsRefused) {
  ModelBuilder b = PadModel(PadValueOptions(0));
  b.subgraph().operators[0]->custom_options_format = 1;
  auto graph = Read(b.Finish());
  ASSERT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(graph.status().message().find("custom options format 1"), std::string::npos)
      << graph.status();
}

// xcore-opt gives XC ops a scratch tensor input that no operator writes.
ModelBuilder ScratchModel(bool second_reader_is_xcore) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 2, 2, 3}, PerTensor(0.5f, 0));
  const int mid = b.AddTensor(tflite::TensorType_INT8, {1, 2, 2, 4}, PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 2, 2, 4}, PerTensor(0.5f, 0));
  const int scratch = b.AddTensor(tflite::TensorType_INT8, {64});
  b.AddCustomOperator("XC_pad_3_to_4", {in, scratch}, {mid}, PadValueOptions(0));
  if (second_reader_is_xcore) {
    b.AddCustomOperator("XC_no_op", {mid, scratch}, {out});
  } else {
    b.AddOperator(OpType::kRelu, {scratch}, {out});
  }
  return b;
}

TEST(XcoreReaderTest, AScratchTensorIsAcceptedForOneXmosOperator) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 2, 2, 3}, PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 2, 2, 4}, PerTensor(0.5f, 0));
  const int scratch = b.AddTensor(tflite::TensorType_INT8, {64});
  b.AddCustomOperator("XC_pad_3_to_4", {in, scratch}, {out}, PadValueOptions(0));
  auto graph = Read(b.Finish());
  EXPECT_TRUE(graph.ok()) << graph.status();
}

TEST(XcoreReaderTest, AScratchTensorSharedByTwoOperatorsIsRefused) {
  for (bool xcore : {true, false}) {
    auto graph = Read(ScratchModel(xcore).Finish());
    ASSERT_EQ(graph.status().code(), absl::StatusCode::kInvalidArgument) << xcore;
    EXPECT_NE(graph.status().message().find("before any operator produces it"),
              std::string::npos)
        << graph.status();
  }
}

}  // namespace
}  // namespace tinyserve
