// Which gRPC calls need the bearer token, and whether a call's
// "authorization" metadata carries it. Protocol-neutral apart from the method
// path ("/package.Service/Method"), so the HTTP side could share it.
#ifndef TINYSERVE_SERVER_AUTH_POLICY_H_
#define TINYSERVE_SERVER_AUTH_POLICY_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tinyserve::server {

// --auth_scope: what the token protects.
enum class AuthScope {
  kAdmin,  // the Admin service only (load, unload): inference stays open
  kAll,    // every service but health checking
};

absl::StatusOr<AuthScope> ParseAuthScope(absl::string_view text);
const char* AuthScopeName(AuthScope scope);

// Reads the token from `path`: surrounding whitespace trimmed; an unreadable
// file, an empty token, or one with whitespace or control characters inside
// (it must fit an "authorization: Bearer <token>" header) is an error naming
// the file. The token never appears in a message.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// Equality whose time shows neither where the first difference is nor the
// lengths (SHA-256 digests compared with CRYPTO_memcmp), so a remote peer
// cannot find the token byte by byte.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// grpc.health.v1 calls: never behind the token or the rate limit, so probes
// keep working.
bool IsHealthCheckMethod(absl::string_view method_path);

class AuthPolicy {
 public:
  AuthPolicy(std::string token, AuthScope scope) : token_(std::move(token)), scope_(scope) {}

  // Whether a call to `method_path` needs the token (never health checks).
  bool Protects(absl::string_view method_path) const;

  // The outcome for a call to a protected method given its "authorization"
  // value (nullopt: none sent): OK for "Bearer <token>", UNAUTHENTICATED when
  // no bearer token was sent, PERMISSION_DENIED for a wrong one.
  absl::Status Check(std::optional<absl::string_view> authorization) const;

  // Whether `authorization` carries the right token (no error either way).
  bool Matches(std::optional<absl::string_view> authorization) const;

 private:
  std::string token_;
  AuthScope scope_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_AUTH_POLICY_H_
