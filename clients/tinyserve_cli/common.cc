#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/tinyserve_cli/commands.h"
#include "google/protobuf/util/json_util.h"

namespace tinyserve::cli {
namespace {

// Certificates, keys and tokens are small; a larger file is not one of them.
constexpr std::streamsize kMaxSecurityFileBytes = 1 << 20;

absl::StatusOr<std::string> ReadSmallFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat(flag, ": cannot read ", path));
  std::string contents(static_cast<size_t>(kMaxSecurityFileBytes) + 1, '\0');
  in.read(contents.data(), kMaxSecurityFileBytes + 1);
  if (in.bad()) return absl::FailedPreconditionError(absl::StrCat(flag, ": cannot read ", path));
  contents.resize(static_cast<size_t>(in.gcount()));
  if (contents.size() > static_cast<size_t>(kMaxSecurityFileBytes)) {
    return absl::FailedPreconditionError(
        absl::StrCat(flag, ": ", path, " is over ", kMaxSecurityFileBytes, " bytes"));
  }
  return contents;
}

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  auto pem = ReadSmallFile(flag, path);
  if (pem.ok() && pem->find("-----BEGIN ") == std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat(flag, ": ", path, " is not a PEM file"));
  }
  return pem;
}

}  // namespace

std::unique_ptr<grpc::ClientContext> Connection::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            std::chrono::duration<double>(timeout_seconds)));
  if (!bearer_token.empty()) context->AddMetadata("authorization", "Bearer " + bearer_token);
  return context;
}

absl::Status Connect(const ChannelSecurity& security, Connection& c) {
  if (security.tls_cert_file.empty() != security.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together: set both or neither");
  }
  const bool tls = security.tls || !security.tls_ca_file.empty() ||
                   !security.tls_cert_file.empty();
  if (!tls && !security.tls_server_name.empty()) {
    return absl::InvalidArgumentError("--tls_server_name needs TLS (--tls or --tls_ca)");
  }
  if (!security.token_file.empty()) {
    auto token = ReadSmallFile("--token_file", security.token_file);
    if (!token.ok()) return token.status();
    c.bearer_token = std::string(absl::StripAsciiWhitespace(*token));
    if (c.bearer_token.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--token_file: ", security.token_file, " holds no token"));
    }
    for (const char ch : c.bearer_token) {
      const auto u = static_cast<unsigned char>(ch);
      if (u <= 0x20 || u >= 0x7f) {
        return absl::FailedPreconditionError(absl::StrCat(
            "--token_file: ", security.token_file,
            ": the token must be one line of printable ASCII without spaces"));
      }
    }
  }
  grpc::ChannelArguments args;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!security.tls_ca_file.empty()) {
      auto ca = ReadPem("--tls_ca", security.tls_ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    if (!security.tls_cert_file.empty()) {
      auto cert = ReadPem("--tls_cert", security.tls_cert_file);
      if (!cert.ok()) return cert.status();
      auto key = ReadPem("--tls_key", security.tls_key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
    if (!security.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(security.tls_server_name);
    }
  }
  c.channel = grpc::CreateCustomChannel(c.server, credentials, args);
  return absl::OkStatus();
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
