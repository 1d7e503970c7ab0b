// Shadow traffic of one loaded model version (config.pbtxt `shadow { ... }`):
// which live Classify requests are sampled to run again on the shadow device,
// the counters of what those runs found, and the most recent mismatching
// inputs (a bounded ring) for GetShadowMismatches. Running the shadow requests
// is the pipeline's job; this is the bookkeeping, safe from any thread.
#ifndef TINYSERVE_SERVER_SHADOW_TRAFFIC_H_
#define TINYSERVE_SERVER_SHADOW_TRAFFIC_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/counter.h"
#include "server/metrics.h"
#include "tinyserve/v1/model_config.pb.h"
#include "server/inference_types.h"

namespace tinyserve::server {

inline constexpr int kDefaultKeepMismatches = 16;
// Each kept input is a whole model input; this bounds their memory.
inline constexpr int kMaxKeepMismatches = 1024;

// A kept mismatch: what both devices ran and how their outputs differed.
struct ShadowMismatchRecord {
  int64_t version = 0;
  std::string primary_device, shadow_device;
  std::vector<std::vector<uint8_t>> inputs;  // the quantized inputs, model order
  PairDifference comparison;
  int64_t unix_micros = 0;  // when the primary request arrived
};

class ShadowTraffic {
 public:
  // INVALID_ARGUMENT when sample_fraction is outside [0, 1] or keep_mismatches
  // outside [0, kMaxKeepMismatches]. The device is checked by the caller (it
  // knows which devices run). `primaries`: the devices requests may run on
  // (the shadow device itself is never shadowed).
  static absl::StatusOr<std::unique_ptr<ShadowTraffic>> Create(
      const v1::ShadowSettings& settings, const std::string& model, int64_t version,
      const std::vector<std::string>& primaries, ServerMetrics& metrics);

  const std::string& device() const { return device_; }
  double sample_fraction() const { return fraction_; }

  // Whether this request should also run on the shadow device. Lock-free: a
  // splitmix64 sequence seeded from the model name, so a given order of
  // requests is sampled the same way on every run.
  bool Sample();

  // The shadow device's queue refused the run.
  void RecordDropped(const std::string& primary);
  // The shadow device failed the run. Returns how many have failed so far
  // (callers log the 1st, 2nd, 4th, 8th, ... so a broken device cannot flood the log).
  int64_t RecordError(const std::string& primary);
  // A completed shadow run: `comparison` is primary (a) against shadow (b) for
  // `input`, of a request that arrived at `arrival_unix_micros`.
  void RecordCompared(const std::string& primary, const PairDifference& comparison,
                      const std::vector<std::vector<uint8_t>>& inputs,
                      int64_t arrival_unix_micros);

  int64_t sampled() const { return sampled_.load(std::memory_order_relaxed); }
  int64_t mismatched() const { return mismatched_.load(std::memory_order_relaxed); }
  // The kept mismatches, newest first.
  std::vector<ShadowMismatchRecord> Mismatches() const;

 private:
  enum Result { kExact, kDiffers, kTop1Differs, kDropped, kError, kNumResults };
  struct PrimaryCounters {
    prometheus::Counter* by_result[kNumResults];
  };
  ShadowTraffic() = default;
  PrimaryCounters CountersFor(const std::string& primary) const;
  void Count(const std::string& primary, Result result);

  std::string device_;
  double fraction_ = 0;
  size_t keep_ = kDefaultKeepMismatches;
  int64_t version_ = 0;
  std::string model_;
  ServerMetrics* metrics_ = nullptr;
  // Built at creation, read-only afterwards: no label lookups per request.
  std::map<std::string, PrimaryCounters> counters_;
  // Primaries that arrived after creation (boards plugged in later), built on
  // their first count.
  std::mutex late_mu_;
  std::map<std::string, PrimaryCounters> late_counters_;  // guarded by late_mu_
  std::atomic<uint64_t> rng_state_{0};
  std::atomic<int64_t> sampled_{0};
  std::atomic<int64_t> mismatched_{0};
  std::atomic<int64_t> errors_{0};
  mutable std::mutex mu_;
  std::deque<ShadowMismatchRecord> kept_;  // newest at the front; guarded by mu_
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_SHADOW_TRAFFIC_H_
