// AVX-512BW inner loops of the host ADD and pooling kernels (this file alone is
// compiled with -mavx512f -mavx512bw). Same arithmetic as the AVX2 file, 16
// int32 lanes wide; see host_elementwise_avx2.cc for why it is exact.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "devices/host/host_elementwise.h"

namespace tinyserve::host {
namespace {

// floor((a*m + 2^30) / 2^31) per lane (== SRDHM for m in [0, 2^31)).
inline __m512i Srdhm(__m512i a, __m512i m) {
  const __m512i nudge = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(a, m), nudge);
  const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), m), nudge);
  return _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
}

struct Rdbpot {
  __m512i exponent, mask, half_mask, one;
  explicit Rdbpot(int e)
      : exponent(_mm512_set1_epi32(e)),
        mask(_mm512_set1_epi32(static_cast<int32_t>((int64_t{1} << e) - 1))),
        half_mask(_mm512_set1_epi32(static_cast<int32_t>(((int64_t{1} << e) - 1) >> 1))),
        one(_mm512_set1_epi32(1)) {}
  __m512i operator()(__m512i x) const {
    const __m512i remainder = _mm512_and_si512(x, mask);
    const __m512i threshold = _mm512_sub_epi32(half_mask, _mm512_srai_epi32(x, 31));
    const __m512i q = _mm512_srav_epi32(x, exponent);
    return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(remainder, threshold), q, one);
  }
};

// SRDHM((x + offset) << L, M) = floor((x*M + offset*M + 2^(30-L)) / 2^(31-L))
// for L <= 23 (see the AVX2 file).
struct Stage {
  __m512i multiplier, bias, down, up;
  Rdbpot right;
  explicit Stage(const AddInputStage& s)
      : multiplier(_mm512_set1_epi32(s.multiplier)),
        bias(_mm512_set1_epi64(int64_t{s.offset} * s.multiplier +
                               (int64_t{1} << (30 - s.left_shift)))),
        down(_mm512_set1_epi64(31 - s.left_shift)),
        up(_mm512_set1_epi64(s.left_shift + 1)),
        right(s.right_shift) {}
  // 16 int8 values to the common scale.
  __m512i operator()(__m128i x16) const {
    const __m512i x = _mm512_cvtepi8_epi32(x16);
    const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, multiplier), bias);
    const __m512i odd =
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_shuffle_epi32(x, _MM_PERM_DDBB), multiplier),
                         bias);
    return right(_mm512_mask_blend_epi32(0xAAAA, _mm512_srlv_epi64(even, down),
                                         _mm512_sllv_epi64(odd, up)));
  }
};

// The output stage; kShift = false when out_left_shift is 0.
template <bool kShift>
struct OutStage {
  __m512i multiplier, zero_point, lo, hi, left, lo8, hi8, order;
  Rdbpot right;
  explicit OutStage(const AddParams& p)
      : multiplier(_mm512_set1_epi32(p.out_multiplier)),
        zero_point(_mm512_set1_epi32(p.out_zero_point)),
        lo(_mm512_set1_epi32(p.act_min)),
        hi(_mm512_set1_epi32(p.act_max)),
        left(_mm512_set1_epi32(p.out_left_shift)),
        lo8(_mm512_set1_epi8(static_cast<int8_t>(p.act_min))),
        hi8(_mm512_set1_epi8(static_cast<int8_t>(p.act_max))),
        order(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)),
        right(p.out_right_shift) {}
  // The int32 result before the clamp.
  __m512i operator()(__m512i raw) const {
    if constexpr (kShift) raw = _mm512_sllv_epi32(raw, left);
    return _mm512_add_epi32(right(Srdhm(raw, multiplier)), zero_point);
  }
  // 16 clamped int8 results (in the int8 range after the clamp, so the
  // saturating down-conversion is exact).
  __m128i Narrow(__m512i v) const {
    return _mm512_cvtsepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi));
  }
  // Four vectors of 16 int32 (elements 0-15, ..., 48-63) to 64 clamped int8:
  // saturating packs (per 128-bit lane j: o0_j o1_j o2_j o3_j, 4 bytes each),
  // dwords reordered, then the clamp (a sub-range of int8, so saturating
  // first changes nothing).
  __m512i Pack(__m512i o0, __m512i o1, __m512i o2, __m512i o3) const {
    const __m512i b =
        _mm512_packs_epi16(_mm512_packs_epi32(o0, o1), _mm512_packs_epi32(o2, o3));
    return _mm512_min_epi8(_mm512_max_epi8(_mm512_permutexvar_epi32(order, b), lo8), hi8);
  }
};

inline __m128i Load16(const int8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// (x << linear_shift) + intercept (see the AVX2 file).
struct LinearStage {
  __m512i shift, intercept;
  explicit LinearStage(const AddInputStage& s)
      : shift(_mm512_set1_epi32(s.linear_shift)), intercept(_mm512_set1_epi32(s.intercept)) {}
  __m512i operator()(__m128i x16) const {
    return _mm512_add_epi32(_mm512_sllv_epi32(_mm512_cvtepi8_epi32(x16), shift), intercept);
  }
};

template <typename Stage0, typename Out, typename Scaled1>
inline void Add64(const Stage0& st0, const Out& os, const int8_t* x0, Scaled1 s1, int8_t* out) {
  __m512i o[4];
  for (int g = 0; g < 4; ++g) o[g] = os(_mm512_add_epi32(st0(Load16(x0 + 16 * g)), s1(g)));
  _mm512_storeu_si512(out, os.Pack(o[0], o[1], o[2], o[3]));
}

inline __mmask16 TailMask16(int64_t rest) {
  return static_cast<__mmask16>(rest >= 16 ? 0xFFFF : (1u << static_cast<unsigned>(rest)) - 1);
}

template <typename Stage0, typename Stage1, bool kShift>
void AddRow(const AddParams& p, const int8_t* x0, const int8_t* x1, int8_t* out, int64_t n) {
  const Stage0 st0(p.in[0]);
  const Stage1 st1(p.in[1]);
  const OutStage<kShift> os(p);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    Add64(st0, os, x0 + i, [&](int g) { return st1(Load16(x1 + i + 16 * g)); }, out + i);
  }
  for (; i < n; i += 16) {
    // Masked-off bytes are neither read nor written.
    const __mmask16 k = TailMask16(n - i);
    const __m128i a = _mm512_castsi512_si128(_mm512_maskz_loadu_epi8(k, x0 + i));
    const __m128i b = _mm512_castsi512_si128(_mm512_maskz_loadu_epi8(k, x1 + i));
    const __m512i r = _mm512_castsi128_si512(os.Narrow(os(_mm512_add_epi32(st0(a), st1(b)))));
    _mm512_mask_storeu_epi8(out + i, k, r);
  }
}

template <typename Stage0, typename Stage1>
void AddRowOut(const AddParams& p, const int8_t* x0, const int8_t* x1, int8_t* out, int64_t n) {
  if (p.out_left_shift == 0) return AddRow<Stage0, Stage1, false>(p, x0, x1, out, n);
  return AddRow<Stage0, Stage1, true>(p, x0, x1, out, n);
}

void AddRowAvx512(const AddParams& p, const int8_t* x0, const int8_t* x1, int8_t* out,
                  int64_t n) {
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
  const __m512i s1 = _mm512_set1_epi32(scaled1);
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) Add64(st0, os, x0 + i, [&](int) { return s1; }, out + i);
  for (; i < n; i += 16) {
    const __mmask16 k = TailMask16(n - i);
    const __m128i a = _mm512_castsi512_si128(_mm512_maskz_loadu_epi8(k, x0 + i));
    const __m512i r = _mm512_castsi128_si512(os.Narrow(os(_mm512_add_epi32(st0(a), s1))));
    _mm512_mask_storeu_epi8(out + i, k, r);
  }
}

template <typename Stage0>
void AddRowScalarOut(const AddParams& p, const int8_t* x0, int32_t scaled1, int8_t* out,
                     int64_t n) {
  if (p.out_left_shift == 0) return AddRowScalar<Stage0, false>(p, x0, scaled1, out, n);
  return AddRowScalar<Stage0, true>(p, x0, scaled1, out, n);
}

void AddRowScalarAvx512(const AddParams& p, const int8_t* x0, int32_t scaled1, int8_t* out,
                        int64_t n) {
  if (p.in[0].linear) return AddRowScalarOut<LinearStage>(p, x0, scaled1, out, n);
  return AddRowScalarOut<Stage>(p, x0, scaled1, out, n);
}

// ---------------------------------------------------------------------------
// Pools (masked loads and stores cover the channel tails: masked-off bytes are
// neither read nor written).

inline __mmask64 TailMask64(int n) {
  return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1;
}

void MaxPoolAvx512(const int8_t* in, int64_t row_stride, int ny, int nx, int channels,
                   int32_t act_min, int32_t act_max, int8_t* out) {
  const __m512i lo = _mm512_set1_epi8(static_cast<int8_t>(act_min));
  const __m512i hi = _mm512_set1_epi8(static_cast<int8_t>(act_max));
  for (int c = 0; c < channels; c += 64) {
    const __mmask64 k = TailMask64(channels - c);
    __m512i acc = _mm512_set1_epi8(-128);
    for (int y = 0; y < ny; ++y) {
      const int8_t* row = in + y * row_stride + c;
      for (int x = 0; x < nx; ++x) {
        acc = _mm512_max_epi8(
            acc, _mm512_mask_loadu_epi8(_mm512_set1_epi8(-128), k,
                                        row + static_cast<int64_t>(x) * channels));
      }
    }
    _mm512_mask_storeu_epi8(out + c, k, _mm512_min_epi8(_mm512_max_epi8(acc, lo), hi));
  }
}

inline __m512i RoundedDivide(__m512i s, __m512i half, __m512i magic) {
  const __m512i n = _mm512_add_epi32(_mm512_abs_epi32(s), half);
  const __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(n, magic), 31);
  const __m512i odd = _mm512_slli_epi64(_mm512_mul_epu32(_mm512_srli_epi64(n, 32), magic), 1);
  const __m512i q = _mm512_mask_blend_epi32(0xAAAA, even, odd);
  // Negate where s < 0 (q is 0 where s == 0).
  return _mm512_mask_sub_epi32(q, _mm512_cmplt_epi32_mask(s, _mm512_setzero_si512()),
                               _mm512_setzero_si512(), q);
}

void AvgPoolAvx512(const int8_t* in, int64_t row_stride, int ny, int nx, int channels,
                   uint32_t magic, int32_t act_min, int32_t act_max, int8_t* out) {
  const int count = ny * nx;
  const __m512i half = _mm512_set1_epi32(count / 2);
  const __m512i vmagic = _mm512_set1_epi32(static_cast<int32_t>(magic));
  const __m512i lo = _mm512_set1_epi32(act_min);
  const __m512i hi = _mm512_set1_epi32(act_max);
  for (int c = 0; c < channels; c += 32) {
    const int rest = std::min(32, channels - c);
    const __mmask32 k = rest >= 32 ? ~__mmask32{0} : (__mmask32{1} << rest) - 1;
    // int16 sums: at most 256 taps of [-128, 127] stay within [-32768, 32512].
    __m512i acc = _mm512_setzero_si512();
    for (int y = 0; y < ny; ++y) {
      const int8_t* row = in + y * row_stride + c;
      for (int x = 0; x < nx; ++x) {
        const __m256i v = _mm512_castsi512_si256(
            _mm512_maskz_loadu_epi8(k, row + static_cast<int64_t>(x) * channels));
        acc = _mm512_add_epi16(acc, _mm512_cvtepi8_epi16(v));
      }
    }
    for (int h = 0; h < 2; ++h) {
      const __m256i part = h == 0 ? _mm512_castsi512_si256(acc) : _mm512_extracti64x4_epi64(acc, 1);
      const __m512i q = RoundedDivide(_mm512_cvtepi16_epi32(part), half, vmagic);
      const __mmask16 kh = static_cast<__mmask16>(k >> (16 * h));
      _mm512_mask_cvtsepi32_storeu_epi8(out + c + 16 * h, kh,
                                        _mm512_min_epi32(_mm512_max_epi32(q, lo), hi));
    }
  }
}

constexpr ElementwiseKernels kAvx512 = {"avx512bw", &AddRowAvx512, &AddRowScalarAvx512,
                                        &MaxPoolAvx512, &AvgPoolAvx512};

}  // namespace

const ElementwiseKernels& Avx512ElementwiseKernels() { return kAvx512; }

}  // namespace tinyserve::host
