// A request's inputs checked against the model's input tensors and turned into
// the tensors' bytes once: float values are quantized (with the error figures
// reported per request), raw bytes are copied. Compare and shadow traffic send
// these same bytes to every device.
#ifndef TINYSERVE_SERVER_REQUEST_INPUT_H_
#define TINYSERVE_SERVER_REQUEST_INPUT_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/model.h"
#include "server/inference_types.h"

namespace tinyserve::server {

struct PreparedInput {
  // One per model input, in model order, each in its tensor's dtype.
  std::vector<std::vector<uint8_t>> tensors;
  // Whether any input came as float values; the figures below cover those.
  bool float_input = false;
  int64_t clipped = 0;     // finite values clipped to the dtype's range
  int64_t non_finite = 0;  // NaN and +-Inf values, quantized as the policy says
  // The SQNR to report: the lowest over float inputs with at least one finite
  // value (+inf when those are exact).
  std::optional<double> input_sqnr_db;
  double quantize_seconds = 0;
};

// NaN and +-Inf among float values: how many, and the first one's index.
struct NonFiniteValues {
  int64_t count = 0;
  int64_t first_index = -1;
  float first_value = 0;
};
NonFiniteValues FindNonFinite(absl::Span<const float> values);

// NaN and +-Inf values over every float input of a request (refused ones
// count too).
int64_t NonFiniteCount(absl::Span<const InputTensorView> inputs);

// Every model input from `inputs`: matched by name when a view has one, else
// by position. INVALID_ARGUMENT (naming the tensor, expected vs got) when an
// input is missing, unknown or given twice, a declared shape or the size does
// not match, or (policy kReject) a float value is NaN or infinite (naming the
// first).
absl::StatusOr<PreparedInput> PrepareInputs(const Model& model,
                                            absl::Span<const InputTensorView> inputs,
                                            NonFinitePolicy non_finite);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_REQUEST_INPUT_H_
