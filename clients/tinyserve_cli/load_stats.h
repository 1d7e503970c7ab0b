// Statistics for tinyserve-cli's `ab` and `bench`: latency summaries
// (nearest-rank percentiles), the histogram of max |difference| between two
// devices' outputs, and error counts by status code. No gRPC, no I/O.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_LOAD_STATS_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_LOAD_STATS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tinyserve::cli {

// The nearest-rank percentile of ascending `sorted` (not empty): the smallest
// sample such that at least a fraction q of the samples are <= it. q in
// [0, 1]; q = 0 gives the minimum, q = 1 the maximum.
double NearestRank(const std::vector<double>& sorted, double q);

// A latency distribution. With count == 0 every other field is 0 and
// meaningless (reports print them as absent).
struct Summary {
  int64_t count = 0;
  double min = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
};

// Summarizes samples in any order (the vector is taken by value and sorted).
Summary Summarize(std::vector<double> samples);

// Histogram of the max |Δ| (in LSB) between two devices' outputs for one
// input, in the buckets 0, 1, 2, 3, 4-7, 8-15, 16-31, 32+.
class DiffHistogram {
 public:
  static constexpr int kBuckets = 8;
  // "0", "1", "2", "3", "4-7", "8-15", "16-31", "32+".
  static const char* BucketName(int bucket);
  // The bucket of a difference; negative differences count by magnitude.
  static int BucketOf(int64_t abs_diff);

  void Add(int64_t abs_diff) { ++counts_[BucketOf(abs_diff)]; }
  int64_t count(int bucket) const { return counts_[bucket]; }
  int64_t total() const;

 private:
  std::array<int64_t, kBuckets> counts_{};
};

// How many calls ended with each status code name ("NOT_FOUND", ...).
// Iterates in name order.
class ErrorCounts {
 public:
  void Add(const std::string& code) { ++counts_[code]; }
  int64_t total() const;
  const std::map<std::string, int64_t>& counts() const { return counts_; }

 private:
  std::map<std::string, int64_t> counts_;
};

// events / seconds; 0 when seconds <= 0.
double Throughput(int64_t events, double seconds);

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_LOAD_STATS_H_
