#include <algorithm>
#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/tinyserve_cli/commands.h"
#include "google/protobuf/util/json_util.h"

namespace tinyserve::cli {

std::unique_ptr<grpc::ClientContext> Connection::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            std::chrono::duration<double>(timeout_seconds)));
  return context;
}

grpc::Status GetMetadata(const Connection& c, v1::Inference::Stub& stub, const std::string& model,
                         int64_t version, v1::ModelMetadata* metadata) {
  v1::GetModelMetadataRequest request;
  request.set_model(model);
  request.set_version(version);
  return stub.GetModelMetadata(c.NewContext().get(), request, metadata);
}

absl::Status RequireCompiledOn(const v1::ModelMetadata& metadata,
                               const std::vector<std::string>& devices) {
  if (metadata.devices_size() == 0) return absl::OkStatus();
  std::vector<std::string> compiled;
  for (const auto& d : metadata.devices()) compiled.push_back(d.device());
  for (const std::string& d : devices) {
    // A family ("xcore") is fine when one of its members ("xcore@1-2.3") has it.
    const bool member = std::any_of(compiled.begin(), compiled.end(), [&d](const std::string& c) {
      return c.size() > d.size() && c.compare(0, d.size() + 1, d + "@") == 0;
    });
    if (!member && std::find(compiled.begin(), compiled.end(), d) == compiled.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("model '", metadata.name(), "' v", metadata.version(),
                       " is not compiled on device '", d, "' (it is on ",
                       absl::StrJoin(compiled, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::printf("%s", json.c_str());
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "tinyserve-cli: error: %s\n", message.c_str());
  return 1;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "tinyserve-cli: error: %s\n", message.c_str());
  return 2;
}

const char* StatusCodeName(grpc::StatusCode code) {
  static const char* kCodes[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                                 "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
                                 "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                 "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return index >= 0 && index < 17 ? kCodes[index] : "UNKNOWN";
}

int FailCall(const Connection& c, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return Fail(absl::StrCat("server ", c.server, " unavailable: ", status.error_message()));
  }
  return Fail(absl::StrCat(StatusCodeName(status.error_code()), ": ", status.error_message()));
}

}  // namespace tinyserve::cli
