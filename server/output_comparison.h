// How two devices' answers to the same input differ: elementwise over the raw
// output tensors, and whether a classifier's top-1 class agrees. Pure functions
// on InferResults, shared by Compare and shadow traffic.
#ifndef TINYSERVE_SERVER_OUTPUT_COMPARISON_H_
#define TINYSERVE_SERVER_OUTPUT_COMPARISON_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/types.h"
#include "server/inference_types.h"

namespace tinyserve::server {

// What one device produced, as far as a comparison needs it. Owns copies, so
// it outlives the response it came from (shadow traffic compares after the
// caller's response is gone).
struct ComparedOutputs {
  struct Tensor {
    DataType dtype = DataType::kInt8;
    std::vector<uint8_t> raw;  // little-endian, dtype
  };
  std::vector<Tensor> tensors;
  // Classifiers: the top-1 class as Classify ranked it (score descending,
  // lower index first on ties); nullopt for other model kinds.
  std::optional<int> top1;
};

// The outputs of a successful run.
ComparedOutputs OutputsOf(const InferResult& result);

// The most severe way a pair differs; the `result` label of the comparison
// counters. top1_differs implies differs.
enum class ComparisonResult { kExact, kDiffers, kTop1Differs };
const char* ComparisonResultName(ComparisonResult result);  // "exact", "differs", "top1_differs"
ComparisonResult ResultOf(const PairDifference& comparison);

// How b differs from a, element by element across all tensors in order
// (element indices run on across tensors). Integer dtypes differ by their
// value; float32 by its distance in units in the last place (so max_abs_diff
// stays an integer count of steps) with first_diff_a/b the IEEE bit patterns.
// top1_agrees is true when neither side is a classifier. device_a/device_b are
// left for the caller. INTERNAL when the two do not have the same tensors
// (dtype and byte size): one model's outputs always do.
absl::StatusOr<PairDifference> CompareOutputs(const ComparedOutputs& a,
                                              const ComparedOutputs& b);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_OUTPUT_COMPARISON_H_
