#include "server/shadow_traffic.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tinyserve::server {
namespace {

uint64_t Fnv1a(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

// splitmix64's output function.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ShadowTraffic>> ShadowTraffic::Create(
    const v1::ShadowSettings& settings, const std::string& model, int64_t version,
    const std::vector<std::string>& primaries, ServerMetrics& metrics) {
  const double fraction = settings.sample_fraction();
  if (!(fraction >= 0.0 && fraction <= 1.0)) {  // also refuses NaN
    return absl::InvalidArgumentError(absl::StrCat("model '", model,
                                                   "': shadow sample_fraction must be in [0, 1], "
                                                   "got ",
                                                   fraction));
  }
  if (settings.keep_mismatches() < 0 || settings.keep_mismatches() > kMaxKeepMismatches) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model '", model, "': shadow keep_mismatches must be in [0, ", kMaxKeepMismatches,
        "] (0: ", kDefaultKeepMismatches, "), got ", settings.keep_mismatches()));
  }
  std::unique_ptr<ShadowTraffic> shadow(new ShadowTraffic());
  shadow->device_ = settings.device();
  shadow->fraction_ = fraction;
  shadow->keep_ = settings.keep_mismatches() > 0 ? settings.keep_mismatches()
                                                 : kDefaultKeepMismatches;
  shadow->version_ = version;
  shadow->rng_state_.store(Fnv1a(model));
  shadow->model_ = model;
  shadow->metrics_ = &metrics;
  for (const std::string& primary : primaries) {
    if (primary == shadow->device_) continue;
    shadow->counters_[primary] = shadow->CountersFor(primary);
  }
  return shadow;
}

ShadowTraffic::PrimaryCounters ShadowTraffic::CountersFor(const std::string& primary) const {
  static constexpr const char* kResultNames[kNumResults] = {"exact", "differs", "top1_differs",
                                                            "dropped", "error"};
  PrimaryCounters counters;
  for (int r = 0; r < kNumResults; ++r) {
    counters.by_result[r] = &metrics_->ShadowCounter(model_, primary, device_, kResultNames[r]);
  }
  return counters;
}

bool ShadowTraffic::Sample() {
  if (fraction_ <= 0.0) return false;
  if (fraction_ >= 1.0) return true;
  const uint64_t x =
      Mix(rng_state_.fetch_add(0x9e3779b97f4a7c15ull, std::memory_order_relaxed));
  // The top 53 bits as a uniform double in [0, 1).
  return static_cast<double>(x >> 11) * 0x1.0p-53 < fraction_;
}

void ShadowTraffic::Count(const std::string& primary, Result result) {
  auto it = counters_.find(primary);
  if (it != counters_.end()) return it->second.by_result[result]->Increment();
  // A device that arrived after the load (a board plugged in later).
  std::lock_guard<std::mutex> lock(late_mu_);
  auto late = late_counters_.find(primary);
  if (late == late_counters_.end()) {
    late = late_counters_.emplace(primary, CountersFor(primary)).first;
  }
  late->second.by_result[result]->Increment();
}

void ShadowTraffic::RecordDropped(const std::string& primary) { Count(primary, kDropped); }

int64_t ShadowTraffic::RecordError(const std::string& primary) {
  Count(primary, kError);
  return errors_.fetch_add(1, std::memory_order_relaxed) + 1;
}

void ShadowTraffic::RecordCompared(const std::string& primary,
                                   const PairDifference& comparison,
                                   const std::vector<std::vector<uint8_t>>& inputs,
                                   int64_t arrival_unix_micros) {
  switch (ResultOf(comparison)) {
    case ComparisonResult::kExact:
      Count(primary, kExact);
      break;
    case ComparisonResult::kDiffers:
      Count(primary, kDiffers);
      break;
    case ComparisonResult::kTop1Differs:
      Count(primary, kTop1Differs);
      break;
  }
  sampled_.fetch_add(1, std::memory_order_relaxed);
  if (comparison.bit_exact) return;
  mismatched_.fetch_add(1, std::memory_order_relaxed);
  ShadowMismatchRecord mismatch{version_, primary, device_, inputs, comparison,
                                arrival_unix_micros};
  std::lock_guard<std::mutex> lock(mu_);
  kept_.push_front(std::move(mismatch));
  while (kept_.size() > keep_) kept_.pop_back();
}

std::vector<ShadowMismatchRecord> ShadowTraffic::Mismatches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {kept_.begin(), kept_.end()};
}

}  // namespace tinyserve::server
