// The gRPC server's gate, run by gRPC on every call before any service sees
// it (a grpc::AuthMetadataProcessor on the server credentials): the bearer
// token where the AuthPolicy asks for it, then the per-client rate limit.
#ifndef TINYSERVE_SERVER_GRPC_CALL_GATE_H_
#define TINYSERVE_SERVER_GRPC_CALL_GATE_H_

#include <memory>
#include <optional>
#include <shared_mutex>

#include "grpcpp/security/auth_metadata_processor.h"
#include "server/auth_policy.h"
#include "server/rate_limiter.h"

namespace tinyserve::server {

class GrpcCallGate : public grpc::AuthMetadataProcessor {
 public:
  // Either may be absent (no token configured; no rate limit).
  GrpcCallGate(std::optional<AuthPolicy> auth, std::unique_ptr<RateLimiter> limiter);
  // Waits for a Process() still returning on gRPC's thread.
  ~GrpcCallGate() override;

  // Cheap and never waits: run inline on gRPC's thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  // Shared by every Process(), exclusive in the destructor: gRPC orders its
  // last call before dropping the gate through its own (uninstrumented)
  // machinery; this makes that order explicit (and visible to TSan).
  std::shared_mutex lifetime_;
  std::optional<AuthPolicy> auth_;
  std::unique_ptr<RateLimiter> limiter_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_GRPC_CALL_GATE_H_
