// The signature reader: inputs and outputs of a .tflite without loading its
// operators (xformer output has XMOS custom ops the engine refuses).
#include "engine/model_signature.h"

#include <string>

#include "engine/model.h"
#include "engine/op_type.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

using testing::ModelBuilder;
using testing::PerTensor;

void ExpectSame(const TensorSignature& a, const TensorSignature& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.scales, b.scales);
  EXPECT_EQ(a.zero_points, b.zero_points);
  EXPECT_EQ(a.bytes, b.bytes);
}

TEST(ModelSignatureTest, BundledModelsReadTheSameAsTheLoadedModel) {
  for (const std::string& name : testing::BundledModelNames()) {
    SCOPED_TRACE(name);
    const std::string path = testing::BundledModelPath(name);
    auto model = Model::LoadFile(path);
    ASSERT_TRUE(model.ok()) << model.status();
    auto read = ReadModelSignatureFile(path);
    ASSERT_TRUE(read.ok()) << read.status();
    const ModelSignature loaded = SignatureOf(**model);
    ASSERT_EQ(read->inputs.size(), loaded.inputs.size());
    ASSERT_EQ(read->outputs.size(), loaded.outputs.size());
    for (size_t i = 0; i < loaded.inputs.size(); ++i) ExpectSame(read->inputs[i], loaded.inputs[i]);
    for (size_t o = 0; o < loaded.outputs.size(); ++o) {
      ExpectSame(read->outputs[o], loaded.outputs[o]);
    }
    EXPECT_TRUE(CheckSameSignature(*read, "a", loaded, "b").ok());
  }
}

// An xformer-like file: one custom XC_ operator between int8 input and output.
std::vector<uint8_t> CustomOpModel(std::vector<int32_t> input_shape, float output_scale) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, std::move(input_shape),
                            PerTensor(0.5f, -1), "image");
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 4}, PerTensor(output_scale, 3),
                              "scores");
  b.AddOperator(/*CUSTOM*/ 32, {in}, {out});
  // An XMOS operator the engine does not read (float convolution).
  b.model().operator_codes.back()->custom_code = "XC_beta_convf32";
  return b.Finish();
}

TEST(ModelSignatureTest, ReadsAModelWithCustomOpsTheEngineRefuses) {
  const std::vector<uint8_t> bytes = CustomOpModel({1, 8, 8, 3}, 0.25f);
  auto model = Model::LoadBuffer(bytes, "xformed");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kUnimplemented);

  auto sig = ReadModelSignature(bytes, "xformed");
  ASSERT_TRUE(sig.ok()) << sig.status();
  ASSERT_EQ(sig->inputs.size(), 1u);
  ASSERT_EQ(sig->outputs.size(), 1u);
  EXPECT_EQ(sig->inputs[0].name, "image");
  EXPECT_EQ(sig->inputs[0].type, DataType::kInt8);
  EXPECT_EQ(sig->inputs[0].shape, (std::vector<int32_t>{1, 8, 8, 3}));
  EXPECT_EQ(sig->inputs[0].bytes, 192u);
  EXPECT_EQ(sig->inputs[0].scales, (std::vector<float>{0.5f}));
  EXPECT_EQ(sig->inputs[0].zero_points, (std::vector<int64_t>{-1}));
  EXPECT_EQ(sig->outputs[0].bytes, 4u);
  EXPECT_EQ(TensorSignatureText(sig->outputs[0]), "int8[1,4] scale 0.25 zero point 3");
}

TEST(ModelSignatureTest, DifferencesNameBothModelsAndTheFirstDifference) {
  auto a = ReadModelSignature(CustomOpModel({1, 8, 8, 3}, 0.25f), "a");
  auto shape = ReadModelSignature(CustomOpModel({1, 8, 8, 1}, 0.25f), "b");
  auto quant = ReadModelSignature(CustomOpModel({1, 8, 8, 3}, 0.5f), "c");
  ASSERT_TRUE(a.ok() && shape.ok() && quant.ok());
  const absl::Status s = CheckSameSignature(*a, "served.tflite", *shape, "fw.tflite");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  for (const char* part : {"served.tflite", "fw.tflite", "input 0", "int8[1,8,8,3] vs int8[1,8,8,1]"}) {
    EXPECT_NE(s.message().find(part), std::string::npos) << part << " in " << s;
  }
  const absl::Status q = CheckSameSignature(*a, "served.tflite", *quant, "fw.tflite");
  EXPECT_EQ(q.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(q.message().find("output 0: quantization scale 0.25"), std::string::npos) << q;
}

TEST(ModelSignatureTest, GarbageIsRefused) {
  const std::vector<uint8_t> junk(64, 0x5a);
  auto sig = ReadModelSignature(junk, "junk");
  EXPECT_EQ(sig.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> truncated = CustomOpModel({1, 8, 8, 3}, 0.25f);
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(ReadModelSignature(truncated, "half").ok());
  EXPECT_EQ(ReadModelSignatureFile("/nonexistent/model.tflite").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tinyserve
