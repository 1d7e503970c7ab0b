// AVX2 inner loops of the host ADD and pooling kernels (this file alone is
// compiled with -mavx2 -mfma).
//
// Exactness of ADD in 32-bit lanes. SaturatingRoundingDoublingHighMul(a, m) is
// trunc((a*m + nudge) / 2^31) with nudge = 2^30 for a*m >= 0 and 1 - 2^30
// otherwise. For a*m < 0 the dividend a*m + 1 - 2^30 is negative, and truncating
// a negative t equals floor((t + 2^31 - 1) / 2^31) = floor((a*m + 2^30) / 2^31);
// for a*m >= 0 the dividend is non-negative and truncation is floor too. So
//   SRDHM(a, m) = floor((a*m + 2^30) / 2^31)
// in every case but a == m == INT32_MIN, which cannot occur: m is a prepared
// multiplier in [0, 2^31). The exact 64-bit product comes from vpmuldq (even
// lanes, then odd lanes moved down), + 2^30 in 64 bits (|a*m| <= 2^62, no
// overflow), and the floor's low 32 bits are bits 31..62 of the sum: a logical
// 64-bit shift gives them as well as an arithmetic one would. Since the true
// result fits in int32, those 32 bits are the result.
// RoundingDivideByPOT is its scalar definition lane by lane (and, arithmetic
// shift, compare, subtract of the all-ones mask). Left shifts are vpslld, which
// wraps as ShiftLeftWrapping does; the additions cannot overflow (bounded at
// prepare). The int32 results are clamped to the activation range, a sub-range
// of int8, after saturating packs: saturation then clamping equals clamping.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "devices/host/host_elementwise.h"

namespace tinyserve::host {
namespace {

inline __m256i Srdhm(__m256i a, __m256i m) {
  const __m256i nudge = _mm256_set1_epi64x(int64_t{1} << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(a, m), nudge);
  const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), m), nudge);
  return _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
}

// RoundingDivideByPOT(x, e) per lane, e in [0, 31].
struct Rdbpot {
  __m256i exponent, mask, half_mask;
  explicit Rdbpot(int e)
      : exponent(_mm256_set1_epi32(e)),
        mask(_mm256_set1_epi32(static_cast<int32_t>((int64_t{1} << e) - 1))),
        half_mask(_mm256_set1_epi32(static_cast<int32_t>(((int64_t{1} << e) - 1) >> 1))) {}
  __m256i operator()(__m256i x) const {
    const __m256i remainder = _mm256_and_si256(x, mask);
    // threshold = mask >> 1, plus 1 where x < 0 (x >> 31 is -1 there).
    const __m256i threshold = _mm256_sub_epi32(half_mask, _mm256_srai_epi32(x, 31));
    const __m256i q = _mm256_srav_epi32(x, exponent);
    return _mm256_sub_epi32(q, _mm256_cmpgt_epi32(remainder, threshold));
  }
};

// One input's stage. With u = x + offset, |u| <= 255 and L <= 23, u << L does
// not wrap, so SRDHM(u << L, M) = floor((u*M*2^L + 2^30) / 2^31)
// = floor((x*M + offset*M + 2^(30-L)) / 2^(31-L)): one exact 64-bit product
// plus a prepared 64-bit constant, whose bits 31-L .. 62-L are the result.
struct Stage {
  __m256i multiplier, bias, down, up;
  Rdbpot right;
  explicit Stage(const AddInputStage& s)
      : multiplier(_mm256_set1_epi32(s.multiplier)),
        bias(_mm256_set1_epi64x(int64_t{s.offset} * s.multiplier +
                                (int64_t{1} << (30 - s.left_shift)))),
        down(_mm256_set1_epi64x(31 - s.left_shift)),
        up(_mm256_set1_epi64x(s.left_shift + 1)),
        right(s.right_shift) {}
  // 8 int8 values (the low 8 bytes of x) to the common scale.
  __m256i operator()(__m128i x8) const {
    const __m256i x = _mm256_cvtepi8_epi32(x8);
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, multiplier), bias);
    const __m256i odd =
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_shuffle_epi32(x, 0xF5), multiplier), bias);
    return right(_mm256_blend_epi32(_mm256_srlv_epi64(even, down), _mm256_sllv_epi64(odd, up),
                                    0xAA));
  }
};

// The output stage; kShift = false when out_left_shift is 0.
template <bool kShift>
struct OutStage {
  __m256i multiplier, zero_point, left;
  Rdbpot right;
  __m256i lo, hi;
  explicit OutStage(const AddParams& p)
      : multiplier(_mm256_set1_epi32(p.out_multiplier)),
        zero_point(_mm256_set1_epi32(p.out_zero_point)),
        left(_mm256_set1_epi32(p.out_left_shift)),
        right(p.out_right_shift),
        lo(_mm256_set1_epi8(static_cast<int8_t>(p.act_min))),
        hi(_mm256_set1_epi8(static_cast<int8_t>(p.act_max))) {}
  __m256i operator()(__m256i raw) const {
    if constexpr (kShift) raw = _mm256_sllv_epi32(raw, left);
    return _mm256_add_epi32(right(Srdhm(raw, multiplier)), zero_point);
  }
  // Four vectors of 8 int32 (elements 0-7, 8-15, 16-23, 24-31) to 32 clamped int8.
  __m256i Pack(__m256i o0, __m256i o1, __m256i o2, __m256i o3) const {
    const __m256i w01 = _mm256_packs_epi32(o0, o1);  // per lane: o0 quad, o1 quad
    const __m256i w23 = _mm256_packs_epi32(o2, o3);
    const __m256i b = _mm256_packs_epi16(w01, w23);  // dwords: o0a o1a o2a o3a o0b o1b o2b o3b
    const __m256i ordered = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return _mm256_min_epi8(_mm256_max_epi8(ordered, lo), hi);
  }
};

// A stage that FinishAddParams found to be (x << linear_shift) + intercept for
// every int8 x: vpsllvd (0 for a count of 32) plus a wrapping add give that
// value mod 2^32, which is the (int32) stage value itself.
struct LinearStage {
  __m256i shift, intercept;
  explicit LinearStage(const AddInputStage& s)
      : shift(_mm256_set1_epi32(s.linear_shift)), intercept(_mm256_set1_epi32(s.intercept)) {}
  __m256i operator()(__m128i x8) const {
    return _mm256_add_epi32(_mm256_sllv_epi32(_mm256_cvtepi8_epi32(x8), shift), intercept);
  }
};

inline __m128i Low8(const int8_t* p) {
  return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
}

// 32 outputs; s1 supplies the scaled input 1 of group g (0..3).
template <typename Stage0, typename Out, typename Scaled1>
inline void Add32(const Stage0& st0, const Out& os, const int8_t* x0, Scaled1 s1, int8_t* out) {
  __m256i o[4];
  for (int g = 0; g < 4; ++g) o[g] = os(_mm256_add_epi32(st0(Low8(x0 + 8 * g)), s1(g)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), os.Pack(o[0], o[1], o[2], o[3]));
}

template <typename Stage0, typename Stage1, bool kShift>
void AddRow(const AddParams& p, const int8_t* x0, const int8_t* x1, int8_t* out, int64_t n) {
  const Stage0 st0(p.in[0]);
  const Stage1 st1(p.in[1]);
  const OutStage<kShift> os(p);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    Add32(st0, os, x0 + i, [&](int g) { return st1(Low8(x1 + i + 8 * g)); }, out + i);
  }
  if (i < n) {
    alignas(32) int8_t a[32] = {}, b[32] = {}, r[32];
    const size_t rest = static_cast<size_t>(n - i);
    std::memcpy(a, x0 + i, rest);
    std::memcpy(b, x1 + i, rest);
    Add32(st0, os, a, [&](int g) { return st1(Low8(b + 8 * g)); }, r);
    std::memcpy(out + i, r, rest);
  }
}

template <typename Stage0, typename Stage1>
void AddRowOut(const AddParams& p, const int8_t* x0, const int8_t* x1, int8_t* out, int64_t n) {
  if (p.out_left_shift == 0) return AddRow<Stage0, Stage1, false>(p, x0, x1, out, n);
  return AddRow<Stage0, Stage1, true>(p, x0, x1, out, n);
}

void AddRowAvx2(const AddParams& p, const int8_t* x0, const int8_t* x1, int8_t* out, int64_t n) {
  if (p.in[0].linear) {
    if (p.in[1].linear) return AddRowOut<LinearStage, LinearStage>(p, x0, x1, out, n);
    return AddRowOut<LinearStage, Stage>(p, x0, x1, out, n);
  }
  if (p.in[1].linear) return AddRowOut<Stage, LinearStage>(p, x0, x1, out, n);
  return AddRowOut<Stage, Stage>(p, x0, x1, out, n);
}

template <typename Stage0, bool kShift>
void AddRowScalar(const AddParams& p, const int8_t* x0, int32_t scaled1, int8_t* out,
                  int64_t n) {
  const Stage0 st0(p.in[0]);
  const OutStage<kShift> os(p);
  const __m256i s1 = _mm256_set1_epi32(scaled1);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) Add32(st0, os, x0 + i, [&](int) { return s1; }, out + i);
  if (i < n) {
    alignas(32) int8_t a[32] = {}, r[32];
    const size_t rest = static_cast<size_t>(n - i);
    std::memcpy(a, x0 + i, rest);
    Add32(st0, os, a, [&](int) { return s1; }, r);
    std::memcpy(out + i, r, rest);
  }
}

template <typename Stage0>
void AddRowScalarOut(const AddParams& p, const int8_t* x0, int32_t scaled1, int8_t* out,
                     int64_t n) {
  if (p.out_left_shift == 0) return AddRowScalar<Stage0, false>(p, x0, scaled1, out, n);
  return AddRowScalar<Stage0, true>(p, x0, scaled1, out, n);
}

void AddRowScalarAvx2(const AddParams& p, const int8_t* x0, int32_t scaled1, int8_t* out,
                      int64_t n) {
  if (p.in[0].linear) return AddRowScalarOut<LinearStage>(p, x0, scaled1, out, n);
  return AddRowScalarOut<Stage>(p, x0, scaled1, out, n);
}

// ---------------------------------------------------------------------------
// Pools.

inline const int8_t* Tap(const int8_t* in, int64_t row_stride, int channels, int y, int x) {
  return in + y * row_stride + static_cast<int64_t>(x) * channels;
}

void MaxPoolAvx2(const int8_t* in, int64_t row_stride, int ny, int nx, int channels,
                 int32_t act_min, int32_t act_max, int8_t* out) {
  int c = 0;
  for (; c + 32 <= channels; c += 32) {
    __m256i acc = _mm256_set1_epi8(-128);
    for (int y = 0; y < ny; ++y) {
      for (int x = 0; x < nx; ++x) {
        acc = _mm256_max_epi8(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                                       Tap(in, row_stride, channels, y, x) + c)));
      }
    }
    acc = _mm256_min_epi8(_mm256_max_epi8(acc, _mm256_set1_epi8(static_cast<int8_t>(act_min))),
                          _mm256_set1_epi8(static_cast<int8_t>(act_max)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c), acc);
  }
  for (; c + 16 <= channels; c += 16) {
    __m128i acc = _mm_set1_epi8(-128);
    for (int y = 0; y < ny; ++y) {
      for (int x = 0; x < nx; ++x) {
        acc = _mm_max_epi8(acc, _mm_loadu_si128(reinterpret_cast<const __m128i*>(
                                    Tap(in, row_stride, channels, y, x) + c)));
      }
    }
    acc = _mm_min_epi8(_mm_max_epi8(acc, _mm_set1_epi8(static_cast<int8_t>(act_min))),
                       _mm_set1_epi8(static_cast<int8_t>(act_max)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c), acc);
  }
  for (; c < channels; ++c) {
    int32_t m = -128;
    for (int y = 0; y < ny; ++y) {
      for (int x = 0; x < nx; ++x) m = std::max<int32_t>(m, Tap(in, row_stride, channels, y, x)[c]);
    }
    out[c] = static_cast<int8_t>(std::min(std::max(m, act_min), act_max));
  }
}

// sign(s) * floor((|s| + half) / count) for 8 int32 window sums, with
// floor(n / count) = (n * magic) >> 31 (exact for n < 2^17, count <= 256:
// magic = ceil(2^31 / count) overshoots n / count by less than n / 2^31 < 1 / count).
inline __m256i RoundedDivide(__m256i s, __m256i half, __m256i magic) {
  const __m256i n = _mm256_add_epi32(_mm256_abs_epi32(s), half);
  const __m256i even = _mm256_srli_epi64(_mm256_mul_epu32(n, magic), 31);
  const __m256i odd = _mm256_slli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(n, 32), magic), 1);
  return _mm256_sign_epi32(_mm256_blend_epi32(even, odd, 0xAA), s);
}

void AvgPoolAvx2(const int8_t* in, int64_t row_stride, int ny, int nx, int channels,
                 uint32_t magic, int32_t act_min, int32_t act_max, int8_t* out) {
  const int count = ny * nx;
  const __m256i half = _mm256_set1_epi32(count / 2);
  const __m256i vmagic = _mm256_set1_epi32(static_cast<int32_t>(magic));
  const __m128i lo = _mm_set1_epi8(static_cast<int8_t>(act_min));
  const __m128i hi = _mm_set1_epi8(static_cast<int8_t>(act_max));
  int c = 0;
  for (; c + 16 <= channels; c += 16) {
    // int16 sums: at most 256 taps of [-128, 127] stay within [-32768, 32512].
    __m256i acc = _mm256_setzero_si256();
    for (int y = 0; y < ny; ++y) {
      for (int x = 0; x < nx; ++x) {
        acc = _mm256_add_epi16(acc, _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                        reinterpret_cast<const __m128i*>(
                                            Tap(in, row_stride, channels, y, x) + c))));
      }
    }
    const __m256i q0 = RoundedDivide(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(acc)), half, vmagic);
    const __m256i q1 =
        RoundedDivide(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(acc, 1)), half, vmagic);
    // packs works per 128-bit lane: [q0 0-3, q1 0-3 | q0 4-7, q1 4-7] -> reorder quads.
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(q0, q1), 0xD8);
    __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    b = _mm_min_epi8(_mm_max_epi8(b, lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c), b);
  }
  for (; c < channels; ++c) {
    int32_t s = 0;
    for (int y = 0; y < ny; ++y) {
      for (int x = 0; x < nx; ++x) s += Tap(in, row_stride, channels, y, x)[c];
    }
    const int32_t v = s > 0 ? (s + count / 2) / count : (s - count / 2) / count;
    out[c] = static_cast<int8_t>(std::min(std::max(v, act_min), act_max));
  }
}

constexpr ElementwiseKernels kAvx2 = {"avx2", &AddRowAvx2, &AddRowScalarAvx2, &MaxPoolAvx2,
                                      &AvgPoolAvx2};

}  // namespace

const ElementwiseKernels& Avx2ElementwiseKernels() { return kAvx2; }

}  // namespace tinyserve::host
