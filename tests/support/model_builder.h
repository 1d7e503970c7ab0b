// Builds small TFLite models in memory for tests, with the flatbuffers object
// API of the engine's schema subset, and runs them on the reference kernels.
//
//   ModelBuilder b;
//   const int in = b.AddInput(tflite::TensorType_INT8, {1, 4}, PerTensor(0.5f, -1));
//   const int out = b.AddOutput(tflite::TensorType_INT8, {1, 4}, PerTensor(0.5f, -1));
//   b.AddOperator(OpType::kRelu, {in}, {out});
//   auto outputs = RunReference(b.Finish(), {ToBytes<int8_t>({-3, 0, 2, 5})});
#ifndef TINYSERVE_TESTS_SUPPORT_MODEL_BUILDER_H_
#define TINYSERVE_TESTS_SUPPORT_MODEL_BUILDER_H_

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/model.h"
#include "engine/op_type.h"
#include "engine/tflite_subset_generated.h"
#include "gtest/gtest.h"

namespace tinyserve::testing {

// Quantization parameters of one tensor (one entry per channel when per-channel).
struct TensorQuant {
  std::vector<float> scales;
  std::vector<int64_t> zero_points;
  int quantized_dimension = 0;
};

inline TensorQuant PerTensor(float scale, int64_t zero_point) {
  return TensorQuant{{scale}, {zero_point}, 0};
}

class ModelBuilder {
 public:
  // An empty model: schema version 3, buffer 0 present and empty.
  ModelBuilder();

  // A tensor without data (an activation; buffer 0). Returns its index.
  int AddTensor(tflite::TensorType type, std::vector<int32_t> shape,
                std::optional<TensorQuant> quant = std::nullopt, std::string name = "");
  // A tensor with constant data in its own buffer. Returns its index.
  int AddConstantTensor(tflite::TensorType type, std::vector<int32_t> shape,
                        std::vector<uint8_t> data,
                        std::optional<TensorQuant> quant = std::nullopt,
                        std::string name = "");
  template <typename T>
  int AddConstant(tflite::TensorType type, std::vector<int32_t> shape,
                  const std::vector<T>& values, std::optional<TensorQuant> quant = std::nullopt,
                  std::string name = "") {
    std::vector<uint8_t> bytes(values.size() * sizeof(T));
    if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return AddConstantTensor(type, std::move(shape), std::move(bytes), std::move(quant),
                             std::move(name));
  }

  // AddTensor, and append the tensor to the subgraph's inputs (outputs).
  int AddInput(tflite::TensorType type, std::vector<int32_t> shape,
               std::optional<TensorQuant> quant = std::nullopt, std::string name = "");
  int AddOutput(tflite::TensorType type, std::vector<int32_t> shape,
                std::optional<TensorQuant> quant = std::nullopt, std::string name = "");

  // Appends an operator (execution order = call order). The operator code is
  // shared by every operator with the same (code, version). Returns the
  // operator's index.
  int AddOperator(int builtin_code, std::vector<int32_t> inputs, std::vector<int32_t> outputs,
                  tflite::BuiltinOptionsUnion options = {}, int version = 1);
  int AddOperator(OpType op, std::vector<int32_t> inputs, std::vector<int32_t> outputs,
                  int version = 1) {
    return AddOperator(static_cast<int>(op), std::move(inputs), std::move(outputs), {}, version);
  }
  // With a builtin options table (tflite::MulOptionsT, tflite::ReducerOptionsT, ...).
  template <typename Options>
  int AddOperator(OpType op, std::vector<int32_t> inputs, std::vector<int32_t> outputs,
                  Options options, int version = 1) {
    tflite::BuiltinOptionsUnion u;
    u.Set(std::move(options));
    return AddOperator(static_cast<int>(op), std::move(inputs), std::move(outputs), std::move(u),
                       version);
  }

  // A CUSTOM operator (code 32) named `custom_code` ("XC_pad") whose custom
  // options are `options` (a flexbuffer, or any bytes for hostile tests).
  int AddCustomOperator(const std::string& custom_code, std::vector<int32_t> inputs,
                        std::vector<int32_t> outputs, std::vector<uint8_t> options = {},
                        int version = 1);

  void SetInputs(std::vector<int32_t> inputs);
  void SetOutputs(std::vector<int32_t> outputs);

  // The model under construction, for tests that need something unusual.
  tflite::ModelT& model() { return model_; }
  tflite::SubGraphT& subgraph() { return *model_.subgraphs[0]; }

  // The serialized .tflite bytes (with the "TFL3" identifier).
  std::vector<uint8_t> Finish() const;

 private:
  tflite::ModelT model_;
};

// Model::LoadBuffer: reads, validates and prepares every operator.
absl::StatusOr<std::shared_ptr<const Model>> LoadTestModel(const std::vector<uint8_t>& bytes,
                                                           const std::string& name = "test");

// Loads the model, compiles it with the reference kernels, copies inputs[i]
// into model input i (sizes must match exactly), invokes once and returns the
// bytes of every model output.
absl::StatusOr<std::vector<std::vector<uint8_t>>> RunReference(
    const std::vector<uint8_t>& bytes, const std::vector<std::vector<uint8_t>>& inputs,
    const std::string& name = "test");

// Loading fails with `code` and a message containing every fragment, e.g.
//   EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kInvalidArgument,
//                         {"operator #0 MUL", "broadcast"}));
::testing::AssertionResult LoadFails(const std::vector<uint8_t>& bytes, absl::StatusCode code,
                                     std::initializer_list<std::string_view> fragments);

template <typename T>
std::vector<uint8_t> ToBytes(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <typename T>
std::vector<T> FromBytes(absl::Span<const uint8_t> bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

// Widened copies, so gtest prints int8 values as numbers rather than chars.
template <typename T>
std::vector<int32_t> Widen(const std::vector<T>& values) {
  return std::vector<int32_t>(values.begin(), values.end());
}

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SUPPORT_MODEL_BUILDER_H_
