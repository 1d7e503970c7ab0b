// Turns the security flags into what the gRPC and HTTP sides listen with:
// the address (loopback unless clients are authenticated or the operator
// opted out), the gRPC credentials and call gate, and the HTTP token.
// Every file is read here, at start; a bad one is an error naming it.
#ifndef TINYSERVE_SERVER_SECURITY_SETUP_H_
#define TINYSERVE_SERVER_SECURITY_SETUP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"
#include "server/server_app.h"
#include "server/server_credentials.h"

namespace tinyserve::server {

struct SecuritySetup {
  std::string address;  // the host both sides listen on
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
  // The call gate the credentials run (null when none). Held here as well so
  // it outlives the gRPC server: gRPC drops its own reference on a thread of
  // its own at shutdown, possibly while a last Process() is returning.
  std::shared_ptr<grpc::AuthMetadataProcessor> call_gate;
  TlsFiles tls;              // for the HTTP side too (empty: plain HTTP)
  std::string http_bearer_token;  // set with --auth_scope=all only
  // Set whenever --auth_token_file is: what the HTTP admin paths (KServe v2
  // model load/unload) need under either scope.
  std::string http_admin_token;
};

// Logs (spdlog) a warning when it listens on loopback only for want of
// authentication, and a loud one when --insecure_listen_all opens it.
absl::StatusOr<SecuritySetup> SetUpSecurity(const ServerOptions& options);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_SECURITY_SETUP_H_
