// Portable C++ primitives, written so the compiler can vectorize them.
#include "devices/host/host_kernels.h"

namespace tinyserve::host {
namespace {

constexpr int kBlock = 8;

void GemvPortable(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int fc, int pairs,
                  const int16_t* w, int64_t block_stride, int nblocks, int32_t* acc) {
  const int full_pairs = fc / 2;
  for (int b = 0; b < nblocks; ++b) {
    uint32_t sum[kBlock] = {};
    const int16_t* wb = w + b * block_stride;
    for (int t = 0; t < ntaps; ++t) {
      const int8_t* x = xs[t];
      const int16_t* wt = wb + static_cast<int64_t>(tap_ids[t]) * pairs * (2 * kBlock);
      for (int p = 0; p < full_pairs; ++p) {
        const int32_t x0 = x[2 * p], x1 = x[2 * p + 1];
        const int16_t* wp = wt + p * (2 * kBlock);
        for (int j = 0; j < kBlock; ++j) {
          sum[j] += static_cast<uint32_t>(wp[2 * j] * x0 + wp[2 * j + 1] * x1);
        }
      }
      if (fc & 1) {
        const int32_t x0 = x[fc - 1];
        const int16_t* wp = wt + full_pairs * (2 * kBlock);
        for (int j = 0; j < kBlock; ++j) sum[j] += static_cast<uint32_t>(wp[2 * j] * x0);
      }
    }
    for (int j = 0; j < kBlock; ++j) acc[b * kBlock + j] = static_cast<int32_t>(sum[j]);
  }
}

void DepthwisePortable(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int c0, int n,
                       const int16_t* w, int channels, int32_t* acc) {
  uint32_t sum[kMaxAccumulators] = {};
  for (int t = 0; t < ntaps; ++t) {
    const int8_t* x = xs[t] + c0;
    const int16_t* wt = w + static_cast<int64_t>(tap_ids[t]) * channels + c0;
    for (int c = 0; c < n; ++c) sum[c] += static_cast<uint32_t>(wt[c] * x[c]);
  }
  for (int c = 0; c < n; ++c) acc[c] = static_cast<int32_t>(sum[c]);
}

}  // namespace

const IsaKernels& PortableKernels() {
  static const IsaKernels kernels{"portable", kBlock, &GemvPortable, &DepthwisePortable};
  return kernels;
}

}  // namespace tinyserve::host
