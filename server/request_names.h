// Names and ids in requests (model, device, version) checked at the API edge,
// before anything looks them up, logs them or echoes them in an error: a name
// of any length or any bytes would otherwise travel back in the status message
// (a 1 MB name resets the stream; a few KB exceed clients' metadata limits).
#ifndef TINYSERVE_SERVER_REQUEST_NAMES_H_
#define TINYSERVE_SERVER_REQUEST_NAMES_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "server/inference_types.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::server {

// Longest model or device name a request may carry, in bytes.
inline constexpr std::size_t kMaxRequestNameBytes = 128;
// Most devices one Compare may name.
inline constexpr int kMaxCompareDevices = 64;

// INVALID_ARGUMENT unless `value` is at most kMaxRequestNameBytes of valid
// UTF-8 without control characters; `what` ("model name") leads the message,
// which echoes only a short escaped prefix of the value. Empty passes (the
// callers say what empty means).
absl::Status CheckRequestName(std::string_view what, std::string_view value);

// Every name and id of a request (version: not negative).
// (Inference requests: input names too.)
absl::Status CheckRequestNames(const InferRequest& request);
absl::Status CheckRequestNames(const CompareRequest& request);
absl::Status CheckRequestNames(const v1::GetModelMetadataRequest& request);
absl::Status CheckRequestNames(const v1::GetShadowMismatchesRequest& request);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_REQUEST_NAMES_H_
