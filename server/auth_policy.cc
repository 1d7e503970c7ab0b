#include "server/auth_policy.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tinyserve::server {
namespace {

// A token file larger than this is not a token (and not read whole).
constexpr std::streamsize kMaxTokenFileBytes = 4096;
constexpr absl::string_view kBearerPrefix = "Bearer ";

// The token in "Bearer <token>" (the scheme is case-insensitive, RFC 7235);
// nullopt for another scheme.
std::optional<absl::string_view> BearerToken(absl::string_view authorization) {
  if (authorization.size() < kBearerPrefix.size() ||
      !absl::EqualsIgnoreCase(authorization.substr(0, kBearerPrefix.size()), kBearerPrefix)) {
    return std::nullopt;
  }
  return absl::StripAsciiWhitespace(authorization.substr(kBearerPrefix.size()));
}

}  // namespace

absl::StatusOr<AuthScope> ParseAuthScope(absl::string_view text) {
  if (text == "admin") return AuthScope::kAdmin;
  if (text == "all") return AuthScope::kAll;
  return absl::InvalidArgumentError(
      absl::StrCat("--auth_scope must be admin or all, got '", text, "'"));
}

const char* AuthScopeName(AuthScope scope) {
  return scope == AuthScope::kAdmin ? "admin" : "all";
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read token file ", path));
  std::string contents(static_cast<size_t>(kMaxTokenFileBytes) + 1, '\0');
  in.read(contents.data(), kMaxTokenFileBytes + 1);
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("cannot read token file ", path));
  contents.resize(static_cast<size_t>(in.gcount()));
  if (contents.size() > static_cast<size_t>(kMaxTokenFileBytes)) {
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " is over ",
                                                   kMaxTokenFileBytes, " bytes"));
  }
  const std::string token(absl::StripAsciiWhitespace(contents));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " holds no token"));
  }
  for (const char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token file ", path,
          ": the token must be one line of printable ASCII without spaces (a header value)"));
    }
  }
  return token;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Digests of equal length compared in constant time: neither the bytes nor
  // the lengths show in the timing.
  unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

bool IsHealthCheckMethod(absl::string_view method_path) {
  return absl::StartsWith(method_path, "/grpc.health.v1.Health/");
}

bool AuthPolicy::Protects(absl::string_view method_path) const {
  if (IsHealthCheckMethod(method_path)) return false;
  if (scope_ == AuthScope::kAll) return true;
  // Model lifecycle is admin scope in either API; everything else is inference.
  return absl::StartsWith(method_path, "/tinyserve.v1.Admin/") ||
         method_path == "/inference.GRPCInferenceService/RepositoryModelLoad" ||
         method_path == "/inference.GRPCInferenceService/RepositoryModelUnload";
}

bool AuthPolicy::Matches(std::optional<absl::string_view> authorization) const {
  if (!authorization) return false;
  const std::optional<absl::string_view> token = BearerToken(*authorization);
  return token && ConstantTimeEquals(*token, token_);
}

absl::Status AuthPolicy::Check(std::optional<absl::string_view> authorization) const {
  if (!authorization || !BearerToken(*authorization)) {
    return absl::UnauthenticatedError(
        "this call needs a bearer token: send metadata 'authorization: Bearer <token>'");
  }
  if (!Matches(authorization)) {
    return absl::PermissionDeniedError("the bearer token sent is not the server's token");
  }
  return absl::OkStatus();
}

}  // namespace tinyserve::server
