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
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::server {

struct PreparedInput {
  std::vector<uint8_t> bytes;                           // input 0, its dtype
  // Float input only. Its sqnr_db and clipped cover the finite values.
  std::optional<InputQuantizationReport> quantization;
  // Float input only: NaN and +-Inf values, quantized as the policy says.
  int64_t non_finite = 0;
  // The SQNR to report: float input with at least one finite value (+inf
  // when those are exact).
  std::optional<double> input_sqnr_db;
  double quantize_seconds = 0;
};

// NaN and +-Inf among float values: how many, and the first one's index.
struct NonFiniteValues {
  int64_t count = 0;
  int64_t first_index = -1;
  float first_value = 0;
};
NonFiniteValues FindNonFinite(const google::protobuf::RepeatedField<float>& values);

// The request's input: `raw` or `values`, whichever is set (at most one).
// UNIMPLEMENTED for a model with several inputs; INVALID_ARGUMENT when neither
// is set, the size does not match (saying expected vs got), or (policy
// NON_FINITE_REJECT) a float value is NaN or infinite (naming the first).
absl::StatusOr<PreparedInput> PrepareInput(const Model& model, const std::string* raw,
                                           const google::protobuf::RepeatedField<float>* values,
                                           v1::NonFinitePolicy non_finite = v1::NON_FINITE_REJECT);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_REQUEST_INPUT_H_
