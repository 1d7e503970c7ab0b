// AVX-512BW primitives (this file alone is compiled with -mavx512f -mavx512bw):
// int8 inputs and weights widened to int16 pairs for vpmaddwd, whose products
// are exact; vpaddd wraps like the engine's int32 accumulator.
#include <immintrin.h>

#include <cstring>

#include "devices/host/host_kernels.h"
#include "devices/host/host_kernels_avx512_impl.h"

namespace tinyserve::host {
namespace {

struct PairDot {
  using W = int16_t;
  static constexpr int kStep = 2;
  static constexpr bool kOffset = false;
  static constexpr bool kDwQuads = false;  // see QuadDot (VNNI) for what this selects
  template <bool kPre>
  TS_HOST_INLINE static __m512i Bcast(const int8_t* x, int n) {
    const uint32_t lo = static_cast<uint16_t>(int16_t{x[0]});
    const uint32_t hi = n > 1 ? static_cast<uint16_t>(int16_t{x[1]}) : 0u;
    return _mm512_set1_epi32(static_cast<int32_t>(lo | (hi << 16)));
  }
  TS_HOST_INLINE static __m512i Mac(__m512i acc, __m512i xb, __m512i w) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(xb, w));
  }
  // Sign-extended x: its high int16 (0 or -1) meets the weight's zero high half.
  template <bool kPre>
  TS_HOST_INLINE static __m512i DwLoad(__m128i x) { return _mm512_cvtepi8_epi32(x); }
  TS_HOST_INLINE static __m512i DwMac(__m512i acc, __m512i xv, __m512i w) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(xv, w));
  }
};

void ConvTileBw(const ConvTileArgs& a) { ConvTileAvx512<PairDot>(a); }
void DepthwiseBw(const DepthwiseArgs& a) { DepthwiseAvx512<PairDot>(a); }

}  // namespace

const IsaKernels& Avx512bwKernels() {
  static const IsaKernels kernels{"avx512bw", 16, 2, 0, &ConvTileBw, &DepthwiseBw};
  return kernels;
}

}  // namespace tinyserve::host
