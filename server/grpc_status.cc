#include "server/grpc_status.h"

#include "absl/strings/ascii.h"

namespace tinyserve::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

std::string StatusCodeName(absl::StatusCode code) {
  // absl names codes "NOT_FOUND"-style via StatusCodeToString ("NOT_FOUND").
  return absl::AsciiStrToUpper(absl::StatusCodeToString(code));
}

}  // namespace tinyserve::server
