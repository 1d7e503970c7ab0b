// The one place absl::Status becomes grpc::Status (the codes are the same numbers).
#ifndef TINYSERVE_SERVER_GRPC_STATUS_H_
#define TINYSERVE_SERVER_GRPC_STATUS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace tinyserve::server {

// Longest status message sent, in bytes: it travels in a trailer, and clients
// refuse (or reset the stream on) metadata past a few KiB.
inline constexpr std::size_t kMaxStatusMessageBytes = 1024;

// The same code; the message made valid UTF-8 and cut to
// kMaxStatusMessageBytes (ending in "…" when cut), whatever it holds.
grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "NOT_FOUND", ...: the label value used in metrics.
std::string StatusCodeName(absl::StatusCode code);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_GRPC_STATUS_H_
