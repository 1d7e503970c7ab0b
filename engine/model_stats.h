// Static cost figures of a model: multiply-accumulates and weight bytes.
#ifndef TINYSERVE_ENGINE_MODEL_STATS_H_
#define TINYSERVE_ENGINE_MODEL_STATS_H_

#include <cstdint>
#include <vector>

#include "engine/model.h"

namespace tinyserve {

struct ModelStats {
  std::vector<int64_t> op_macs;  // per operator; 0 for ops without products
  int64_t total_macs = 0;
  int64_t weight_bytes = 0;      // bytes of all constant tensors
};

// MACs count every filter tap, including taps that fall in padding (the
// convention of MLPerf Tiny's published figures).
ModelStats ComputeModelStats(const Model& model);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_MODEL_STATS_H_
