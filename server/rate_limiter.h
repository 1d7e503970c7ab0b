// Per-client request rate limit: one token bucket per client key (refilled at
// `rate_per_second`, holding at most `burst`). Thread-safe.
#ifndef TINYSERVE_SERVER_RATE_LIMITER_H_
#define TINYSERVE_SERVER_RATE_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tinyserve::server {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `burst` >= 1. `max_clients` bounds the memory: past it, buckets that
  // have refilled completely (idle clients) are forgotten.
  RateLimiter(double rate_per_second, double burst, size_t max_clients = 10000);

  // Takes one request from `client`'s bucket; false when it is empty.
  bool Allow(const std::string& client, Clock::time_point now = Clock::now());

  // Clients currently tracked (tests).
  size_t clients() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  void Refill(Bucket& bucket, Clock::time_point now) const;
  void ForgetIdle(Clock::time_point now);  // mu_ held

  const double rate_;
  const double burst_;
  const size_t max_clients_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_RATE_LIMITER_H_
