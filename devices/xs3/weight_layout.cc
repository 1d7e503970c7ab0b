#include "devices/xs3/weight_layout.h"

namespace tinyserve::xs3 {

DenseWeights ReorderDenseWeights(absl::Span<const int8_t> weights, int channels, int depth) {
  DenseWeights w;
  w.channels = channels;
  w.depth = depth;
  w.groups = CeilDiv(channels, kChannelsPerGroup);
  w.chunks = CeilDiv(depth, 32);
  w.rows.resize(static_cast<size_t>(w.groups) * w.chunks * kChannelsPerGroup);
  for (int g = 0; g < w.groups; ++g) {
    for (int r = 0; r < kChannelsPerGroup; ++r) {
      const int channel = g * kChannelsPerGroup + (kChannelsPerGroup - 1 - r);  // reversed
      if (channel >= channels) continue;  // zero-weight padding channel
      for (int k = 0; k < depth; ++k) {
        Vector32& row = w.rows[(static_cast<size_t>(g) * w.chunks + k / 32) * kChannelsPerGroup + r];
        row.bytes[k % 32] = static_cast<uint8_t>(weights[static_cast<size_t>(channel) * depth + k]);
      }
    }
  }
  return w;
}

DepthwiseWeights ReorderDepthwiseWeights(absl::Span<const int8_t> weights, int taps,
                                         int channels) {
  DepthwiseWeights w;
  w.channels = channels;
  w.taps = taps;
  w.groups = CeilDiv(channels, kChannelsPerGroup);
  w.rows.resize(static_cast<size_t>(w.groups) * taps);
  for (int t = 0; t < taps; ++t) {
    for (int c = 0; c < channels; ++c) {
      w.rows[static_cast<size_t>(c / kChannelsPerGroup) * taps + t].bytes[c % kChannelsPerGroup] =
          static_cast<uint8_t>(weights[static_cast<size_t>(t) * channels + c]);
    }
  }
  return w;
}

}  // namespace tinyserve::xs3
