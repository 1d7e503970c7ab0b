#include "engine/kernels/kernel.h"

#include "absl/strings/str_join.h"

namespace tinyserve {

const TensorInfo* PrepareContext::input(int i) const {
  if (i < 0 || i >= num_inputs() || op_.inputs[i] == kOptionalTensor) return nullptr;
  return &graph_.tensors[op_.inputs[i]];
}

std::string PrepareContext::Where() const {
  return absl::StrCat("model '", model_name_, "': subgraph 0: operator #", op_.index, " ",
                      OpTypeName(op_.type));
}

std::string PrepareContext::TensorLabel(int tensor_index) const {
  const TensorInfo& t = graph_.tensors[tensor_index];
  return absl::StrCat("tensor ", tensor_index, " '", t.name, "' ", DataTypeName(t.type), "[",
                      absl::StrJoin(t.shape, ","), "]");
}

absl::Status PrepareContext::Invalid(const std::string& message) const {
  return absl::InvalidArgumentError(absl::StrCat(Where(), ": ", message));
}

absl::Status PrepareContext::Unimplemented(const std::string& message) const {
  return absl::UnimplementedError(absl::StrCat(Where(), ": ", message));
}

absl::Status PrepareContext::InvalidInput(int i, const std::string& message) const {
  return absl::InvalidArgumentError(
      absl::StrCat(Where(), ": input ", i, " (", TensorLabel(op_.inputs[i]), "): ", message));
}

absl::Status PrepareContext::InvalidOutput(int i, const std::string& message) const {
  return absl::InvalidArgumentError(
      absl::StrCat(Where(), ": output ", i, " (", TensorLabel(op_.outputs[i]), "): ", message));
}

absl::Status PrepareContext::UnsupportedInputType(int i) const {
  return absl::UnimplementedError(absl::StrCat(Where(), ": input ", i, " (",
                                               TensorLabel(op_.inputs[i]),
                                               "): this type is not supported by this op"));
}

absl::Status PrepareContext::CheckArity(int min_inputs, int max_inputs, int outputs) const {
  if (num_inputs() < min_inputs || num_inputs() > max_inputs) {
    return Invalid(min_inputs == max_inputs
                       ? absl::StrCat("has ", num_inputs(), " inputs, expected ", min_inputs)
                       : absl::StrCat("has ", num_inputs(), " inputs, expected ", min_inputs,
                                      " to ", max_inputs));
  }
  if (num_outputs() != outputs) {
    return Invalid(absl::StrCat("has ", num_outputs(), " outputs, expected ", outputs));
  }
  for (int i = 0; i < min_inputs; ++i) {
    if (input(i) == nullptr) return Invalid(absl::StrCat("required input ", i, " is omitted"));
  }
  return absl::OkStatus();
}

absl::Status PrepareContext::CheckInputType(int i, DataType type) const {
  if (input(i)->type != type) {
    return absl::UnimplementedError(absl::StrCat(Where(), ": input ", i, " (",
                                                 TensorLabel(op_.inputs[i]), "): expected ",
                                                 DataTypeName(type)));
  }
  return absl::OkStatus();
}

absl::Status PrepareContext::CheckOutputType(int i, DataType type) const {
  if (output(i).type != type) {
    return absl::UnimplementedError(absl::StrCat(Where(), ": output ", i, " (",
                                                 TensorLabel(op_.outputs[i]), "): expected ",
                                                 DataTypeName(type)));
  }
  return absl::OkStatus();
}

absl::Status PrepareContext::CheckInputRank(int i, int rank) const {
  if (input(i)->rank() != rank) return InvalidInput(i, absl::StrCat("expected rank ", rank));
  return absl::OkStatus();
}

absl::Status PrepareContext::CheckPerTensorQuantized(int i, bool is_output) const {
  const TensorInfo& t = is_output ? output(i) : *input(i);
  if (t.quantization.scales.size() != 1) {
    const std::string message = t.quantization.empty()
                                    ? "is not quantized"
                                    : "must have one scale (per-tensor quantization)";
    return is_output ? InvalidOutput(i, message) : InvalidInput(i, message);
  }
  return absl::OkStatus();
}

absl::Status PrepareContext::CheckConstantInput(int i) const {
  if (!input(i)->is_constant()) {
    return Unimplemented(absl::StrCat("input ", i, " (", TensorLabel(op_.inputs[i]),
                                      ") must be a constant tensor"));
  }
  return absl::OkStatus();
}

absl::Status PrepareContext::CheckSameShape(int in, int out) const {
  if (input(in)->shape != output(out).shape) {
    return InvalidOutput(out, absl::StrCat("shape differs from input ", in, " (",
                                           TensorLabel(op_.inputs[in]), ")"));
  }
  return absl::OkStatus();
}

}  // namespace tinyserve
