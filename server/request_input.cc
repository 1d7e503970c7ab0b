#include "server/request_input.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tinyserve::server {

absl::StatusOr<PreparedInput> PrepareInput(const Model& model, const std::string* raw,
                                           const google::protobuf::RepeatedField<float>* values) {
  const auto start = std::chrono::steady_clock::now();
  if (model.num_inputs() != 1) {
    return absl::UnimplementedError(absl::StrCat("model '", model.name(), "' has ",
                                                 model.num_inputs(),
                                                 " inputs; only single-input models are served"));
  }
  const TensorInfo& tensor = model.input(0);
  const std::string expected = absl::StrCat(DataTypeName(tensor.type), "[",
                                            absl::StrJoin(tensor.shape, ","), "]");
  PreparedInput prepared;
  prepared.bytes.resize(tensor.bytes);
  if (raw != nullptr) {
    if (raw->size() != tensor.bytes) {
      return absl::InvalidArgumentError(absl::StrCat("raw_input has ", raw->size(),
                                                     " bytes; model '", model.name(),
                                                     "' input '", tensor.name, "' is ",
                                                     expected, " = ", tensor.bytes, " bytes"));
    }
    std::copy(raw->begin(), raw->end(), prepared.bytes.begin());
  } else if (values != nullptr) {
    if (values->size() != tensor.num_elements()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "float_input has ", values->size(), " values; model '", model.name(), "' input '",
          tensor.name, "' is ", expected, " = ", tensor.num_elements(), " values"));
    }
    auto report = QuantizeInput(tensor, absl::MakeConstSpan(values->data(), values->size()),
                                absl::MakeSpan(prepared.bytes));
    if (!report.ok()) return report.status();
    prepared.quantization = *report;
  } else {
    return absl::InvalidArgumentError(
        "the request carries no input (set raw_input or float_input)");
  }
  prepared.quantize_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return prepared;
}

}  // namespace tinyserve::server
