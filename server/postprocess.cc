#include "server/postprocess.h"

#include <algorithm>

namespace tinyserve::server {

std::vector<RankedClass> TopK(absl::Span<const float> scores, int k) {
  std::vector<RankedClass> ranked;
  ranked.reserve(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) ranked.push_back({static_cast<int>(i), scores[i]});
  const size_t keep = std::min<size_t>(std::max(k, 0), ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + keep, ranked.end(),
                    [](const RankedClass& a, const RankedClass& b) {
                      return a.score != b.score ? a.score > b.score : a.index < b.index;
                    });
  ranked.resize(keep);
  return ranked;
}

double MeanSquaredError(absl::Span<const float> a, absl::Span<const float> b) {
  if (a.empty() || a.size() != b.size()) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return sum / static_cast<double>(a.size());
}

}  // namespace tinyserve::server
