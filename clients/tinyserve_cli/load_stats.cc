#include "clients/tinyserve_cli/load_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tinyserve::cli {

double NearestRank(const std::vector<double>& sorted, double q) {
  const double n = static_cast<double>(sorted.size());
  // rank = ceil(q * n), 1-based; the epsilon keeps q * n = 99.000000000001
  // (floating point) from skipping to the next rank.
  const double rank = std::ceil(std::clamp(q, 0.0, 1.0) * n - 1e-9);
  const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

Summary Summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = static_cast<int64_t>(samples.size());
  s.min = samples.front();
  s.max = samples.back();
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.count);
  s.p50 = NearestRank(samples, 0.50);
  s.p90 = NearestRank(samples, 0.90);
  s.p95 = NearestRank(samples, 0.95);
  s.p99 = NearestRank(samples, 0.99);
  return s;
}

const char* DiffHistogram::BucketName(int bucket) {
  static const char* kNames[kBuckets] = {"0", "1", "2", "3", "4-7", "8-15", "16-31", "32+"};
  return bucket >= 0 && bucket < kBuckets ? kNames[bucket] : "?";
}

int DiffHistogram::BucketOf(int64_t abs_diff) {
  const uint64_t d = abs_diff < 0 ? 0 - static_cast<uint64_t>(abs_diff)
                                  : static_cast<uint64_t>(abs_diff);
  if (d <= 3) return static_cast<int>(d);
  if (d <= 7) return 4;
  if (d <= 15) return 5;
  if (d <= 31) return 6;
  return 7;
}

int64_t DiffHistogram::total() const {
  return std::accumulate(counts_.begin(), counts_.end(), int64_t{0});
}

int64_t ErrorCounts::total() const {
  int64_t n = 0;
  for (const auto& entry : counts_) n += entry.second;
  return n;
}

double Throughput(int64_t events, double seconds) {
  return seconds > 0 ? static_cast<double>(events) / seconds : 0.0;
}

}  // namespace tinyserve::cli
