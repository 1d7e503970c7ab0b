// Weight layouts the xs3 kernels read with 32-byte VPU loads.
//
// Dense (conv / fully connected, VLMACCR): output channels in groups of 16,
// the reduction dimension K in 32-byte chunks. Within a group, row r of a
// chunk holds output channel 15 - r: VLMACCR adds into accumulator 15 and
// rotates the ring, so after 16 of them the first-issued dot product sits in
// lane 15 and channel k ends in lane k (xs3.md §2.2). A partial last group is
// padded with zero-weight channels (its rows still issue, keeping the ring
// rotation whole); a partial last chunk is padded with zero weights.
//
// Depthwise (VLMACC, 16 lanes): per group of 16 channels and per kernel tap,
// one 32-byte row whose first 16 bytes are the 16 channels' weights.
#ifndef TINYSERVE_DEVICES_XS3_WEIGHT_LAYOUT_H_
#define TINYSERVE_DEVICES_XS3_WEIGHT_LAYOUT_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace tinyserve::xs3 {

inline constexpr int kChannelsPerGroup = 16;

// One 32-byte, 32-byte-aligned vector in memory.
struct alignas(32) Vector32 {
  uint8_t bytes[32] = {};
};

inline int CeilDiv(int a, int b) { return (a + b - 1) / b; }

struct DenseWeights {
  int channels = 0;  // output channels
  int depth = 0;     // K, bytes per output channel
  int groups = 0;    // ceil(channels / 16)
  int chunks = 0;    // ceil(depth / 32)
  // groups x chunks x 16 rows.
  std::vector<Vector32> rows;
  const Vector32* row(int group, int chunk, int r) const {
    return &rows[(static_cast<size_t>(group) * chunks + chunk) * kChannelsPerGroup + r];
  }
};

// `weights` is [channels][depth], row-major (OHWI conv filters and FC weights).
DenseWeights ReorderDenseWeights(absl::Span<const int8_t> weights, int channels, int depth);

struct DepthwiseWeights {
  int channels = 0;
  int taps = 0;    // filter_h * filter_w
  int groups = 0;  // ceil(channels / 16)
  std::vector<Vector32> rows;  // groups x taps
  const Vector32* row(int group, int tap) const {
    return &rows[static_cast<size_t>(group) * taps + tap];
  }
};

// `weights` is [taps][channels] (TFLite's [1, H, W, C] depthwise filter).
DepthwiseWeights ReorderDepthwiseWeights(absl::Span<const int8_t> weights, int taps,
                                         int channels);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_WEIGHT_LAYOUT_H_
