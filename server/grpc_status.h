// The one place absl::Status becomes grpc::Status (the codes are the same numbers).
#ifndef TINYSERVE_SERVER_GRPC_STATUS_H_
#define TINYSERVE_SERVER_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace tinyserve::server {

grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "NOT_FOUND", ...: the label value used in metrics.
std::string StatusCodeName(absl::StatusCode code);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_GRPC_STATUS_H_
