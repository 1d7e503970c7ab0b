// KServe v2 (Open Inference Protocol) semantics, shared by its two wire forms:
// gRPC inference.GRPCInferenceService (kserve_grpc_service.h) and REST under
// /v2 on the HTTP port (kserve_rest.h). Each adapter only moves bytes between
// its wire format and these types; names, shapes, datatypes, parameters,
// errors and statistics are decided here, once. docs/kserve.md documents them.
#ifndef TINYSERVE_SERVER_KSERVE_CORE_H_
#define TINYSERVE_SERVER_KSERVE_CORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/classify_pipeline.h"
#include "server/device_run.h"
#include "server/model_loader.h"
#include "server/model_registry.h"
#include "server/model_repository.h"

namespace tinyserve::server::kserve {

// An InferParameter value.
using Parameter = std::variant<bool, int64_t, double, std::string>;
using Parameters = std::map<std::string, Parameter>;

// A tensor on the wire, whatever the protocol sent it as (typed contents, raw
// contents, JSON `data`, a binary section): `data` holds its elements
// little-endian in `datatype` ("BOOL", "UINT8", "INT8", "INT16", "INT32",
// "INT64", "FP32", ...; "BYTES": each element a 4-byte little-endian length
// then its bytes).
struct Tensor {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;
  std::string data;
  Parameters parameters;
};

struct RequestedOutput {
  std::string name;
  Parameters parameters;  // "classification": k (Triton's classification extension)
};

struct InferRequest {
  std::string model_name;
  std::string model_version;  // "" or a decimal version
  std::string id;
  std::vector<Tensor> inputs;
  std::vector<RequestedOutput> outputs;  // empty: every output
  // "device" (string), "top_k" (int), "non_finite" ("reject" | "quantize").
  Parameters parameters;
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<Tensor> outputs;
  Parameters parameters;  // the request's metrics block, docs/kserve.md names them
};

struct TensorMetadata {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;
};

struct ServerMetadata {
  std::string name;
  std::string version;
  std::vector<std::string> extensions;
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorMetadata> inputs, outputs;
};

// The subset of Triton's ModelConfig that clients read (perf_analyzer among
// them): no batching dimension, so max_batch_size is 0 and dims are the full
// tensor shape.
struct ModelConfig {
  std::string name;
  std::string platform;
  std::string backend;
  int max_batch_size = 0;
  std::vector<TensorMetadata> inputs, outputs;  // datatype as "INT8" etc.
};

// Triton's StatisticDuration: how many and their total time.
struct Duration {
  uint64_t count = 0;
  uint64_t ns = 0;
};

struct ModelStatistics {
  std::string name;
  std::string version;
  uint64_t last_inference_ms = 0;  // Unix epoch milliseconds, 0: none yet
  uint64_t inference_count = 0;
  uint64_t execution_count = 0;
  Duration success, fail, queue, compute_input, compute_infer, compute_output;
};

struct RepositoryEntry {
  std::string name;
  std::string version;  // "" for a model not loaded
  std::string state;    // "READY" or "UNAVAILABLE"
  std::string reason;
};

// The v2 datatype name of an engine type: "INT8", "UINT8", "INT16", "INT32",
// "INT64", "FP32", "BOOL".
std::string DatatypeName(DataType type);
// Bytes per element of a v2 datatype; 0 for BYTES and names not known.
size_t DatatypeSize(const std::string& datatype);

// The platform models report in ModelMetadata and ModelConfig.
inline constexpr char kPlatform[] = "tflite_int8";
// ModelConfig's backend.
inline constexpr char kBackend[] = "tinyserve";

class Core {
 public:
  // `ready` says whether the server takes requests (false while it drains).
  // `repository` (may be null) lets RepositoryIndex list models on disk that
  // are not loaded, and ModelReady say false rather than NOT_FOUND for them.
  // `metrics` (may be null) counts requests Infer refuses before the pipeline
  // runs them, as tinyserve.v1 counts its own (model, version and device empty).
  Core(ModelRegistry& registry, const ClassifyPipeline& pipeline, ModelLoader& loader,
       std::function<bool()> ready, const ModelRepository* repository = nullptr,
       ServerMetrics* metrics = nullptr);

  bool ServerLive() const;
  bool ServerReady() const;
  // NOT_FOUND for an unknown model; false when that version is not loaded.
  absl::StatusOr<bool> ModelReady(const std::string& name, const std::string& version) const;
  ServerMetadata Server() const;
  absl::StatusOr<ModelMetadata> Metadata(const std::string& name,
                                         const std::string& version) const;
  absl::StatusOr<ModelConfig> Config(const std::string& name, const std::string& version) const;
  // Every loaded model (and version) when `name` is empty.
  absl::StatusOr<std::vector<ModelStatistics>> Statistics(const std::string& name,
                                                          const std::string& version) const;
  std::vector<RepositoryEntry> RepositoryIndex(bool ready_only) const;
  // Loads / unloads through the Admin service's loader (same queue, same
  // limits); `done` is called once, on the loader thread or inline.
  void Load(const std::string& name, CallContext call, std::function<void(absl::Status)> done);
  void Unload(const std::string& name, CallContext call, std::function<void(absl::Status)> done);

  // Calls `done` exactly once (inline when the request is refused before it
  // queues, else on a device worker). `request` must stay valid until the call
  // returns, `response` until `done`.
  void Infer(const InferRequest& request, InferResponse* response, CallContext call,
             std::function<void(absl::Status)> done) const;

 private:
  // Whether `name` is a model of the repository (loaded or not).
  bool OnDisk(const std::string& name) const;

  ModelRegistry& registry_;
  const ClassifyPipeline& pipeline_;
  ModelLoader& loader_;
  std::function<bool()> ready_;
  const ModelRepository* repository_;
  ServerMetrics* metrics_;
};

}  // namespace tinyserve::server::kserve

#endif  // TINYSERVE_SERVER_KSERVE_CORE_H_
