// AVX2 primitives (this file alone is compiled with -mavx2 -mfma): int8 inputs
// and weights widened to int16 pairs for vpmaddwd, whose products are exact;
// vpaddd wraps like the engine's int32 accumulator. Tiles of P pixels x NB
// blocks of 8 output channels keep every accumulator in a register; the
// requantization is the exact lane-wise double rounding described in
// host_kernels_avx512_impl.h, on 8 lanes.
#include <immintrin.h>

#include <cstring>

#include "devices/host/host_kernels.h"
#include "devices/host/host_requantize_scalar.h"

namespace tinyserve::host {
namespace {

constexpr int kBlock = 8;

inline __m256i Load8(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// One block's requantization parameters, loaded once per tile (the int8
// output stores could alias the tables, so the compiler would reload them).
struct RqRegs {
  __m256i bias, lsh, m, m_odd, mask, half, rsh, zp, lo, hi;
  bool lshift, simd;
};

inline RqRegs LoadRq(const RequantTable& rq, int c) {
  RqRegs r;
  r.bias = Load8(rq.bias + c);
  r.lsh = Load8(rq.lshift + c);
  r.m = Load8(rq.mult + c);
  r.m_odd = _mm256_srli_epi64(r.m, 32);
  r.mask = Load8(rq.rmask + c);
  r.half = _mm256_srli_epi32(r.mask, 1);
  r.rsh = Load8(rq.rshift + c);
  r.zp = _mm256_set1_epi32(rq.out_zp);
  r.lo = _mm256_set1_epi32(rq.act_min);
  r.hi = _mm256_set1_epi32(rq.act_max);
  r.lshift = rq.any_lshift;
  r.simd = rq.simd;
  return r;
}

inline __m256i RequantVec(__m256i acc, const RqRegs& q) {
  __m256i x = _mm256_add_epi32(acc, q.bias);
  if (q.lshift) x = _mm256_sllv_epi32(x, q.lsh);
  const __m256i nudge = _mm256_set1_epi64x(int64_t{1} << 30);
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, q.m), nudge), 31);
  const __m256i odd = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), q.m_odd), nudge), 1);
  const __m256i h = _mm256_blend_epi32(even, odd, 0xAA);
  const __m256i rem = _mm256_and_si256(h, q.mask);
  const __m256i thr = _mm256_sub_epi32(q.half, _mm256_srai_epi32(h, 31));
  __m256i r = _mm256_srav_epi32(h, q.rsh);
  r = _mm256_sub_epi32(r, _mm256_cmpgt_epi32(rem, thr));  // +1 where rem > thr
  r = _mm256_add_epi32(r, q.zp);
  return _mm256_min_epi32(_mm256_max_epi32(r, q.lo), q.hi);
}

// Requantizes n (<= 8 used) lanes (table entries c..c+n) into out.
inline void StoreRequant(__m256i acc, const RqRegs& q, const RequantTable& rq, int c, int n,
                         int8_t* out) {
  if (n > kBlock) n = kBlock;
  if (q.simd) {
    const __m256i r = RequantVec(acc, q);  // within int8: byte 0 of each lane
    const __m128i pick = _mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i lo = _mm_shuffle_epi8(_mm256_castsi256_si128(r), pick);
    const __m128i hi = _mm_shuffle_epi8(_mm256_extracti128_si256(r, 1), pick);
    const __m128i bytes = _mm_unpacklo_epi32(lo, hi);
    if (n == kBlock) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out), bytes);
    } else {
      alignas(16) int8_t tmp[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes);
      std::memcpy(out, tmp, static_cast<size_t>(n));
    }
  } else {
    alignas(32) int32_t v[kBlock];
    _mm256_store_si256(reinterpret_cast<__m256i*>(v), acc);
    for (int l = 0; l < n; ++l) out[l] = ScalarRequant(rq, c + l, v[l]);
  }
}

// Two bytes (the second 0 when n == 1) sign-extended to an int16 pair.
inline __m256i BcastPair(const int8_t* x, int n) {
  uint16_t two = static_cast<uint8_t>(x[0]);
  if (n > 1) std::memcpy(&two, x, 2);
  return _mm256_broadcastd_epi32(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(two)));
}

template <int P, int NB>
void ConvTile(const ConvTileArgs& a, int blk0, int p0) {
  __m256i acc[P][NB];
  for (int p = 0; p < P; ++p) {
    for (int b = 0; b < NB; ++b) acc[p][b] = _mm256_setzero_si256();
  }
  const int16_t* w = static_cast<const int16_t*>(a.w) + blk0 * a.block_stride;
  const int full = a.row_k / 2, rem = a.row_k % 2;
  for (int ky = 0; ky < a.filter_h; ++ky) {
    const int8_t* x[P];
    for (int p = 0; p < P; ++p) x[p] = PixelRow(a, p0 + p, ky);
    const int16_t* wk = w + static_cast<int64_t>(ky) * a.groups * (2 * kBlock);
    for (int g = 0; g <= full; ++g) {
      if (g == full && rem == 0) break;
      const int n = g < full ? 2 : 1;
      __m256i wv[NB];
      for (int b = 0; b < NB; ++b) {
        wv[b] = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(wk + b * a.block_stride + g * (2 * kBlock)));
      }
      for (int p = 0; p < P; ++p) {
        const __m256i xb = BcastPair(x[p] + 2 * g, n);
        for (int b = 0; b < NB; ++b) {
          acc[p][b] = _mm256_add_epi32(acc[p][b], _mm256_madd_epi16(xb, wv[b]));
        }
      }
    }
  }
  for (int b = 0; b < NB; ++b) {
    const int oc = (blk0 + b) * kBlock;
    const RqRegs q = LoadRq(*a.rq, oc);
    for (int p = 0; p < P; ++p) {
      StoreRequant(acc[p][b], q, *a.rq, oc, a.out_c - oc,
                   a.out + static_cast<int64_t>(p0 + p) * a.out_c + oc);
    }
  }
}

// P * NB accumulators + NB weights + a broadcast fit the 16 registers.
template <int NB>
constexpr int MaxPixels() {
  return NB == 1 ? kMaxTilePixels : NB == 2 ? 4 : 1;
}

template <int NB, int P = 1>
void ConvTileN(const ConvTileArgs& a, int blk0, int p0, int n) {
  if constexpr (P < MaxPixels<NB>()) {
    if (n > P) return ConvTileN<NB, P + 1>(a, blk0, p0, n);
  }
  ConvTile<P, NB>(a, blk0, p0);
}

template <int NB>
void ConvBlocks(const ConvTileArgs& a, int blk0) {
  for (int p0 = 0; p0 < a.npix; p0 += MaxPixels<NB>()) {
    const int n = a.npix - p0 < MaxPixels<NB>() ? a.npix - p0 : MaxPixels<NB>();
    ConvTileN<NB>(a, blk0, p0, n);
  }
}

void ConvTileAvx2(const ConvTileArgs& a) {
  const int nblocks = (a.out_c + kBlock - 1) / kBlock;
  if (a.npix == 1) {  // a lone pixel (FULLY_CONNECTED): 4 chains hide vpmaddwd's latency
    for (int blk = 0; blk < nblocks; blk += 4) {
      switch (nblocks - blk) {
        case 1: ConvTile<1, 1>(a, blk, 0); break;
        case 2: ConvTile<1, 2>(a, blk, 0); break;
        case 3: ConvTile<1, 3>(a, blk, 0); break;
        default: ConvTile<1, 4>(a, blk, 0); break;
      }
    }
    return;
  }
  for (int blk = 0; blk < nblocks; blk += 2) {
    if (nblocks - blk == 1) {
      ConvBlocks<1>(a, blk);
    } else {
      ConvBlocks<2>(a, blk);
    }
  }
}

// Depthwise: a chunk of 16 channels as two 8-lane halves; the int32 weights
// hold int16 in the low half, so vpmaddwd with sign-extended x gives x * w.
void DepthwiseAvx2(const DepthwiseArgs& a) {
  for (int c0 = 0, chunk = 0; c0 < a.channels; c0 += kDepthwiseChunk, ++chunk) {
    const int n = a.channels - c0 < kDepthwiseChunk ? a.channels - c0 : kDepthwiseChunk;
    const int32_t* wc = a.w + static_cast<int64_t>(chunk) * a.w_chunk_step;
    const int rc = chunk * a.rq_chunk_step;
    const RqRegs q_lo = LoadRq(*a.rq, rc), q_hi = LoadRq(*a.rq, rc + kBlock);
    for (int p = 0; p < a.npix; ++p) {
      __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
      int t = 0;
      for (int ky = 0; ky < a.filter_h; ++ky) {
        const int8_t* row = a.rows[ky] + p * a.pix_step + c0;
        for (int kx = 0; kx < a.filter_w; ++kx, ++t) {
          const int8_t* xp = row + kx * a.tap_step;
          __m128i xr;
          if (n == kDepthwiseChunk) {
            xr = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xp));
          } else {
            alignas(16) int8_t tmp[16] = {};
            std::memcpy(tmp, xp, static_cast<size_t>(n));
            xr = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
          }
          const int32_t* wt = wc + static_cast<int64_t>(t) * a.w_tap_stride;
          lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_cvtepi8_epi32(xr), Load8(wt)));
          hi = _mm256_add_epi32(
              hi, _mm256_madd_epi16(_mm256_cvtepi8_epi32(_mm_srli_si128(xr, 8)), Load8(wt + 8)));
        }
      }
      int8_t* out = a.out + static_cast<int64_t>(p) * a.channels + c0;
      StoreRequant(lo, q_lo, *a.rq, rc, n, out);
      if (n > kBlock) StoreRequant(hi, q_hi, *a.rq, rc + kBlock, n - kBlock, out + kBlock);
    }
  }
}

}  // namespace

const IsaKernels& Avx2Kernels() {
  static const IsaKernels kernels{"avx2", kBlock, 2, 0, &ConvTileAvx2, &DepthwiseAvx2};
  return kernels;
}

}  // namespace tinyserve::host
