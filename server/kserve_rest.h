// KServe v2 (Open Inference Protocol) REST on the HTTP port: the routes under
// /v2, JSON in and out (nlohmann_json), and Triton's binary tensor data
// extension (a JSON header of Inference-Header-Content-Length bytes, then each
// binary tensor's bytes in order). Semantics live in kserve::Core
// (kserve_core.h); this file only converts. docs/kserve.md, "REST".
#ifndef TINYSERVE_SERVER_KSERVE_REST_H_
#define TINYSERVE_SERVER_KSERVE_REST_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/http_server.h"
#include "server/kserve_core.h"

namespace tinyserve::server::kserve {

// The paths under which the REST side loads and unloads models: what
// --auth_scope=admin protects on HTTP.
inline constexpr char kRestAdminPathPrefix[] = "/v2/repository/models/";

// How deep a JSON body may nest (objects and arrays; `data` is flattened from
// nested arrays within this).
inline constexpr int kMaxJsonDepth = 32;

// How long a REST inference may take in the server (queue and device) before
// it is answered 504: an HTTP client sends no deadline, and the request holds
// one of the HTTP worker threads while it waits.
inline constexpr std::chrono::seconds kRestInferDeadline{30};

// An infer request as the REST body carried it.
struct RestInferRequest {
  InferRequest request;
  // Outputs to send as binary sections: every output when `all_binary` (the
  // request parameter binary_data_output, or no outputs named and the
  // parameter true), else the named ones whose parameter binary_data is true.
  bool all_binary = false;
  std::set<std::string> binary_outputs;
};

// Parses a POST .../infer body for `model` (and `version`, "" for any).
// `header_length`: the Inference-Header-Content-Length header (nullptr when
// absent: the whole body is JSON). Every size is checked against the body:
// INVALID_ARGUMENT naming what was wrong, never a crash.
absl::StatusOr<RestInferRequest> ParseRestInferRequest(absl::string_view body,
                                                       const std::string* header_length,
                                                       const std::string& model,
                                                       const std::string& version);

struct RestInferBody {
  std::string body;
  // Set when binary sections follow the JSON: its size (the
  // Inference-Header-Content-Length response header).
  std::optional<size_t> json_size;
};

// The response body: JSON `data` for each output, or binary sections for
// those `how` asks for.
absl::StatusOr<RestInferBody> EncodeRestInferResponse(const InferResponse& response,
                                                      const RestInferRequest& how);

// The HTTP status for a Core error (400 invalid, 404 unknown model, ...).
int HttpStatusOf(const absl::Status& status);

// Every /v2 route. Stateless beyond `core`; Handle is called on civetweb's
// threads, concurrently, and blocks while an inference or load runs.
class RestApi {
 public:
  explicit RestApi(Core& core) : core_(core) {}

  HttpReply Handle(const HttpRequest& request) const;

 private:
  Core& core_;
};

}  // namespace tinyserve::server::kserve

#endif  // TINYSERVE_SERVER_KSERVE_REST_H_
