// AVX-512 VNNI primitives (this file alone is compiled with -mavx512f
// -mavx512bw -mavx512vnni). vpdpbusd multiplies unsigned by signed bytes, so
// the input enters as x + 128 (x ^ 0x80) and the folded bias carries the
// matching correction: sum w * (x - zp) = sum w * (x + 128) - (zp + 128) * sum w
// (host_conv.cc folds zp + zp_offset). Four products of at most 255 * 128 and
// the accumulator add wrap exactly like int32 (vpdpbusd, not vpdpbusds).
#include <immintrin.h>

#include <cstring>

#include "devices/host/host_kernels.h"
#include "devices/host/host_kernels_avx512_impl.h"

namespace tinyserve::host {
namespace {

struct QuadDot {
  using W = int8_t;
  static constexpr int kStep = 4;
  static constexpr bool kOffset = true;
  // Selects the VNNI-only paths in host_kernels_avx512_impl.h: 3x3 depthwise
  // column quads, shuffled pixel pairs, BcastVec for one-block conv tiles.
  static constexpr bool kDwQuads = true;
  template <bool kPre>
  TS_HOST_INLINE static __m512i Bcast(const int8_t* x, int n) {
    const uint32_t v = LoadBytes(x, n);  // missing bytes meet zero weights
    return _mm512_set1_epi32(static_cast<int32_t>(kPre ? v : v ^ 0x80808080u));
  }
  // A full quad with the offset applied in the vector register, so the
  // broadcast reads memory directly instead of moving from a general register
  // on port 5. Faster for one-block tiles (the 8 -> 16 pointwise conv), slower
  // with two or more blocks (measured), so ConvTile picks it for NB == 1 only.
  template <bool kPre>
  TS_HOST_INLINE static __m512i BcastVec(const int8_t* x) {
    const __m512i v = _mm512_set1_epi32(static_cast<int32_t>(LoadBytes(x, 4)));
    if constexpr (kPre) return v;
    return _mm512_xor_si512(v, _mm512_set1_epi32(static_cast<int32_t>(0x80808080u)));
  }
  TS_HOST_INLINE static __m512i Mac(__m512i acc, __m512i xb, __m512i w) {
    return _mm512_dpbusd_epi32(acc, xb, w);
  }
  // x + 128 in byte 0 of each lane, zeros above; the weight's byte 0 is w.
  template <bool kPre>
  TS_HOST_INLINE static __m512i DwLoad(__m128i x) {
    return _mm512_cvtepu8_epi32(kPre ? x : _mm_xor_si128(x, _mm_set1_epi8(static_cast<char>(0x80))));
  }
  TS_HOST_INLINE static __m512i DwMac(__m512i acc, __m512i xv, __m512i w) {
    return _mm512_dpbusd_epi32(acc, xv, w);
  }
};

void ConvTileVnni(const ConvTileArgs& a) { ConvTileAvx512<QuadDot>(a); }
void DepthwiseVnni(const DepthwiseArgs& a) { DepthwiseAvx512<QuadDot>(a); }

}  // namespace

const IsaKernels& Avx512vnniKernels() {
  static const IsaKernels kernels{"avx512vnni", 16, 4, 128, &ConvTileVnni, &DepthwiseVnni};
  return kernels;
}

}  // namespace tinyserve::host
