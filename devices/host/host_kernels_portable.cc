// Portable C++ primitives (any CPU): the same tiles as the SIMD targets with
// scalar inner loops the compiler may vectorize, and scalar requantization.
#include <cstring>

#include "devices/host/host_kernels.h"
#include "devices/host/host_requantize_scalar.h"

namespace tinyserve::host {
namespace {

constexpr int kBlock = 8;

inline int16_t LoadW(const int16_t* w) { return *w; }

void ConvTilePortable(const ConvTileArgs& a) {
  const auto* w = static_cast<const int16_t*>(a.w);
  const int nblocks = (a.out_c + kBlock - 1) / kBlock;
  const int full = a.row_k / 2;
  for (int p = 0; p < a.npix; ++p) {
    for (int blk = 0; blk < nblocks; ++blk) {
      uint32_t sum[kBlock] = {};
      const int16_t* wb = w + blk * a.block_stride;
      for (int ky = 0; ky < a.filter_h; ++ky) {
        const int8_t* x = PixelRow(a, p, ky);
        const int16_t* wk = wb + static_cast<int64_t>(ky) * a.groups * (2 * kBlock);
        for (int g = 0; g < full; ++g) {
          const int32_t x0 = x[2 * g], x1 = x[2 * g + 1];
          const int16_t* wp = wk + g * (2 * kBlock);
          for (int j = 0; j < kBlock; ++j) {
            sum[j] += static_cast<uint32_t>(LoadW(wp + 2 * j) * x0 + LoadW(wp + 2 * j + 1) * x1);
          }
        }
        if (a.row_k & 1) {
          const int32_t x0 = x[a.row_k - 1];
          const int16_t* wp = wk + full * (2 * kBlock);
          for (int j = 0; j < kBlock; ++j) sum[j] += static_cast<uint32_t>(LoadW(wp + 2 * j) * x0);
        }
      }
      const int oc0 = blk * kBlock;
      const int n = a.out_c - oc0 < kBlock ? a.out_c - oc0 : kBlock;
      int8_t* out = a.out + static_cast<int64_t>(p) * a.out_c + oc0;
      for (int j = 0; j < n; ++j) out[j] = ScalarRequant(*a.rq, oc0 + j, static_cast<int32_t>(sum[j]));
    }
  }
}

void DepthwisePortable(const DepthwiseArgs& a) {
  for (int c0 = 0, chunk = 0; c0 < a.channels; c0 += kDepthwiseChunk, ++chunk) {
    const int n = a.channels - c0 < kDepthwiseChunk ? a.channels - c0 : kDepthwiseChunk;
    const int32_t* wc = a.w + static_cast<int64_t>(chunk) * a.w_chunk_step;
    const int rc = chunk * a.rq_chunk_step;
    for (int p = 0; p < a.npix; ++p) {
      uint32_t sum[kDepthwiseChunk] = {};
      for (int ky = 0; ky < a.filter_h; ++ky) {
        const int8_t* row = a.rows[ky] + p * a.pix_step + c0;
        for (int kx = 0; kx < a.filter_w; ++kx) {
          const int8_t* x = row + kx * a.tap_step;
          const int32_t* wt = wc + static_cast<int64_t>(ky * a.filter_w + kx) * a.w_tap_stride;
          for (int l = 0; l < n; ++l) {
            sum[l] += static_cast<uint32_t>(static_cast<int16_t>(wt[l]) * int32_t{x[l]});
          }
        }
      }
      int8_t* out = a.out + static_cast<int64_t>(p) * a.channels + c0;
      for (int l = 0; l < n; ++l) out[l] = ScalarRequant(*a.rq, rc + l, static_cast<int32_t>(sum[l]));
    }
  }
}

}  // namespace

const IsaKernels& PortableKernels() {
  static const IsaKernels kernels{"portable", kBlock, 2, 0, &ConvTilePortable, &DepthwisePortable};
  return kernels;
}

}  // namespace tinyserve::host
