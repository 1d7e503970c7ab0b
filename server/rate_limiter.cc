#include "server/rate_limiter.h"

#include <algorithm>

namespace tinyserve::server {

RateLimiter::RateLimiter(double rate_per_second, double burst, size_t max_clients)
    : rate_(rate_per_second), burst_(std::max(burst, 1.0)), max_clients_(max_clients) {}

void RateLimiter::Refill(Bucket& bucket, Clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
    bucket.updated = now;
  }
}

void RateLimiter::ForgetIdle(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
}

bool RateLimiter::Allow(const std::string& client, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_clients_) ForgetIdle(now);
    // Still full of busy clients: newcomers share one overflow bucket (the
    // empty key), limited all the same.
    std::string key = client;
    if (buckets_.size() >= max_clients_) key.clear();
    it = buckets_.try_emplace(key, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  Refill(bucket, now);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

size_t RateLimiter::clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace tinyserve::server
