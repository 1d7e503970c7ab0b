// The protocol-neutral shape of an inference request and its result. The
// pipeline (classify_pipeline.h, device_run.h), Compare, shadow traffic and
// the live stats work on these; each wire protocol (tinyserve.v1 in
// v1_conversion.h, KServe v2 in kserve_core.h) only converts to and from them.
#ifndef TINYSERVE_SERVER_INFERENCE_TYPES_H_
#define TINYSERVE_SERVER_INFERENCE_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "devices/device.h"
#include "engine/graph.h"
#include "tinyserve/v1/model_config.pb.h"

namespace tinyserve::server {

// Seconds spent in each stage of one request.
struct StageSeconds {
  double queue = 0, quantize = 0, device = 0, postprocess = 0, total = 0;
};

// What the server does with NaN and +-Inf in float input: an int8 tensor has
// no value for them.
enum class NonFinitePolicy {
  kReject,    // INVALID_ARGUMENT naming the first one
  kQuantize,  // NaN -> zero point, +Inf -> dtype max, -Inf -> dtype min
};

// One input tensor as a request carries it, before it is checked against the
// model. Views: the protocol adapter keeps the memory alive until the
// pipeline call returns (inputs are copied into the request's own bytes
// before anything is queued).
struct InputTensorView {
  // The model input this is for; empty: by position (input i of the request
  // for model input i).
  std::string name;
  // How error messages name this tensor, e.g. "raw_input", "float_input" or
  // "input 'x'"; empty: "input '<name>'".
  std::string label;
  // Exactly one is used: `is_float` selects `values` (real values the server
  // quantizes with the tensor's scale and zero point) over `raw`
  // (little-endian bytes already in the model input's dtype).
  bool is_float = false;
  std::string_view raw;
  absl::Span<const float> values;
  // The shape the client declared; nullopt when the protocol has none (v1):
  // then only the element or byte count is checked.
  std::optional<std::vector<int64_t>> shape;
};

struct InferRequest {
  std::string model;
  int64_t version = 0;        // 0: the highest loaded version
  std::string device;         // empty: the model's default device
  std::vector<InputTensorView> inputs;
  int top_k = 0;              // 0: the model's default_top_k; negative is refused
  NonFinitePolicy non_finite = NonFinitePolicy::kReject;
};

// --- Results ---------------------------------------------------------------------

struct OutputTensorResult {
  TensorInfo info;               // name, dtype, shape, quantization
  std::vector<uint8_t> raw;      // little-endian, info.type
  std::vector<float> values;     // dequantized
};

struct ClassResult {
  int index = 0;
  std::string label;  // empty when the model has no labels
  float score = 0;    // dequantized
  int32_t raw = 0;    // quantized
};

// What Classify's metrics block reports about one request on one device.
struct RequestFigures {
  StageSeconds stages;
  std::string device, device_kind;
  std::optional<int64_t> device_cycles;
  std::optional<double> estimated_chip_us;
  std::optional<int64_t> device_saturation_events;
  std::optional<LinkStats> link;
  // Input 0's quantization parameters.
  float input_scale = 0;
  int64_t input_zero_point = 0;
  // Whether any input was sent as float values; the next three are only
  // meaningful then. Over several float inputs: clipped and non-finite add up,
  // the SQNR is the lowest of them.
  bool float_input = false;
  std::optional<double> input_sqnr_db;
  int64_t input_clipped = 0;
  int64_t input_non_finite = 0;
  int64_t output_at_rails = 0;
};

struct InferResult {
  std::string model;
  int64_t version = 0;
  v1::ModelKind kind = v1::CLASSIFIER;
  std::vector<OutputTensorResult> outputs;
  std::vector<ClassResult> classes;  // classifiers: top-k
  std::optional<double> score;       // regressor value, autoencoder MSE
  RequestFigures figures;
};

// --- Compare ---------------------------------------------------------------------

struct CompareRequest {
  InferRequest request;               // its `device` is ignored
  std::vector<std::string> devices;   // at least two, distinct
};

// How device b's raw outputs differ from device a's, over all output tensors
// in order (element indices count across them, in each tensor's dtype).
struct PairDifference {
  std::string device_a, device_b;
  bool bit_exact = true;
  int64_t differing_elements = 0;
  int64_t max_abs_diff = 0;  // in quantized steps (float32: units in the last place)
  std::optional<int64_t> first_diff_index;
  int64_t first_diff_a = 0, first_diff_b = 0;
  bool top1_agrees = true;
};

struct CompareResult {
  std::string model;
  int64_t version = 0;
  std::vector<std::string> devices;   // request order
  std::vector<InferResult> results;   // one per device, request order
  std::vector<PairDifference> pairs;  // every pair (i < j) in request order
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_INFERENCE_TYPES_H_
