// AVX-512BW primitives (this file alone is compiled with -mavx512f -mavx512bw):
// the AVX2 scheme on 16 int32 lanes. vpmaddwd products are exact (int8 values
// widened to int16) and vpaddd wraps like the engine's int32 accumulator.
#include <immintrin.h>

#include "devices/host/host_kernels.h"

namespace tinyserve::host {
namespace {

constexpr int kBlock = 16;
constexpr int kPairStride = 2 * kBlock;

inline __m512i BroadcastPair(int8_t x0, int8_t x1) {
  return _mm512_set1_epi32(static_cast<int32_t>(
      static_cast<uint16_t>(int16_t{x0}) |
      (static_cast<uint32_t>(static_cast<uint16_t>(int16_t{x1})) << 16)));
}

template <int NB>
void GemvN(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int fc, int pairs,
           const int16_t* w, int64_t block_stride, int32_t* acc) {
  __m512i sum[NB];
  for (int b = 0; b < NB; ++b) sum[b] = _mm512_setzero_si512();
  const int full_pairs = fc / 2;
  for (int t = 0; t < ntaps; ++t) {
    const int8_t* x = xs[t];
    const int16_t* wt = w + static_cast<int64_t>(tap_ids[t]) * pairs * kPairStride;
    int p = 0;
    for (; p + 16 <= full_pairs; p += 16) {
      const __m512i xw =
          _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 2 * p)));
      for (int j = 0; j < 16; ++j) {
        const __m512i v = _mm512_permutexvar_epi32(_mm512_set1_epi32(j), xw);
        const int16_t* wp = wt + (p + j) * kPairStride;
        for (int b = 0; b < NB; ++b) {
          sum[b] = _mm512_add_epi32(sum[b],
                                    _mm512_madd_epi16(v, _mm512_loadu_si512(wp + b * block_stride)));
        }
      }
    }
    for (; p < pairs; ++p) {
      const __m512i v = BroadcastPair(x[2 * p], 2 * p + 1 < fc ? x[2 * p + 1] : int8_t{0});
      const int16_t* wp = wt + p * kPairStride;
      for (int b = 0; b < NB; ++b) {
        sum[b] = _mm512_add_epi32(sum[b],
                                  _mm512_madd_epi16(v, _mm512_loadu_si512(wp + b * block_stride)));
      }
    }
  }
  for (int b = 0; b < NB; ++b) _mm512_storeu_si512(acc + b * kBlock, sum[b]);
}

void GemvAvx512(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int fc, int pairs,
                const int16_t* w, int64_t block_stride, int nblocks, int32_t* acc) {
  switch (nblocks) {
    case 4: return GemvN<4>(xs, tap_ids, ntaps, fc, pairs, w, block_stride, acc);
    case 3: return GemvN<3>(xs, tap_ids, ntaps, fc, pairs, w, block_stride, acc);
    case 2: return GemvN<2>(xs, tap_ids, ntaps, fc, pairs, w, block_stride, acc);
    default: return GemvN<1>(xs, tap_ids, ntaps, fc, pairs, w, block_stride, acc);
  }
}

void DepthwiseAvx512(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int c0, int n,
                     const int16_t* w, int channels, int32_t* acc) {
  int c = 0;
  for (; c + 32 <= n; c += 32) {
    __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
    for (int t = 0; t < ntaps; ++t) {
      const __m512i xv = _mm512_cvtepi8_epi16(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xs[t] + c0 + c)));
      const __m512i wv =
          _mm512_loadu_si512(w + static_cast<int64_t>(tap_ids[t]) * channels + c0 + c);
      const __m512i prod = _mm512_mullo_epi16(xv, wv);  // |w * x| <= 2^14: exact
      lo = _mm512_add_epi32(lo, _mm512_cvtepi16_epi32(_mm512_castsi512_si256(prod)));
      hi = _mm512_add_epi32(hi, _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(prod, 1)));
    }
    _mm512_storeu_si512(acc + c, lo);
    _mm512_storeu_si512(acc + c + 16, hi);
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

const IsaKernels& Avx512bwKernels() {
  static const IsaKernels kernels{"avx512bw", kBlock, &GemvAvx512, &DepthwiseAvx512};
  return kernels;
}

}  // namespace tinyserve::host
