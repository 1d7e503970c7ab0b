// The inputs and outputs of a .tflite model (dtype, shape, quantization),
// read without loading its operators: a model compiled for a board by XMOS's
// xformer holds custom XC_* operators the engine does not run, but its
// signature is all the host needs to talk to the board.
#ifndef TINYSERVE_ENGINE_MODEL_SIGNATURE_H_
#define TINYSERVE_ENGINE_MODEL_SIGNATURE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/graph.h"
#include "engine/model.h"

namespace tinyserve {

struct TensorSignature {
  std::string name;
  DataType type = DataType::kInt8;
  std::vector<int32_t> shape;
  std::vector<float> scales;  // empty: not quantized
  std::vector<int64_t> zero_points;
  size_t bytes = 0;  // element count * element size
};

struct ModelSignature {
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
};

// Reads subgraph 0's inputs and outputs of a .tflite flatbuffer (verified
// first; operators are not looked at). `name` names the model in errors.
absl::StatusOr<ModelSignature> ReadModelSignature(absl::Span<const uint8_t> bytes,
                                                  const std::string& name);
absl::StatusOr<ModelSignature> ReadModelSignatureFile(const std::string& path);

// The signature of a loaded model.
ModelSignature SignatureOf(const Model& model);

// OK when both have the same inputs and outputs (dtype, shape, quantization;
// tensor names may differ); otherwise FAILED_PRECONDITION naming both models
// and the first difference.
absl::Status CheckSameSignature(const ModelSignature& a, const std::string& a_name,
                                const ModelSignature& b, const std::string& b_name);

// "int8[1,96,96,3] scale 0.0078 zero point -1"
std::string TensorSignatureText(const TensorSignature& tensor);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_MODEL_SIGNATURE_H_
