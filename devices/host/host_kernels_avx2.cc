// AVX2 primitives (this file alone is compiled with -mavx2 -mfma). Products of
// int8 values widened to int16 are summed in pairs by vpmaddwd (exact: at most
// 2 * 128 * 128) and accumulated with wrapping vpaddd.
#include <immintrin.h>

#include "devices/host/host_kernels.h"

namespace tinyserve::host {
namespace {

constexpr int kBlock = 8;
constexpr int kPairStride = 2 * kBlock;  // int16 per pair of input channels

inline __m256i BroadcastPair(int8_t x0, int8_t x1) {
  return _mm256_set1_epi32(static_cast<int32_t>(static_cast<uint16_t>(int16_t{x0}) |
                                                (static_cast<uint32_t>(static_cast<uint16_t>(
                                                     int16_t{x1}))
                                                 << 16)));
}

template <int NB>
void GemvN(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int fc, int pairs,
           const int16_t* w, int64_t block_stride, int32_t* acc) {
  __m256i sum[NB];
  for (int b = 0; b < NB; ++b) sum[b] = _mm256_setzero_si256();
  const int full_pairs = fc / 2;
  for (int t = 0; t < ntaps; ++t) {
    const int8_t* x = xs[t];
    const int16_t* wt = w + static_cast<int64_t>(tap_ids[t]) * pairs * kPairStride;
    int p = 0;
    for (; p + 8 <= full_pairs; p += 8) {
      const __m256i xw =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 2 * p)));
      for (int j = 0; j < 8; ++j) {
        const __m256i v = _mm256_permutevar8x32_epi32(xw, _mm256_set1_epi32(j));
        const int16_t* wp = wt + (p + j) * kPairStride;
        for (int b = 0; b < NB; ++b) {
          const __m256i wv =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + b * block_stride));
          sum[b] = _mm256_add_epi32(sum[b], _mm256_madd_epi16(v, wv));
        }
      }
    }
    for (; p < pairs; ++p) {
      const __m256i v = BroadcastPair(x[2 * p], 2 * p + 1 < fc ? x[2 * p + 1] : int8_t{0});
      const int16_t* wp = wt + p * kPairStride;
      for (int b = 0; b < NB; ++b) {
        const __m256i wv =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + b * block_stride));
        sum[b] = _mm256_add_epi32(sum[b], _mm256_madd_epi16(v, wv));
      }
    }
  }
  for (int b = 0; b < NB; ++b) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + b * kBlock), sum[b]);
  }
}

void GemvAvx2(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int fc, int pairs,
              const int16_t* w, int64_t block_stride, int nblocks, int32_t* acc) {
  switch (nblocks) {
    case 4: return GemvN<4>(xs, tap_ids, ntaps, fc, pairs, w, block_stride, acc);
    case 3: return GemvN<3>(xs, tap_ids, ntaps, fc, pairs, w, block_stride, acc);
    case 2: return GemvN<2>(xs, tap_ids, ntaps, fc, pairs, w, block_stride, acc);
    default: return GemvN<1>(xs, tap_ids, ntaps, fc, pairs, w, block_stride, acc);
  }
}

void DepthwiseAvx2(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int c0, int n,
                   const int16_t* w, int channels, int32_t* acc) {
  int c = 0;
  for (; c + 16 <= n; c += 16) {
    __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
    for (int t = 0; t < ntaps; ++t) {
      const __m256i xv = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(xs[t] + c0 + c)));
      const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
          w + static_cast<int64_t>(tap_ids[t]) * channels + c0 + c));
      const __m256i prod = _mm256_mullo_epi16(xv, wv);  // |w * x| <= 2^14: exact
      lo = _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(prod)));
      hi = _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(prod, 1)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + c), lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(acc + c + 8), hi);
  }
  for (; c < n; ++c) {
    uint32_t sum = 0;
    for (int t = 0; t < ntaps; ++t) {
      sum += static_cast<uint32_t>(w[static_cast<int64_t>(tap_ids[t]) * channels + c0 + c] *
                                   xs[t][c0 + c]);
    }
    acc[c] = static_cast<int32_t>(sum);
  }
}

}  // namespace

const IsaKernels& Avx2Kernels() {
  static const IsaKernels kernels{"avx2", kBlock, &GemvAvx2, &DepthwiseAvx2};
  return kernels;
}

}  // namespace tinyserve::host
