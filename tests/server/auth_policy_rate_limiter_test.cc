// The gRPC gate's two pure parts without a server: which calls the token
// guards and how a header is judged (AuthPolicy), and the per-client token
// buckets (RateLimiter) on a clock the test moves.
#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "server/auth_policy.h"
#include "server/rate_limiter.h"

namespace tinyserve::server {
namespace {

using std::chrono::milliseconds;

TEST(AuthPolicyTest, AdminScopeGuardsOnlyTheAdminService) {
  const AuthPolicy policy("tok", AuthScope::kAdmin);
  EXPECT_TRUE(policy.Protects("/tinyserve.v1.Admin/LoadModel"));
  EXPECT_TRUE(policy.Protects("/tinyserve.v1.Admin/UnloadModel"));
  EXPECT_FALSE(policy.Protects("/tinyserve.v1.Inference/Classify"));
  EXPECT_FALSE(policy.Protects("/grpc.health.v1.Health/Check"));
}

TEST(AuthPolicyTest, AdminScopeGuardsKServeModelLifecycleOnly) {
  const AuthPolicy policy("tok", AuthScope::kAdmin);
  EXPECT_TRUE(policy.Protects("/inference.GRPCInferenceService/RepositoryModelLoad"));
  EXPECT_TRUE(policy.Protects("/inference.GRPCInferenceService/RepositoryModelUnload"));
  EXPECT_FALSE(policy.Protects("/inference.GRPCInferenceService/ModelInfer"));
  EXPECT_FALSE(policy.Protects("/inference.GRPCInferenceService/RepositoryIndex"));
  EXPECT_FALSE(policy.Protects("/inference.GRPCInferenceService/ModelStatistics"));
  // A prefix or suffix of a protected path is another method.
  EXPECT_FALSE(policy.Protects("/inference.GRPCInferenceService/RepositoryModelLoadX"));
}

TEST(AuthPolicyTest, AllScopeGuardsEverythingButHealthChecks) {
  const AuthPolicy policy("tok", AuthScope::kAll);
  EXPECT_TRUE(policy.Protects("/tinyserve.v1.Inference/Classify"));
  EXPECT_TRUE(policy.Protects("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"));
  EXPECT_TRUE(policy.Protects(""));  // no path: guarded all the same
  EXPECT_FALSE(policy.Protects("/grpc.health.v1.Health/Check"));
  EXPECT_FALSE(policy.Protects("/grpc.health.v1.Health/Watch"));
}

TEST(AuthPolicyTest, MissingOrOtherSchemeIsUnauthenticatedWrongTokenPermissionDenied) {
  const AuthPolicy policy("s3cret", AuthScope::kAdmin);
  EXPECT_EQ(policy.Check(std::nullopt).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(policy.Check("Basic czNjcmV0").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(policy.Check("Bearer").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(policy.Check("Bearer s3cre").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.Check("Bearer s3cretx").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.Check("Bearer ").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(policy.Check("Bearer s3cret").ok());
  EXPECT_TRUE(policy.Check("bearer s3cret").ok());
  EXPECT_FALSE(policy.Matches("Bearer S3cret"));
}

TEST(AuthPolicyTest, ConstantTimeEqualsIsEquality) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

TEST(AuthPolicyTest, ScopeNames) {
  EXPECT_EQ(*ParseAuthScope("admin"), AuthScope::kAdmin);
  EXPECT_EQ(*ParseAuthScope("all"), AuthScope::kAll);
  EXPECT_EQ(ParseAuthScope("ALL").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RateLimiterTest, BurstThenOneRequestPerRefill) {
  RateLimiter limiter(/*rate_per_second=*/10, /*burst=*/3);
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", t0)) << i;
  EXPECT_FALSE(limiter.Allow("a", t0));
  EXPECT_FALSE(limiter.Allow("a", t0 + milliseconds(99)));  // 0.99 of a request back
  EXPECT_TRUE(limiter.Allow("a", t0 + milliseconds(100)));
  EXPECT_FALSE(limiter.Allow("a", t0 + milliseconds(100)));
  // Idle for long: back to the burst, not beyond it.
  const auto later = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", later)) << i;
  EXPECT_FALSE(limiter.Allow("a", later));
}

TEST(RateLimiterTest, ClientsHaveTheirOwnBuckets) {
  RateLimiter limiter(1, 1);
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_FALSE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("b", t0));
  EXPECT_EQ(limiter.clients(), 2u);
}

TEST(RateLimiterTest, MemoryIsBoundedIdleClientsForgottenBusyOnesShareTheOverflow) {
  RateLimiter limiter(1, 1, /*max_clients=*/2);
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.Allow("a", t0));
  EXPECT_TRUE(limiter.Allow("b", t0));
  // Both busy: newcomers share one overflow bucket.
  EXPECT_TRUE(limiter.Allow("c", t0));
  EXPECT_FALSE(limiter.Allow("d", t0));
  EXPECT_LE(limiter.clients(), 3u);
  // Much later every bucket has refilled: the idle ones are forgotten.
  const auto later = t0 + std::chrono::seconds(10);
  EXPECT_TRUE(limiter.Allow("e", later));
  EXPECT_LE(limiter.clients(), 2u);
}

}  // namespace
}  // namespace tinyserve::server
