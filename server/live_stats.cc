#include "server/live_stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "server/grpc_status.h"

namespace tinyserve::server {
namespace {

// An exact quantization has infinite SQNR; averaged as this (as Prometheus'
// tinyserve_input_sqnr_db observes it) so the mean stays a number.
constexpr double kExactSqnrDb = 200.0;

size_t RingIndex(int64_t second) {
  const int64_t n = kLiveStatsRetentionSeconds;
  return static_cast<size_t>(((second % n) + n) % n);
}

}  // namespace

int64_t LiveNowUnixMillis() {
  struct Anchor {
    std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::now();
    int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  };
  static const Anchor anchor;
  return anchor.unix_ms + std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - anchor.steady)
                              .count();
}

// --- LogHistogram -------------------------------------------------------------

void LogHistogram::Add(double micros) {
  int bin = 0;
  if (micros >= 1.0) {
    const double scaled = std::log2(micros) * kBinsPerOctave;
    bin = scaled >= kBinsPerOctave * kOctaves ? kBins - 1 : 1 + static_cast<int>(scaled);
  }
  ++bins_[bin];
  ++count_;
}

std::optional<double> LogHistogram::Quantile(double q) const {
  if (count_ == 0) return std::nullopt;
  // The smallest bin holding the ceil(q * n)-th smallest value.
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  int bin = 0;
  for (; bin < kBins - 1; ++bin) {
    seen += bins_[bin];
    if (seen >= rank) break;
  }
  if (bin == 0) return 0.5;
  if (bin == kBins - 1) return std::exp2(static_cast<double>(kOctaves));  // its lower bound
  // Bin b covers [2^((b-1)/4), 2^(b/4)) us: report its geometric middle.
  return std::exp2((static_cast<double>(bin) - 0.5) / kBinsPerOctave);
}

// --- LiveSeries ---------------------------------------------------------------

LiveSeries::Bucket& LiveSeries::BucketFor(int64_t second) {
  Bucket& bucket = ring_[RingIndex(second)];
  // A record 300 s late (never in practice) joins the newer bucket rather
  // than wiping it.
  if (bucket.second < second) {
    bucket = Bucket();
    bucket.second = second;
  }
  return bucket;
}

void LiveSeries::RecordRequest(const LiveRequest& request, int64_t unix_second) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = BucketFor(unix_second);
  ++b.requests;
  ++requests_;
  // Counted whatever the outcome: refused values are what a caller wants to see.
  b.input_non_finite += request.input_non_finite;
  input_non_finite_ += request.input_non_finite;
  const size_t code = std::min<size_t>(static_cast<size_t>(request.code), errors_by_code_.size() - 1);
  if (request.code != absl::StatusCode::kOk) {
    ++b.errors;
    ++errors_by_code_[code];
    return;
  }
  b.total_us.Add(request.total_us);
  b.device_us.Add(request.device_us);
  if (request.input_sqnr_db) {
    b.sqnr_sum += std::isfinite(*request.input_sqnr_db) ? *request.input_sqnr_db : kExactSqnrDb;
    ++b.sqnr_count;
  }
  b.outputs_at_rails += request.outputs_at_rails;
  if (request.saturation_events) {
    b.saturation_events += *request.saturation_events;
    b.has_saturation = true;
  }
  if (request.estimated_chip_us) {
    b.chip_us_sum += *request.estimated_chip_us;
    ++b.chip_us_count;
  }
}

void LiveSeries::RecordCompare(ComparisonResult result, int64_t unix_second) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = BucketFor(unix_second);
  ++b.compare;
  if (result != ComparisonResult::kExact) ++b.compare_mismatches;
  ++compare_by_result_[static_cast<int>(result)];
}

void LiveSeries::RecordShadow(bool mismatch, int64_t unix_second) {
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = BucketFor(unix_second);
  ++b.shadow_sampled;
  ++shadow_sampled_;
  if (mismatch) {
    ++b.shadow_mismatches;
    ++shadow_mismatched_;
  }
}

std::vector<LivePoint> LiveSeries::Points(int64_t first_second, int64_t last_second) const {
  first_second = std::max(first_second, last_second - kLiveStatsRetentionSeconds + 1);
  std::vector<LivePoint> points;
  if (last_second < first_second) return points;
  points.reserve(static_cast<size_t>(last_second - first_second + 1));
  std::lock_guard<std::mutex> lock(mu_);
  for (int64_t s = first_second; s <= last_second; ++s) {
    LivePoint p;
    p.unix_second = s;
    const Bucket& b = ring_[RingIndex(s)];
    if (b.second == s) {
      p.requests = b.requests;
      p.errors = b.errors;
      p.latency_p50_us = b.total_us.Quantile(0.5);
      p.latency_p99_us = b.total_us.Quantile(0.99);
      p.device_p50_us = b.device_us.Quantile(0.5);
      if (b.sqnr_count > 0) p.input_sqnr_db = b.sqnr_sum / b.sqnr_count;
      p.input_non_finite = b.input_non_finite;
      p.outputs_at_rails = b.outputs_at_rails;
      if (b.has_saturation) p.saturation_events = b.saturation_events;
      if (b.chip_us_count > 0) p.estimated_chip_us = b.chip_us_sum / b.chip_us_count;
      p.compare = b.compare;
      p.compare_mismatches = b.compare_mismatches;
      p.shadow_sampled = b.shadow_sampled;
      p.shadow_mismatches = b.shadow_mismatches;
    }
    points.push_back(p);
  }
  return points;
}

LiveTotals LiveSeries::Totals() const {
  LiveTotals totals;
  std::lock_guard<std::mutex> lock(mu_);
  totals.requests = requests_;
  for (size_t code = 1; code < errors_by_code_.size(); ++code) {
    if (errors_by_code_[code] > 0) {
      totals.errors_by_code[StatusCodeName(static_cast<absl::StatusCode>(code))] =
          errors_by_code_[code];
    }
  }
  totals.compare_exact = compare_by_result_[static_cast<int>(ComparisonResult::kExact)];
  totals.compare_differs = compare_by_result_[static_cast<int>(ComparisonResult::kDiffers)];
  totals.compare_top1_differs =
      compare_by_result_[static_cast<int>(ComparisonResult::kTop1Differs)];
  totals.shadow_sampled = shadow_sampled_;
  totals.shadow_mismatched = shadow_mismatched_;
  totals.input_non_finite = input_non_finite_;
  return totals;
}

// --- QueueDepthHistory --------------------------------------------------------

void QueueDepthHistory::Record(const std::string& device, int depth, int64_t unix_second) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& ring = devices_[device];  // allocates once per device
  ring[RingIndex(unix_second)] = {unix_second, depth};
}

int QueueDepthHistory::At(const std::string& device, int64_t unix_second) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = devices_.find(device);
  if (it == devices_.end()) return 0;
  const Sample& s = it->second[RingIndex(unix_second)];
  return s.second == unix_second ? s.depth : 0;
}

}  // namespace tinyserve::server
