// Turning output tensors into what Classify returns: top-k classes, a
// regressor's value, an autoencoder's reconstruction error.
#ifndef TINYSERVE_SERVER_POSTPROCESS_H_
#define TINYSERVE_SERVER_POSTPROCESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace tinyserve::server {

struct RankedClass {
  int index;
  float score;
};

// The k highest scores, highest first; equal scores in ascending class index
// (a fixed, documented tie-break). k is capped at the number of scores.
std::vector<RankedClass> TopK(absl::Span<const float> scores, int k);

// Mean of (a[i] - b[i])^2 over equal-length spans, in double.
double MeanSquaredError(absl::Span<const float> a, absl::Span<const float> b);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_POSTPROCESS_H_
