#include "server/grpc_call_gate.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/grpc_status.h"

namespace tinyserve::server {
namespace {

std::optional<absl::string_view> Find(const grpc::AuthMetadataProcessor::InputMetadata& metadata,
                                     absl::string_view key) {
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return absl::string_view(it->second.data(), it->second.size());
}

// Whom a call's rate limit is charged to. The gate does not see the peer's
// address, so: the token when the call carries the right one; else the
// client certificate (mTLS); else the connection, identified by where gRPC
// keeps its connection-wide auth context (one per connection, shared by its
// calls; an address reused after the connection closes is harmless here).
std::string ClientKey(bool has_token, const grpc::AuthContext& context) {
  if (has_token) return "token";
  const std::vector<grpc::string_ref> subject = context.FindPropertyValues("x509_subject");
  if (!subject.empty()) {
    return absl::StrCat("cert:", absl::string_view(subject[0].data(), subject[0].size()));
  }
  const std::vector<grpc::string_ref> type = context.FindPropertyValues("transport_security_type");
  return absl::StrCat("conn:",
                      reinterpret_cast<uintptr_t>(type.empty() ? nullptr : type[0].data()));
}

}  // namespace

GrpcCallGate::GrpcCallGate(std::optional<AuthPolicy> auth, std::unique_ptr<RateLimiter> limiter)
    : auth_(std::move(auth)), limiter_(std::move(limiter)) {}

GrpcCallGate::~GrpcCallGate() { std::unique_lock<std::shared_mutex> last(lifetime_); }

grpc::Status GrpcCallGate::Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                                   OutputMetadata* consumed_auth_metadata,
                                   OutputMetadata* /*response_metadata*/) {
  std::shared_lock<std::shared_mutex> alive(lifetime_);
  const absl::string_view path = Find(auth_metadata, ":path").value_or("");
  const std::optional<absl::string_view> authorization = Find(auth_metadata, "authorization");
  bool has_token = false;
  if (auth_) {
    if (auth_->Protects(path)) {
      if (absl::Status s = auth_->Check(authorization); !s.ok()) return ToGrpcStatus(s);
      has_token = true;
    } else {
      has_token = auth_->Matches(authorization);
    }
  }
  // The services never need to see the token.
  if (authorization) consumed_auth_metadata->emplace("authorization", std::string(*authorization));
  if (limiter_ != nullptr && !IsHealthCheckMethod(path) &&
      !limiter_->Allow(ClientKey(has_token, *context))) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "rate limit exceeded for this client (--rate_limit_rps); retry later");
  }
  return grpc::Status::OK;
}

}  // namespace tinyserve::server
