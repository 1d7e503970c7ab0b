// Live statistics for the dashboard (GET /api/v1/stats): per model version ×
// device, one-second buckets over the last 300 seconds, in fixed memory.
//
// Each LiveSeries is a ring of 300 buckets allocated once; a bucket is reused
// (cleared) when its second comes round again, so recording never allocates.
// Latency quantiles come from a fixed log-scale histogram per bucket: 4 bins
// per octave from 1 us to 2^24 us (~16.8 s; slower requests share an overflow
// bin), reported at the bin's geometric middle, i.e. within ±9%.
#ifndef TINYSERVE_SERVER_LIVE_STATS_H_
#define TINYSERVE_SERVER_LIVE_STATS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "server/output_comparison.h"

namespace tinyserve::server {

inline constexpr int kLiveStatsRetentionSeconds = 300;

// Wall-clock time that never goes backwards: the wall time at the first call
// plus steady time since, so bucket seconds stay ordered across clock steps.
int64_t LiveNowUnixMillis();
inline int64_t LiveNowSecond() { return LiveNowUnixMillis() / 1000; }

// Latencies in microseconds on a fixed log scale (see the file comment).
class LogHistogram {
 public:
  static constexpr int kBinsPerOctave = 4;
  static constexpr int kOctaves = 24;
  static constexpr int kBins = 1 + kBinsPerOctave * kOctaves + 1;  // under 1 us, ..., overflow

  void Add(double micros);
  uint32_t count() const { return count_; }
  // The q-quantile (0 < q <= 1); nullopt when empty.
  std::optional<double> Quantile(double q) const;

 private:
  std::array<uint32_t, kBins> bins_{};
  uint32_t count_ = 0;
};

// What one finished request contributes.
struct LiveRequest {
  absl::StatusCode code = absl::StatusCode::kOk;
  double total_us = 0;
  double device_us = 0;
  std::optional<double> input_sqnr_db;  // float input only; +inf when exact
  int64_t input_non_finite = 0;         // NaN and +-Inf float values (any outcome)
  int64_t outputs_at_rails = 0;
  std::optional<int64_t> saturation_events;
  std::optional<double> estimated_chip_us;
};

// One second of one series, as the stats API reports it.
struct LivePoint {
  int64_t unix_second = 0;
  int64_t requests = 0;
  int64_t errors = 0;
  std::optional<double> latency_p50_us, latency_p99_us, device_p50_us;
  std::optional<double> input_sqnr_db;  // mean; exact inputs count as 200 dB
  int64_t input_non_finite = 0;
  int64_t outputs_at_rails = 0;
  std::optional<int64_t> saturation_events;
  std::optional<double> estimated_chip_us;  // mean
  int64_t compare = 0, compare_mismatches = 0;
  int64_t shadow_sampled = 0, shadow_mismatches = 0;
};

struct LiveTotals {
  int64_t requests = 0;
  std::map<std::string, int64_t> errors_by_code;  // "RESOURCE_EXHAUSTED" -> n
  int64_t compare_exact = 0, compare_differs = 0, compare_top1_differs = 0;
  int64_t shadow_sampled = 0, shadow_mismatched = 0;
  int64_t input_non_finite = 0;
};

// One model version on one device. Thread-safe; one short lock per record.
class LiveSeries {
 public:
  LiveSeries() = default;
  LiveSeries(const LiveSeries&) = delete;
  LiveSeries& operator=(const LiveSeries&) = delete;

  void RecordRequest(const LiveRequest& request, int64_t unix_second);
  // A Compare pair with this series' device as device_a.
  void RecordCompare(ComparisonResult result, int64_t unix_second);
  // A completed shadow run of a request this series served (the primary).
  void RecordShadow(bool mismatch, int64_t unix_second);

  // One point per second in [first, last] (at most the retention), oldest
  // first; seconds without data (or no longer kept) are all-zero points.
  std::vector<LivePoint> Points(int64_t first_second, int64_t last_second) const;
  LiveTotals Totals() const;

 private:
  struct Bucket {
    int64_t second = -1;
    uint32_t requests = 0, errors = 0;
    LogHistogram total_us, device_us;
    double sqnr_sum = 0;
    uint32_t sqnr_count = 0;
    int64_t input_non_finite = 0;
    int64_t outputs_at_rails = 0;
    int64_t saturation_events = 0;
    bool has_saturation = false;
    double chip_us_sum = 0;
    uint32_t chip_us_count = 0;
    uint32_t compare = 0, compare_mismatches = 0;
    uint32_t shadow_sampled = 0, shadow_mismatches = 0;
  };
  // The bucket of `second`, cleared first if it held an older second.
  Bucket& BucketFor(int64_t second);

  mutable std::mutex mu_;
  std::array<Bucket, kLiveStatsRetentionSeconds> ring_;
  int64_t requests_ = 0;
  std::array<int64_t, 17> errors_by_code_{};  // absl codes 0..16
  int64_t compare_by_result_[3] = {0, 0, 0};   // ComparisonResult order
  int64_t shadow_sampled_ = 0, shadow_mismatched_ = 0;
  int64_t input_non_finite_ = 0;
};

// Each device's queue depth, sampled once a second (at the end of the
// second), for the same retention.
class QueueDepthHistory {
 public:
  void Record(const std::string& device, int depth, int64_t unix_second);
  // 0 when nothing was sampled for that second.
  int At(const std::string& device, int64_t unix_second) const;

 private:
  struct Sample {
    int64_t second = -1;
    int depth = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::array<Sample, kLiveStatsRetentionSeconds>> devices_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_LIVE_STATS_H_
