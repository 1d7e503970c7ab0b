// The gRPC listening port's credentials: TLS from PEM files (read and checked
// at start), plus the call gate (token, rate limit) when one is configured.
#ifndef TINYSERVE_SERVER_SERVER_CREDENTIALS_H_
#define TINYSERVE_SERVER_SERVER_CREDENTIALS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/auth_metadata_processor.h"
#include "grpcpp/security/server_credentials.h"

namespace tinyserve::server {

// --tls_cert/--tls_key/--tls_client_ca (paths; empty when not set).
struct TlsFiles {
  std::string cert_file;       // PEM certificate chain, the server's first
  std::string key_file;        // PEM private key of the first certificate
  std::string client_ca_file;  // PEM CA certificate(s): mTLS when set

  bool enabled() const { return !cert_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

// Reads the PEM files and checks that they parse (OpenSSL) and that the key
// belongs to the certificate; an error names the file and what is wrong.
// Both cert and key, or neither, must be set; a client CA needs them.
absl::StatusOr<std::optional<grpc::SslServerCredentialsOptions>> LoadTls(const TlsFiles& files);

// TLS credentials when `tls` is set; without TLS, credentials that only accept
// loopback peers when `gate` is set (gRPC can run a gate only on secure
// credentials; its "local" ones do no handshake, so plain clients on this
// host connect as before), insecure ones otherwise. `gate` may be null.
// FAILED_PRECONDITION when a gate is asked for on a non-loopback address
// without TLS.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const std::optional<grpc::SslServerCredentialsOptions>& tls,
    std::shared_ptr<grpc::AuthMetadataProcessor> gate, bool loopback_address);

// Whether `address` (the --address value: a host, no port) is a loopback
// address: 127.0.0.0/8, ::1, [::1], localhost.
bool IsLoopbackAddress(const std::string& address);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_SERVER_CREDENTIALS_H_
