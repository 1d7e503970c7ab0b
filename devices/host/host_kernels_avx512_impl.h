// The AVX-512 tiles shared by the avx512bw and avx512vnni targets, included
// only by their files (compiled with AVX-512 flags; internal linkage so no
// copy leaks to other targets). A `Dot` policy supplies the multiply-accumulate:
//   kStep, W           k-step and weight element (int16 pairs / int8 quads)
//   kOffset            whether inputs take the +128 offset (rows may carry it
//                      already: template argument kPre)
//   Bcast<kPre>(x, n)  broadcast the n (<= kStep) input bytes at x, padded
//   Mac(acc, xb, w)    acc += per-lane dot product of xb and w (wrapping)
//   DwLoad<kPre>(x)    16 input bytes widened to one int32 lane each
//   DwMac(acc, xv, w)  acc += xv * w per int32 lane (w: int16 zero-extended)
//
// Conv tile: P pixels x NB blocks of 16 output channels, all accumulators in
// registers; each weight vector loaded once per tile feeds P pixels.
// Requantization is TFLite's double rounding, lane by lane and exact:
//   SRDHM(a, b) = floor((a*b + 2^30) / 2^31) (the reference's truncating
//   division with its sign-dependent nudge is this floor), full 64-bit
//   products from vpmuldq on even and odd lanes; the INT32_MIN * INT32_MIN
//   saturation cannot occur (tables with an INT32_MIN multiplier take the
//   scalar path, RequantTable::simd).
//   RDBPOT(x, e) = (x >> e) + ((x & mask) > (mask >> 1) + (x < 0)).
#ifndef TINYSERVE_DEVICES_HOST_HOST_KERNELS_AVX512_IMPL_H_
#define TINYSERVE_DEVICES_HOST_HOST_KERNELS_AVX512_IMPL_H_

#include <immintrin.h>

#include <cstring>

#include "devices/host/host_kernels.h"
#include "devices/host/host_requantize_scalar.h"

// The tiles' helpers must inline into them: an out-of-line call spills the
// accumulators (GCC stops inlining once the helpers have several callers).
#define TS_HOST_INLINE inline __attribute__((always_inline))

namespace tinyserve::host {
namespace {  // NOLINT: internal linkage on purpose

constexpr int kLanes = 16;

// One channel block's requantization parameters, loaded once per tile (the
// int8 output stores could alias the tables, so the compiler would reload them).
// The accumulators start from the folded bias, so none is added here.
struct RqRegs {
  __m512i lsh, m, m_odd, mask, half, rsh, zp, lo, hi;
  bool lshift, simd, clamp_lo, clamp_hi;
};

TS_HOST_INLINE RqRegs LoadRq(const RequantTable& rq, int c) {
  RqRegs r;
  r.lsh = _mm512_loadu_si512(rq.lshift + c);
  r.m = _mm512_loadu_si512(rq.mult + c);
  r.m_odd = _mm512_srli_epi64(r.m, 32);
  r.mask = _mm512_loadu_si512(rq.rmask + c);
  r.half = _mm512_srli_epi32(r.mask, 1);
  r.rsh = _mm512_loadu_si512(rq.rshift + c);
  r.zp = _mm512_set1_epi32(rq.out_zp);
  r.lo = _mm512_set1_epi32(rq.act_min);
  r.hi = _mm512_set1_epi32(rq.act_max);
  r.lshift = rq.any_lshift;
  r.simd = rq.simd;
  r.clamp_lo = rq.clamp_lo;
  r.clamp_hi = rq.clamp_hi;
  return r;
}

TS_HOST_INLINE __m512i RequantVec(__m512i acc, const RqRegs& q) {
  __m512i x = acc;
  if (q.lshift) x = _mm512_sllv_epi32(x, q.lsh);
  const __m512i nudge = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, q.m), nudge), 31);
  const __m512i odd = _mm512_slli_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), q.m_odd), nudge), 1);
  const __m512i h = _mm512_mask_blend_epi32(0xAAAA, even, odd);
  // RDBPOT(h, e) = (h >> e) + ((h & mask) > (mask >> 1) + (h < 0)).
  const __m512i rem = _mm512_and_si512(h, q.mask);
  const __m512i thr = _mm512_sub_epi32(q.half, _mm512_srai_epi32(h, 31));
  __m512i r = _mm512_srav_epi32(h, q.rsh);
  r = _mm512_mask_add_epi32(r, _mm512_cmpgt_epi32_mask(rem, thr), r, _mm512_set1_epi32(1));
  r = _mm512_add_epi32(r, q.zp);
  if (q.clamp_lo) r = _mm512_max_epi32(r, q.lo);
  if (q.clamp_hi) r = _mm512_min_epi32(r, q.hi);
  return r;  // the saturating narrowing store clamps to the int8 range
}

// Requantizes n (<= 16 used) lanes of acc (bias included; table entries
// c..c+n) into out.
TS_HOST_INLINE void StoreRequant(__m512i acc, const RqRegs& q, const RequantTable& rq, int c, int n,
                         int8_t* out) {
  const __mmask16 m = n >= kLanes ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  if (q.simd) {
    _mm512_mask_cvtsepi32_storeu_epi8(out, m, RequantVec(acc, q));
  } else {
    alignas(64) int32_t v[kLanes];
    _mm512_store_si512(v, acc);
    for (int l = 0; l < n && l < kLanes; ++l) out[l] = ScalarRequantBiased(rq, c + l, v[l]);
  }
}

// The n (1..4) bytes at x as the low bytes of a 32-bit word, zeros above.
TS_HOST_INLINE uint32_t LoadBytes(const int8_t* x, int n) {
  uint32_t v = 0;
  if (n == 4) {
    std::memcpy(&v, x, 4);
  } else {
    uint16_t h = 0;
    if (n & 2) std::memcpy(&h, x, 2);
    v = h;
    if (n & 1) v |= static_cast<uint32_t>(static_cast<uint8_t>(x[n - 1])) << (8 * (n - 1));
  }
  return v;
}

template <class Dot, bool kPre, int P, int NB>
void ConvTile(const ConvTileArgs& a, int blk0, int p0) {
  using W = typename Dot::W;
  constexpr int kStep = Dot::kStep;
  __m512i acc[P][NB];
  for (int b = 0; b < NB; ++b) {
    const __m512i bias = _mm512_loadu_si512(a.rq->bias + (blk0 + b) * kLanes);
    for (int p = 0; p < P; ++p) acc[p][b] = bias;
  }
  const W* w = static_cast<const W*>(a.w) + blk0 * a.block_stride;
  const int full = a.row_k / kStep, rem = a.row_k % kStep;
  const int64_t group_elems = kLanes * kStep;
  for (int ky = 0; ky < a.filter_h; ++ky) {
    const int8_t* x[P];
    for (int p = 0; p < P; ++p) x[p] = PixelRow(a, p0 + p, ky);
    const W* wk = w + static_cast<int64_t>(ky) * a.groups * group_elems;
    for (int g = 0; g < full; ++g) {
      __m512i xb[P];
      if constexpr (Dot::kDwQuads && NB == 1) {  // see QuadDot::BcastVec
        for (int p = 0; p < P; ++p) xb[p] = Dot::template BcastVec<kPre>(x[p] + g * kStep);
      } else {
        for (int p = 0; p < P; ++p) xb[p] = Dot::template Bcast<kPre>(x[p] + g * kStep, kStep);
      }
      for (int b = 0; b < NB; ++b) {
        const W* wp = wk + b * a.block_stride + g * group_elems;
        // A lone pixel streams each weight once (FULLY_CONNECTED, weights in
        // L2): fetch the 8 block streams ahead of use.
        if constexpr (P == 1) _mm_prefetch(reinterpret_cast<const char*>(wp + 8 * group_elems), _MM_HINT_T0);
        const __m512i wv = _mm512_loadu_si512(wp);
        for (int p = 0; p < P; ++p) acc[p][b] = Dot::Mac(acc[p][b], xb[p], wv);
      }
    }
    if (rem != 0) {
      __m512i xb[P];
      for (int p = 0; p < P; ++p) xb[p] = Dot::template Bcast<kPre>(x[p] + full * kStep, rem);
      for (int b = 0; b < NB; ++b) {
        const __m512i wv = _mm512_loadu_si512(wk + b * a.block_stride + full * group_elems);
        for (int p = 0; p < P; ++p) acc[p][b] = Dot::Mac(acc[p][b], xb[p], wv);
      }
    }
  }
  for (int b = 0; b < NB; ++b) {
    const int oc = (blk0 + b) * kLanes;
    const RqRegs q = LoadRq(*a.rq, oc);
    for (int p = 0; p < P; ++p) {
      StoreRequant(acc[p][b], q, *a.rq, oc, a.out_c - oc,
                   a.out + static_cast<int64_t>(p0 + p) * a.out_c + oc);
    }
  }
}

// Most pixels per tile with NB blocks: P * NB accumulators stay within 16 of
// the 32 registers.
template <int NB>
constexpr int MaxPixels() {
  return NB <= 2 ? kMaxTilePixels : 4;
}

template <class Dot, bool kPre, int NB, int P = 1>
void ConvTileN(const ConvTileArgs& a, int blk0, int p0, int n) {
  if constexpr (P < MaxPixels<NB>()) {
    if (n > P) return ConvTileN<Dot, kPre, NB, P + 1>(a, blk0, p0, n);
  }
  ConvTile<Dot, kPre, P, NB>(a, blk0, p0);
}

template <class Dot, bool kPre, int NB>
void ConvBlocks(const ConvTileArgs& a, int blk0) {
  for (int p0 = 0; p0 < a.npix; p0 += MaxPixels<NB>()) {
    const int n = a.npix - p0 < MaxPixels<NB>() ? a.npix - p0 : MaxPixels<NB>();
    ConvTileN<Dot, kPre, NB>(a, blk0, p0, n);
  }
}

// out_c == 8: Q vectors of two pixels each (lanes 0..7: pixel p, 8..15: p + 1),
// pixels [p0, p0 + n), n <= 2 * Q; the outputs of a pair are 16 contiguous bytes.
template <class Dot, bool kPre, int Q>
void ConvTilePairs(const ConvTileArgs& a, int p0, int n) {
  using W = typename Dot::W;
  constexpr int kStep = Dot::kStep;
  const __m512i bias = _mm512_loadu_si512(a.rq->bias);
  __m512i acc[Q];
  for (int q = 0; q < Q; ++q) acc[q] = bias;
  const W* w = static_cast<const W*>(a.w);
  const int full = a.row_k / kStep, rem = a.row_k % kStep;
  const int64_t group_elems = kLanes * kStep;
  for (int ky = 0; ky < a.filter_h; ++ky) {
    const int8_t* x[2 * Q];
    for (int i = 0; i < 2 * Q; ++i) {  // a missing last pixel repeats the first (masked off)
      x[i] = PixelRow(a, p0 + (i < n ? i : 0), ky);
    }
    const W* wk = w + static_cast<int64_t>(ky) * a.groups * group_elems;
    for (int g = 0; g <= full; ++g) {
      const int k = g < full ? kStep : rem;
      if (k == 0) break;
      const __m512i wv = _mm512_loadu_si512(wk + g * group_elems);
      for (int q = 0; q < Q; ++q) {
        const __m512i lo = Dot::template Bcast<kPre>(x[2 * q] + g * kStep, k);
        const __m512i hi = Dot::template Bcast<kPre>(x[2 * q + 1] + g * kStep, k);
        acc[q] = Dot::Mac(acc[q], _mm512_inserti64x4(lo, _mm512_castsi512_si256(hi), 1), wv);
      }
    }
  }
  const RqRegs rq = LoadRq(*a.rq, 0);
  for (int q = 0; q < Q && 2 * q < n; ++q) {
    StoreRequant(acc[q], rq, *a.rq, 0, 2 * q + 1 < n ? 16 : 8,
                 a.out + static_cast<int64_t>(p0 + 2 * q) * 8);
  }
}

// VNNI pixel pairs whose two windows share 16 bytes of each row (evenly
// spaced pixels, step + row_k_exact <= 16: the first 3x3 conv on 3 channels):
// one masked load and one 128-bit broadcast per row and pair, then one vpshufb
// per k-step picks pixel p's quad into lanes 0..7 and pixel p + 1's into lanes
// 8..15, where the generic path needs two scalar broadcasts and an insert.
template <bool kPre, int Q>
void ConvTilePairsShuffled(const ConvTileArgs& a, int p0, int n) {
  const __m512i bias = _mm512_loadu_si512(a.rq->bias);
  __m512i acc[Q];
  for (int q = 0; q < Q; ++q) acc[q] = bias;
  const int step = static_cast<int>(a.x_pix_step);
  const int groups = a.groups;  // <= 4: row_k_exact <= 16
  __m512i ctrl[4];
  {
    // Byte b of lane l (pixel p + l / 8) takes source byte 4g + b (+ step for
    // the second pixel); indices past the 16 loaded bytes read zero (0x80),
    // which meet zero weights since they lie beyond row_k_exact.
    const __m512i b = _mm512_mask_add_epi8(_mm512_set1_epi32(0x03020100), __mmask64(0xFFFFFFFF00000000ull),
                                           _mm512_set1_epi32(0x03020100),
                                           _mm512_set1_epi8(static_cast<char>(step)));
    for (int g = 0; g < groups; ++g) {
      const __m512i c = _mm512_add_epi8(b, _mm512_set1_epi8(static_cast<char>(4 * g)));
      ctrl[g] = _mm512_mask_mov_epi8(c, _mm512_cmpge_epu8_mask(c, _mm512_set1_epi8(16)),
                                     _mm512_set1_epi8(static_cast<char>(0x80)));
    }
  }
  const int8_t* w = static_cast<const int8_t*>(a.w);
  const int64_t group_elems = kLanes * 4;
  // Bytes of a pair (or of a lone last pixel) that its windows cover.
  const int pair_len = step + a.row_k_exact;
  for (int ky = 0; ky < a.filter_h; ++ky) {
    __m512i xq[Q];
    for (int q = 0; q < Q; ++q) {
      const int p = 2 * q < n ? p0 + 2 * q : p0;
      const int len = 2 * q + 1 < n ? pair_len : a.row_k_exact;
      __m512i x = _mm512_maskz_loadu_epi8((uint64_t{1} << len) - 1,
                                          a.x_base[ky] + static_cast<int64_t>(p) * a.x_pix_step);
      if constexpr (!kPre) x = _mm512_xor_si512(x, _mm512_set1_epi8(static_cast<char>(0x80)));
      xq[q] = _mm512_shuffle_i32x4(x, x, 0);  // lane 0 into all four
    }
    const int8_t* wk = w + static_cast<int64_t>(ky) * groups * group_elems;
    for (int g = 0; g < groups; ++g) {
      const __m512i wv = _mm512_loadu_si512(wk + g * group_elems);
      for (int q = 0; q < Q; ++q) {
        acc[q] = _mm512_dpbusd_epi32(acc[q], _mm512_shuffle_epi8(xq[q], ctrl[g]), wv);
      }
    }
  }
  const RqRegs rq = LoadRq(*a.rq, 0);
  for (int q = 0; q < Q && 2 * q < n; ++q) {
    StoreRequant(acc[q], rq, *a.rq, 0, 2 * q + 1 < n ? 16 : 8,
                 a.out + static_cast<int64_t>(p0 + 2 * q) * 8);
  }
}

template <class Dot, bool kPre>
void ConvPixelPairs(const ConvTileArgs& a) {
  if constexpr (Dot::kDwQuads) {
    if (a.rows == nullptr && a.row_k_exact > 0 && a.x_pix_step >= 0 &&
        a.x_pix_step + a.row_k_exact <= 16) {
      constexpr int kPairs = 8;
      for (int p0 = 0; p0 < a.npix; p0 += 2 * kPairs) {
        const int n = a.npix - p0 < 2 * kPairs ? a.npix - p0 : 2 * kPairs;
        if (n > 8) {
          ConvTilePairsShuffled<kPre, kPairs>(a, p0, n);
        } else if (n > 4) {
          ConvTilePairsShuffled<kPre, 4>(a, p0, n);
        } else {
          ConvTilePairsShuffled<kPre, 2>(a, p0, n);
        }
      }
      return;
    }
  }
  constexpr int kPairs = 8;  // 16 pixels per register tile
  for (int p0 = 0; p0 < a.npix; p0 += 2 * kPairs) {
    const int n = a.npix - p0 < 2 * kPairs ? a.npix - p0 : 2 * kPairs;
    if (n == 2 * kPairs) {
      ConvTilePairs<Dot, kPre, kPairs>(a, p0, n);
    } else if (n > 8) {
      ConvTilePairs<Dot, kPre, kPairs>(a, p0, n);
    } else if (n > 4) {
      ConvTilePairs<Dot, kPre, 4>(a, p0, n);
    } else if (n > 2) {
      ConvTilePairs<Dot, kPre, 2>(a, p0, n);
    } else {
      ConvTilePairs<Dot, kPre, 1>(a, p0, n);
    }
  }
}

template <class Dot, bool kPre>
void ConvTileAll(const ConvTileArgs& a) {
  if (a.pixel_pairs) return ConvPixelPairs<Dot, kPre>(a);
  const int nblocks = (a.out_c + kLanes - 1) / kLanes;
  if (a.npix == 1) {  // a lone pixel (FULLY_CONNECTED): 8 chains hide vpdpbusd's latency
    for (int blk = 0; blk < nblocks; blk += 8) {
      switch (nblocks - blk) {
        case 1: ConvTile<Dot, kPre, 1, 1>(a, blk, 0); break;
        case 2: ConvTile<Dot, kPre, 1, 2>(a, blk, 0); break;
        case 3: ConvTile<Dot, kPre, 1, 3>(a, blk, 0); break;
        case 4: ConvTile<Dot, kPre, 1, 4>(a, blk, 0); break;
        case 5: ConvTile<Dot, kPre, 1, 5>(a, blk, 0); break;
        case 6: ConvTile<Dot, kPre, 1, 6>(a, blk, 0); break;
        case 7: ConvTile<Dot, kPre, 1, 7>(a, blk, 0); break;
        default: ConvTile<Dot, kPre, 1, 8>(a, blk, 0); break;
      }
    }
    return;
  }
  for (int blk = 0; blk < nblocks; blk += 4) {
    switch (nblocks - blk) {
      case 1: ConvBlocks<Dot, kPre, 1>(a, blk); break;
      case 2: ConvBlocks<Dot, kPre, 2>(a, blk); break;
      case 3: ConvBlocks<Dot, kPre, 3>(a, blk); break;
      default: ConvBlocks<Dot, kPre, 4>(a, blk); break;
    }
  }
}

template <class Dot>
void ConvTileAvx512(const ConvTileArgs& a) {
  if constexpr (Dot::kOffset) {
    if (a.x_offset) return ConvTileAll<Dot, true>(a);
  }
  ConvTileAll<Dot, false>(a);
}

// Depthwise: chunks of 16 channels. The 3x3 path keeps the chunk's nine
// weight vectors in registers across the pixels of the row and runs three
// independent accumulation chains; other shapes loop over their taps.
template <class Dot, bool kPre, bool kFull>
TS_HOST_INLINE __m512i DwTap(const int8_t* x, __mmask64 lmask) {
  const __m128i xr = kFull ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(x))
                           : _mm512_castsi512_si128(_mm512_maskz_loadu_epi8(lmask, x));
  return Dot::template DwLoad<kPre>(xr);
}

template <class Dot, bool kPre, bool kFull>
void DepthwiseChunk3x3(const DepthwiseArgs& a, int c0, int chunk, int n) {
  const int32_t* wc = a.w + static_cast<int64_t>(chunk) * a.w_chunk_step;
  const int rc = chunk * a.rq_chunk_step;
  __m512i w[9];
  for (int t = 0; t < 9; ++t) w[t] = _mm512_loadu_si512(wc + t * a.w_tap_stride);
  const __mmask64 lmask = kFull ? __mmask64(0xFFFF) : __mmask64((uint64_t{1} << n) - 1);
  const RqRegs q = LoadRq(*a.rq, rc);
  const __m512i bias = _mm512_loadu_si512(a.rq->bias + rc);
  const int64_t ts = a.tap_step;
  const int8_t* r0 = a.rows[0] + c0;
  const int8_t* r1 = a.rows[1] + c0;
  const int8_t* r2 = a.rows[2] + c0;
  int8_t* out = a.out + c0;
  for (int p = 0; p < a.npix; ++p) {
    __m512i s0 = Dot::DwMac(bias, DwTap<Dot, kPre, kFull>(r0, lmask), w[0]);
    __m512i s1 = Dot::DwMac(_mm512_setzero_si512(), DwTap<Dot, kPre, kFull>(r0 + ts, lmask), w[1]);
    __m512i s2 =
        Dot::DwMac(_mm512_setzero_si512(), DwTap<Dot, kPre, kFull>(r0 + 2 * ts, lmask), w[2]);
    s0 = Dot::DwMac(s0, DwTap<Dot, kPre, kFull>(r1, lmask), w[3]);
    s1 = Dot::DwMac(s1, DwTap<Dot, kPre, kFull>(r1 + ts, lmask), w[4]);
    s2 = Dot::DwMac(s2, DwTap<Dot, kPre, kFull>(r1 + 2 * ts, lmask), w[5]);
    s0 = Dot::DwMac(s0, DwTap<Dot, kPre, kFull>(r2, lmask), w[6]);
    s1 = Dot::DwMac(s1, DwTap<Dot, kPre, kFull>(r2 + ts, lmask), w[7]);
    s2 = Dot::DwMac(s2, DwTap<Dot, kPre, kFull>(r2 + 2 * ts, lmask), w[8]);
    StoreRequant(_mm512_add_epi32(_mm512_add_epi32(s0, s1), s2), q, *a.rq, rc, n, out);
    r0 += a.pix_step;
    r1 += a.pix_step;
    r2 += a.pix_step;
    out += a.channels;
  }
}

// VNNI 3x3, 16 full channels: a "column quad" packs one input column's three
// filter rows as bytes [x(r0), x(r1), x(r2), 0] per channel lane, so one
// vpdpbusd does three taps against [w(0,kx), w(1,kx), w(2,kx), 0]. A column
// serves up to three pixels, so the kernel slides a window of three columns
// along the row and builds only the columns it has not seen (stride 1: one
// per pixel, stride 2: two), halving the MAC-side uops of DepthwiseChunk3x3.
// kFlatAlign: a flattened stride-1 run with 8 channels (tap step 8 lanes, pixel
// step 16): the middle column is the upper half of this pixel's first column
// and the lower half of the next pixel's, one valignd instead of a build.
template <bool kPre>
TS_HOST_INLINE __m512i DwColumn(const int8_t* r0, const int8_t* r1, const int8_t* r2) {
  const __m512i a = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r0)));
  const __m512i b = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r1)));
  const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r2)));
  // a | b << 8 | c << 16 (0xFE: any of the three).
  __m512i v = _mm512_ternarylogic_epi32(a, _mm512_slli_epi32(b, 8), _mm512_slli_epi32(c, 16), 0xFE);
  if constexpr (!kPre) v = _mm512_xor_si512(v, _mm512_set1_epi32(0x808080));
  return v;
}

template <bool kPre, int kStride, bool kFlatAlign>
void DepthwiseChunk3x3Quads(const DepthwiseArgs& a, int c0, int chunk) {
  const int32_t* wc = a.w + static_cast<int64_t>(chunk) * a.w_chunk_step;
  const int rc = chunk * a.rq_chunk_step;
  const __m512i byte = _mm512_set1_epi32(0xFF);
  __m512i w[3];
  for (int kx = 0; kx < 3; ++kx) {  // the packed int32 weights hold w in byte 0
    const __m512i t0 = _mm512_and_si512(_mm512_loadu_si512(wc + kx * a.w_tap_stride), byte);
    const __m512i t1 = _mm512_and_si512(_mm512_loadu_si512(wc + (3 + kx) * a.w_tap_stride), byte);
    const __m512i t2 = _mm512_and_si512(_mm512_loadu_si512(wc + (6 + kx) * a.w_tap_stride), byte);
    w[kx] = _mm512_ternarylogic_epi32(t0, _mm512_slli_epi32(t1, 8), _mm512_slli_epi32(t2, 16), 0xFE);
  }
  const RqRegs q = LoadRq(*a.rq, rc);
  const __m512i bias = _mm512_loadu_si512(a.rq->bias + rc);
  const int64_t ts = a.tap_step;
  const int8_t* r0 = a.rows[0] + c0;
  const int8_t* r1 = a.rows[1] + c0;
  const int8_t* r2 = a.rows[2] + c0;
  int8_t* out = a.out + c0;
  if constexpr (kFlatAlign) {
    // Columns at byte offsets 16p (v) and 16p + 16 (next); taps at 0, 8, 16.
    __m512i v = DwColumn<kPre>(r0, r1, r2);
    for (int p = 0; p < a.npix; ++p) {
      const int64_t o = 16 * static_cast<int64_t>(p + 1);
      const __m512i next = DwColumn<kPre>(r0 + o, r1 + o, r2 + o);
      __m512i s0 = _mm512_dpbusd_epi32(bias, v, w[0]);
      const __m512i s1 =
          _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_alignr_epi32(next, v, 8), w[1]);
      s0 = _mm512_dpbusd_epi32(s0, next, w[2]);
      StoreRequant(_mm512_add_epi32(s0, s1), q, *a.rq, rc, kLanes, out);
      v = next;
      out += a.channels;
    }
    return;
  }
  // v0, v1: the columns at offsets 0 and ts of pixel p (v1 unused for stride 2).
  __m512i v0 = DwColumn<kPre>(r0, r1, r2);
  __m512i v1 = kStride == 1 ? DwColumn<kPre>(r0 + ts, r1 + ts, r2 + ts) : v0;
  for (int p = 0; p < a.npix; ++p) {
    const int64_t o = static_cast<int64_t>(p) * a.pix_step;
    if constexpr (kStride == 2) v1 = DwColumn<kPre>(r0 + o + ts, r1 + o + ts, r2 + o + ts);
    const __m512i v2 = DwColumn<kPre>(r0 + o + 2 * ts, r1 + o + 2 * ts, r2 + o + 2 * ts);
    __m512i s0 = _mm512_dpbusd_epi32(bias, v0, w[0]);
    const __m512i s1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), v1, w[1]);
    s0 = _mm512_dpbusd_epi32(s0, v2, w[2]);
    StoreRequant(_mm512_add_epi32(s0, s1), q, *a.rq, rc, kLanes, out);
    if constexpr (kStride == 1) {
      v0 = v1;
      v1 = v2;
    } else {
      v0 = v2;
    }
    out += a.channels;
  }
}

template <class Dot, bool kPre>
void DepthwiseChunk(const DepthwiseArgs& a, int c0, int chunk, int n) {
  const int32_t* wc = a.w + static_cast<int64_t>(chunk) * a.w_chunk_step;
  const int rc = chunk * a.rq_chunk_step;
  const __mmask64 lmask = n >= kLanes ? __mmask64(0xFFFF) : __mmask64((uint64_t{1} << n) - 1);
  const RqRegs q = LoadRq(*a.rq, rc);
  const __m512i bias = _mm512_loadu_si512(a.rq->bias + rc);
  for (int p = 0; p < a.npix; ++p) {
    __m512i acc = bias;
    int t = 0;
    for (int ky = 0; ky < a.filter_h; ++ky) {
      const int8_t* row = a.rows[ky] + p * a.pix_step + c0;
      for (int kx = 0; kx < a.filter_w; ++kx, ++t) {
        acc = Dot::DwMac(acc, DwTap<Dot, kPre, false>(row + kx * a.tap_step, lmask),
                         _mm512_loadu_si512(wc + t * a.w_tap_stride));
      }
    }
    StoreRequant(acc, q, *a.rq, rc, n, a.out + static_cast<int64_t>(p) * a.channels + c0);
  }
}

template <class Dot, bool kPre>
void DepthwiseAll(const DepthwiseArgs& a) {
  const bool three = a.filter_h == 3 && a.filter_w == 3;
  for (int c0 = 0, chunk = 0; c0 < a.channels; c0 += kLanes, ++chunk) {
    const int n = a.channels - c0 < kLanes ? a.channels - c0 : kLanes;
    if constexpr (Dot::kDwQuads) {
      // Pixel p's columns lie at p * pix_step + {0, 1, 2} * tap_step.
      if (three && n == kLanes) {
        if (a.pix_step == a.tap_step) {
          DepthwiseChunk3x3Quads<kPre, 1, false>(a, c0, chunk);
          continue;
        }
        if (a.pix_step == 2 * a.tap_step) {
          if (a.channels == kLanes && a.pix_step == kLanes && a.tap_step == 8) {
            DepthwiseChunk3x3Quads<kPre, 1, true>(a, c0, chunk);
          } else {
            DepthwiseChunk3x3Quads<kPre, 2, false>(a, c0, chunk);
          }
          continue;
        }
      }
    }
    if (three && n == kLanes) {
      DepthwiseChunk3x3<Dot, kPre, true>(a, c0, chunk, n);
    } else if (three) {
      DepthwiseChunk3x3<Dot, kPre, false>(a, c0, chunk, n);
    } else {
      DepthwiseChunk<Dot, kPre>(a, c0, chunk, n);
    }
  }
}

template <class Dot>
void DepthwiseAvx512(const DepthwiseArgs& a) {
  if constexpr (Dot::kOffset) {
    if (a.x_offset) return DepthwiseAll<Dot, true>(a);
  }
  DepthwiseAll<Dot, false>(a);
}

}  // namespace
}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_KERNELS_AVX512_IMPL_H_
