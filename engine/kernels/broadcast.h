// NumPy-style broadcasting of two inputs onto one output, for element-wise
// binary ops (ADD, SUB, MUL).
#ifndef TINYSERVE_ENGINE_KERNELS_BROADCAST_H_
#define TINYSERVE_ENGINE_KERNELS_BROADCAST_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "engine/kernels/kernel.h"

namespace tinyserve {

struct Broadcast {
  static constexpr int kRank = 6;
  bool same_shape = true;     // no broadcasting: one flat loop
  int64_t size = 0;           // output elements
  int64_t dims[kRank] = {};   // output dims, right-aligned, padded with 1
  int64_t stride1[kRank] = {};  // 0 where input 1 is broadcast
  int64_t stride2[kRank] = {};
};

// Inputs 0 and 1 broadcast to output 0's shape, which must be exactly their
// broadcast shape.
absl::StatusOr<Broadcast> PrepareBroadcast(const PrepareContext& ctx);

// Calls f(out_index, index1, index2) for every output element, in order.
template <typename F>
void ForEachBroadcast(const Broadcast& b, F&& f) {
  if (b.same_shape) {
    for (int64_t i = 0; i < b.size; ++i) f(i, i, i);
    return;
  }
  int64_t out = 0;
  for (int64_t d0 = 0; d0 < b.dims[0]; ++d0)
    for (int64_t d1 = 0; d1 < b.dims[1]; ++d1)
      for (int64_t d2 = 0; d2 < b.dims[2]; ++d2)
        for (int64_t d3 = 0; d3 < b.dims[3]; ++d3)
          for (int64_t d4 = 0; d4 < b.dims[4]; ++d4) {
            const int64_t base1 = d0 * b.stride1[0] + d1 * b.stride1[1] + d2 * b.stride1[2] +
                                  d3 * b.stride1[3] + d4 * b.stride1[4];
            const int64_t base2 = d0 * b.stride2[0] + d1 * b.stride2[1] + d2 * b.stride2[2] +
                                  d3 * b.stride2[3] + d4 * b.stride2[4];
            for (int64_t d5 = 0; d5 < b.dims[5]; ++d5) {
              f(out++, base1 + d5 * b.stride1[5], base2 + d5 * b.stride2[5]);
            }
          }
}

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_BROADCAST_H_
