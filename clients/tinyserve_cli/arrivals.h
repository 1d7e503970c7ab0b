// Send times of `bench --rate`: an open-loop schedule of arrivals at a mean
// rate, either at fixed intervals or as a Poisson process (exponential
// intervals drawn with SplitMix64, so a seed reproduces the schedule).
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_ARRIVALS_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_ARRIVALS_H_

#include <cstdint>

#include "engine/util/splitmix64.h"

namespace tinyserve::cli {

class ArrivalSchedule {
 public:
  enum class Kind { kConstant, kPoisson };

  // rate > 0, in arrivals per second.
  ArrivalSchedule(Kind kind, double rate, uint64_t seed);

  // Seconds from the start of the step to the next arrival. kConstant: k / rate
  // for the k-th call (0, 1/rate, 2/rate, ...); kPoisson: the running sum of
  // exponential intervals with mean 1/rate (the first arrival after one
  // interval).
  double Next();

  // A uniform draw in [0, 1) from the top 53 bits of a SplitMix64 draw.
  static double Uniform(SplitMix64& random);

 private:
  Kind kind_;
  double rate_;
  SplitMix64 random_;
  int64_t count_ = 0;
  double time_ = 0;
};

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_ARRIVALS_H_
