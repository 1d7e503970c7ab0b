#include "tests/support/model_builder.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/compiled_model.h"
#include "engine/executor.h"
#include "flatbuffers/flatbuffers.h"

namespace tinyserve::testing {

ModelBuilder::ModelBuilder() {
  model_.version = 3;
  model_.description = "tinyserve test model";
  model_.buffers.push_back(std::make_unique<tflite::BufferT>());  // buffer 0: empty
  model_.subgraphs.push_back(std::make_unique<tflite::SubGraphT>());
}

namespace {

std::unique_ptr<tflite::TensorT> MakeTensor(tflite::TensorType type, std::vector<int32_t> shape,
                                            std::optional<TensorQuant> quant, std::string name) {
  auto t = std::make_unique<tflite::TensorT>();
  t->type = type;
  t->shape = std::move(shape);
  t->name = std::move(name);
  if (quant.has_value()) {
    t->quantization = std::make_unique<tflite::QuantizationParametersT>();
    t->quantization->scale = quant->scales;
    t->quantization->zero_point = quant->zero_points;
    t->quantization->quantized_dimension = quant->quantized_dimension;
  }
  return t;
}

}  // namespace

int ModelBuilder::AddTensor(tflite::TensorType type, std::vector<int32_t> shape,
                            std::optional<TensorQuant> quant, std::string name) {
  auto& tensors = subgraph().tensors;
  if (name.empty()) name = absl::StrCat("t", tensors.size());
  tensors.push_back(MakeTensor(type, std::move(shape), std::move(quant), std::move(name)));
  return static_cast<int>(tensors.size()) - 1;
}

int ModelBuilder::AddConstantTensor(tflite::TensorType type, std::vector<int32_t> shape,
                                    std::vector<uint8_t> data, std::optional<TensorQuant> quant,
                                    std::string name) {
  const int index = AddTensor(type, std::move(shape), std::move(quant), std::move(name));
  auto buffer = std::make_unique<tflite::BufferT>();
  buffer->data = std::move(data);
  model_.buffers.push_back(std::move(buffer));
  subgraph().tensors[index]->buffer = static_cast<uint32_t>(model_.buffers.size() - 1);
  return index;
}

int ModelBuilder::AddInput(tflite::TensorType type, std::vector<int32_t> shape,
                           std::optional<TensorQuant> quant, std::string name) {
  const int index = AddTensor(type, std::move(shape), std::move(quant), std::move(name));
  subgraph().inputs.push_back(index);
  return index;
}

int ModelBuilder::AddOutput(tflite::TensorType type, std::vector<int32_t> shape,
                            std::optional<TensorQuant> quant, std::string name) {
  const int index = AddTensor(type, std::move(shape), std::move(quant), std::move(name));
  subgraph().outputs.push_back(index);
  return index;
}

int ModelBuilder::AddOperator(int builtin_code, std::vector<int32_t> inputs,
                              std::vector<int32_t> outputs, tflite::BuiltinOptionsUnion options,
                              int version) {
  auto& codes = model_.operator_codes;
  auto it = std::find_if(codes.begin(), codes.end(), [&](const auto& c) {
    return c->builtin_code == builtin_code && c->version == version;
  });
  uint32_t opcode_index = static_cast<uint32_t>(it - codes.begin());
  if (it == codes.end()) {
    auto code = std::make_unique<tflite::OperatorCodeT>();
    code->builtin_code = builtin_code;
    // Files written by current converters fill both fields for codes below 127.
    code->deprecated_builtin_code = static_cast<int8_t>(std::min(builtin_code, 127));
    code->version = version;
    codes.push_back(std::move(code));
  }
  auto op = std::make_unique<tflite::OperatorT>();
  op->opcode_index = opcode_index;
  op->inputs = std::move(inputs);
  op->outputs = std::move(outputs);
  op->builtin_options = std::move(options);
  auto& ops = subgraph().operators;
  ops.push_back(std::move(op));
  return static_cast<int>(ops.size()) - 1;
}

int ModelBuilder::AddCustomOperator(const std::string& custom_code, std::vector<int32_t> inputs,
                                    std::vector<int32_t> outputs, std::vector<uint8_t> options,
                                    int version) {
  constexpr int kCustomCode = 32;
  auto& codes = model_.operator_codes;
  auto it = std::find_if(codes.begin(), codes.end(), [&](const auto& c) {
    return c->builtin_code == kCustomCode && c->custom_code == custom_code &&
           c->version == version;
  });
  const uint32_t opcode_index = static_cast<uint32_t>(it - codes.begin());
  if (it == codes.end()) {
    auto code = std::make_unique<tflite::OperatorCodeT>();
    code->builtin_code = kCustomCode;
    code->deprecated_builtin_code = kCustomCode;
    code->custom_code = custom_code;
    code->version = version;
    codes.push_back(std::move(code));
  }
  auto op = std::make_unique<tflite::OperatorT>();
  op->opcode_index = opcode_index;
  op->inputs = std::move(inputs);
  op->outputs = std::move(outputs);
  op->custom_options = std::move(options);
  auto& ops = subgraph().operators;
  ops.push_back(std::move(op));
  return static_cast<int>(ops.size()) - 1;
}

void ModelBuilder::SetInputs(std::vector<int32_t> inputs) { subgraph().inputs = std::move(inputs); }

void ModelBuilder::SetOutputs(std::vector<int32_t> outputs) {
  subgraph().outputs = std::move(outputs);
}

std::vector<uint8_t> ModelBuilder::Finish() const {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(tflite::Model::Pack(fbb, &model_), tflite::ModelIdentifier());
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

absl::StatusOr<std::shared_ptr<const Model>> LoadTestModel(const std::vector<uint8_t>& bytes,
                                                           const std::string& name) {
  return Model::LoadBuffer(absl::MakeConstSpan(bytes), name);
}

::testing::AssertionResult LoadFails(const std::vector<uint8_t>& bytes, absl::StatusCode code,
                                     std::initializer_list<std::string_view> fragments) {
  const absl::Status status = LoadTestModel(bytes).status();
  if (status.code() != code) {
    return ::testing::AssertionFailure() << "expected code " << absl::StatusCodeToString(code)
                                         << ", got " << status;
  }
  const std::string_view message(status.message().data(), status.message().size());
  for (std::string_view f : fragments) {
    if (message.find(f) == std::string_view::npos) {
      return ::testing::AssertionFailure() << "message lacks \"" << f << "\": " << status;
    }
  }
  return ::testing::AssertionSuccess() << status;
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> RunReference(
    const std::vector<uint8_t>& bytes, const std::vector<std::vector<uint8_t>>& inputs,
    const std::string& name) {
  auto model = LoadTestModel(bytes, name);
  if (!model.ok()) return model.status();
  auto compiled = CompiledModel::CompileReference(*model);
  if (!compiled.ok()) return compiled.status();
  Executor executor(*compiled);
  if (static_cast<int>(inputs.size()) != (*model)->num_inputs()) {
    return absl::InvalidArgumentError(absl::StrCat("RunReference: ", inputs.size(),
                                                   " inputs given, the model has ",
                                                   (*model)->num_inputs()));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const absl::Span<uint8_t> in = executor.input(static_cast<int>(i));
    if (in.size() != inputs[i].size()) {
      return absl::InvalidArgumentError(absl::StrCat("RunReference: input ", i, " has ",
                                                     inputs[i].size(), " bytes, the model needs ",
                                                     in.size()));
    }
    std::copy(inputs[i].begin(), inputs[i].end(), in.begin());
  }
  executor.Invoke();
  std::vector<std::vector<uint8_t>> outputs;
  for (int i = 0; i < (*model)->num_outputs(); ++i) {
    const auto out = executor.output(i);
    outputs.emplace_back(out.begin(), out.end());
  }
  return outputs;
}

}  // namespace tinyserve::testing
