// Reads a TFLite flatbuffer into a validated Graph.
//
// Model files are untrusted: every file goes through the flatbuffers Verifier,
// then every index, size, type and quantization parameter is checked before any
// of it is used. Op-specific rules (input counts, shapes, quantization between
// tensors) are checked by each kernel's Prepare, not here.
#ifndef TINYSERVE_ENGINE_TFLITE_READER_H_
#define TINYSERVE_ENGINE_TFLITE_READER_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/graph.h"
#include "engine/model_bytes.h"

namespace tinyserve {

// Limits that keep a hostile file from asking for absurd amounts of memory.
inline constexpr int kMaxTensorRank = 6;
inline constexpr int64_t kMaxTensorBytes = int64_t{1} << 30;

// Parses subgraph 0 of `bytes`. Constant tensors point into `bytes`, which the
// caller keeps alive. Errors are InvalidArgument (malformed or inconsistent
// file) or Unimplemented (valid TFLite that uses ops or types we do not run),
// and name the model, subgraph, operator and tensor.
absl::StatusOr<Graph> ReadTfliteGraph(const ModelBytes& bytes, const std::string& model_name);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_TFLITE_READER_H_
