// A request's input checked against the model's input tensor and turned into
// the tensor's bytes once: float values are quantized (with the error figures
// reported per request), raw bytes are copied. Compare and shadow traffic send
// these same bytes to every device.
#ifndef TINYSERVE_SERVER_REQUEST_INPUT_H_
#define TINYSERVE_SERVER_REQUEST_INPUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model.h"
#include "engine/quant/tensor_quantization.h"
#include "google/protobuf/repeated_field.h"

namespace tinyserve::server {

struct PreparedInput {
  std::vector<uint8_t> bytes;                           // input 0, its dtype
  std::optional<InputQuantizationReport> quantization;  // float input only
  double quantize_seconds = 0;
};

// The request's input: `raw` or `values`, whichever is set (at most one).
// UNIMPLEMENTED for a model with several inputs; INVALID_ARGUMENT when neither
// is set or the size does not match (saying expected vs got).
absl::StatusOr<PreparedInput> PrepareInput(const Model& model, const std::string* raw,
                                           const google::protobuf::RepeatedField<float>* values);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_REQUEST_INPUT_H_
