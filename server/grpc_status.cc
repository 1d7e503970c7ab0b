#include "server/grpc_status.h"

#include "absl/strings/ascii.h"
#include "server/safe_text.h"

namespace tinyserve::server {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const absl::string_view message = status.message();  // not std::string_view here
  return grpc::Status(
      static_cast<grpc::StatusCode>(status.code()),
      TruncateUtf8(ValidUtf8({message.data(), message.size()}), kMaxStatusMessageBytes));
}

std::string StatusCodeName(absl::StatusCode code) {
  // absl names codes "NOT_FOUND"-style via StatusCodeToString ("NOT_FOUND").
  return absl::AsciiStrToUpper(absl::StatusCodeToString(code));
}

}  // namespace tinyserve::server
