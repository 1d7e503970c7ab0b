#include "clients/tinyserve_cli/arrivals.h"

#include <cmath>

namespace tinyserve::cli {

ArrivalSchedule::ArrivalSchedule(Kind kind, double rate, uint64_t seed)
    : kind_(kind), rate_(rate), random_(seed) {}

double ArrivalSchedule::Uniform(SplitMix64& random) {
  return static_cast<double>(random.Next() >> 11) * 0x1.0p-53;
}

double ArrivalSchedule::Next() {
  if (kind_ == Kind::kConstant) {
    // Multiplied, not summed, so no rounding error accumulates.
    return static_cast<double>(count_++) / rate_;
  }
  // Inverse transform: -ln(1 - u) / rate; 1 - u is in (0, 1], so finite.
  time_ += -std::log1p(-Uniform(random_)) / rate_;
  ++count_;
  return time_;
}

}  // namespace tinyserve::cli
