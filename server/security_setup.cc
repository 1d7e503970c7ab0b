#include "server/security_setup.h"

#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/auth_policy.h"
#include "server/grpc_call_gate.h"
#include "server/rate_limiter.h"
#include "spdlog/spdlog.h"

namespace tinyserve::server {
namespace {

// A secret other local users can read is no secret: said at start (not
// refused: the operator may have reasons, e.g. a group-shared mount).
void WarnIfOthersCanRead(const std::string& flag, const std::string& path) {
  struct stat st {};
  if (!path.empty() && stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    spdlog::warn("{}: {} is readable by other users (mode {:o}); chmod 600 it", flag, path,
                 static_cast<unsigned>(st.st_mode & 0777));
  }
}

}  // namespace

absl::StatusOr<SecuritySetup> SetUpSecurity(const ServerOptions& options) {
  SecuritySetup setup;
  setup.tls = {options.tls_cert_file, options.tls_key_file, options.tls_client_ca_file};
  auto tls = LoadTls(setup.tls);
  if (!tls.ok()) return tls.status();
  WarnIfOthersCanRead("--tls_key", options.tls_key_file);
  auto scope = ParseAuthScope(options.auth_scope);
  if (!scope.ok()) return scope.status();

  std::optional<AuthPolicy> auth;
  if (!options.auth_token_file.empty()) {
    auto token = ReadTokenFile(options.auth_token_file);
    if (!token.ok()) return token.status();
    WarnIfOthersCanRead("--auth_token_file", options.auth_token_file);
    if (*scope == AuthScope::kAll) setup.http_bearer_token = *token;
    setup.http_admin_token = *token;
    auth.emplace(std::move(*token), *scope);
  }
  std::unique_ptr<RateLimiter> limiter;
  if (options.rate_limit_rps > 0) {
    const double burst = options.rate_limit_burst > 0 ? options.rate_limit_burst
                                                      : std::max(1.0, options.rate_limit_rps);
    limiter = std::make_unique<RateLimiter>(options.rate_limit_rps, burst);
  } else if (options.rate_limit_burst > 0) {
    return absl::InvalidArgumentError("--rate_limit_burst needs --rate_limit_rps");
  }

  // Clients are authenticated when TLS carries a token or client certificates.
  const bool authenticated = tls->has_value() && (auth.has_value() || setup.tls.mutual());
  setup.address = options.address;
  if (setup.address.empty()) {
    setup.address = authenticated || options.insecure_listen_all ? "0.0.0.0" : "127.0.0.1";
  }
  const bool loopback = IsLoopbackAddress(setup.address);
  if (!loopback && !authenticated && !options.insecure_listen_all) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--address ", setup.address,
        " is not a loopback address, and clients are not authenticated (that needs "
        "--tls_cert/--tls_key with --auth_token_file or --tls_client_ca): anyone who reaches "
        "the port could load and unload models. Configure authentication, or add "
        "--insecure_listen_all to listen there anyway"));
  }

  std::shared_ptr<grpc::AuthMetadataProcessor> gate;
  if (auth || limiter) gate = std::make_shared<GrpcCallGate>(std::move(auth), std::move(limiter));
  setup.call_gate = gate;
  auto credentials = MakeServerCredentials(*tls, std::move(gate), loopback);
  if (!credentials.ok()) return credentials.status();
  setup.grpc_credentials = std::move(*credentials);

  if (loopback && !authenticated) {
    spdlog::warn(
        "listening on loopback only ({}): without TLS and a token (or client certificates) "
        "other hosts cannot connect; see docs/security.md (or --insecure_listen_all)",
        setup.address);
  } else if (!authenticated) {
    spdlog::warn(
        "INSECURE: listening on {} (--insecure_listen_all) without {}: anyone who reaches the "
        "port can load and unload models; see docs/security.md",
        setup.address, tls->has_value() ? "client authentication" : "TLS or client authentication");
  }
  spdlog::info("gRPC: {}, bearer token: {}, reflection {}, max message {} bytes{}",
               tls->has_value() ? (setup.tls.mutual() ? "TLS with client certificates" : "TLS")
                                : "plaintext",
               options.auth_token_file.empty()
                   ? "none"
                   : absl::StrCat("required for ", *scope == AuthScope::kAll
                                                       ? "every call but health checks"
                                                       : "Admin calls and KServe v2 model "
                                                         "load/unload (gRPC and REST)"),
               options.reflection ? "on" : "off", options.max_message_bytes,
               options.rate_limit_rps > 0
                   ? absl::StrCat(", rate limit ", options.rate_limit_rps, "/s per client")
                   : "");
  return setup;
}

}  // namespace tinyserve::server
