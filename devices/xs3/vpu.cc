#include "devices/xs3/vpu.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Implementation notes. Every instruction copies its lanes into fixed-size
// local arrays (memcpy, which GCC turns into vector loads), runs one
// branch-free loop over them and copies the result back: at -O2/-O3 the loops
// vectorize with baseline SSE2, so the hot instructions cost a few ns.
// Saturation counts are summed as (clamped != exact) in the same loop. The
// int8 VLMACCR dot product and the ring rotation use SSE2 intrinsics (GCC's
// own code for them was 2-3x slower), with portable fallbacks.

namespace tinyserve::xs3 {
namespace {

constexpr int64_t kMax32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMax40 = (int64_t{1} << 39) - 1;

// Per lane type: lane count and a type wide enough for sums/products/shifts of
// two lanes without overflow.
template <typename T>
struct Lane;
template <>
struct Lane<int8_t> {
  static constexpr int kCount = 32;
  using Wide = int32_t;
};
template <>
struct Lane<int16_t> {
  static constexpr int kCount = 16;
  using Wide = int32_t;
};
template <>
struct Lane<int32_t> {
  static constexpr int kCount = 8;
  using Wide = int64_t;
};

inline void AssertAligned([[maybe_unused]] const void* a) {
  assert((reinterpret_cast<uintptr_t>(a) & 3) == 0 && "XS3 VPU operands must be 4-byte aligned");
}

// rhu(x, s) for a constant s >= 1, written as floor(x / 2^s) plus bit s-1 of x
// (the carry that adding 2^(s-1) would produce), so it cannot overflow.
template <int kShift, typename W>
inline W RhuConst(W x) {
  static_assert(kShift >= 1);
  return (x >> kShift) + ((x >> (kShift - 1)) & 1);
}

// rhu(x, s) for 0 <= s <= 62 and |x| < 2^61 (branch-free: s == 0 adds 0).
inline int64_t Rhu64(int64_t x, int s) { return (x + ((int64_t{1} << s) >> 1)) >> s; }

template <typename W>
inline W ClampSym(W x, W max) {
  return std::min(std::max(x, static_cast<W>(-max)), max);
}

// Sign-extends the low 40 bits.
inline int64_t SignExtend40(uint64_t v) { return static_cast<int64_t>(v << 24) >> 24; }

// ---- int8/int16-mode accumulators: high halves in vD.s16[i], low in vR.s16[i].
inline void LoadAcc32(const VectorRegister& vd, const VectorRegister& vr, int32_t acc[16]) {
  uint16_t hi[16], lo[16];
  std::memcpy(hi, vd.bytes, sizeof(hi));
  std::memcpy(lo, vr.bytes, sizeof(lo));
  for (int i = 0; i < 16; ++i) {
    acc[i] = static_cast<int32_t>((static_cast<uint32_t>(hi[i]) << 16) | lo[i]);
  }
}
inline void StoreAcc32(const int32_t acc[16], VectorRegister& vd, VectorRegister& vr) {
  uint16_t hi[16], lo[16];
  for (int i = 0; i < 16; ++i) {
    const uint32_t u = static_cast<uint32_t>(acc[i]);
    hi[i] = static_cast<uint16_t>(u >> 16);
    lo[i] = static_cast<uint16_t>(u);
  }
  std::memcpy(vd.bytes, hi, sizeof(hi));
  std::memcpy(vr.bytes, lo, sizeof(lo));
}

// ---- int32-mode accumulators: low 32 bits in vR.s32[i], the rest in vD.s32[i].
// A vD word that is not the sign extension of bit 39 (only possible after a raw
// VLDD) is read as its low 8 bits: the register is 40 bits wide.
inline void LoadAcc40(const VectorRegister& vd, const VectorRegister& vr, int64_t acc[8]) {
  uint32_t hi[8], lo[8];
  std::memcpy(hi, vd.bytes, sizeof(hi));
  std::memcpy(lo, vr.bytes, sizeof(lo));
  for (int i = 0; i < 8; ++i) acc[i] = SignExtend40((uint64_t{hi[i]} << 32) | lo[i]);
}
inline void StoreAcc40(const int64_t acc[8], VectorRegister& vd, VectorRegister& vr) {
  uint32_t hi[8], lo[8];
  for (int i = 0; i < 8; ++i) {
    const uint64_t u = static_cast<uint64_t>(acc[i]);
    hi[i] = static_cast<uint32_t>(u >> 32);
    lo[i] = static_cast<uint32_t>(u);
  }
  std::memcpy(vd.bytes, hi, sizeof(hi));
  std::memcpy(vr.bytes, lo, sizeof(lo));
}

// acc_i <- S32(acc_i + c_i * m_i) for 16 int8 or int16 lanes (|c*m| <= 2^30).
// Returns the number of clamped lanes.
template <typename T>
int VlmaccNarrow(VectorRegister& vd, VectorRegister& vr, const VectorRegister& vc,
                 const uint8_t* mem) {
  T c[16], m[16];
  std::memcpy(c, vc.bytes, sizeof(c));
  std::memcpy(m, mem, sizeof(m));
  int32_t acc[16];
  LoadAcc32(vd, vr, acc);
  // Fast path: with every acc in [-2^30, 2^30) (bits 31 and 30 equal), no
  // product can take the sum out of (-2^31, 2^31), so plain int32 adds are
  // exact. That is the case for every real kernel.
  uint32_t top_bits_differ = 0;
  for (int i = 0; i < 16; ++i) {
    const uint32_t u = static_cast<uint32_t>(acc[i]);
    top_bits_differ |= u ^ (u << 1);
  }
  int clamped = 0;
  if ((top_bits_differ >> 31) == 0) {
    for (int i = 0; i < 16; ++i) acc[i] += int32_t{c[i]} * int32_t{m[i]};
  } else {
    for (int i = 0; i < 16; ++i) {
      const int64_t exact = int64_t{acc[i]} + int32_t{c[i]} * int32_t{m[i]};
      const int64_t r = ClampSym(exact, kMax32);
      clamped += r != exact;
      acc[i] = static_cast<int32_t>(r);
    }
  }
  StoreAcc32(acc, vd, vr);
  return clamped;
}

// Sum over all lanes of c_j * m_j, exact.
template <typename T>
inline int64_t Dot(const VectorRegister& vc, const uint8_t* mem) {
  constexpr int n = Lane<T>::kCount;
  T c[n], m[n];
  std::memcpy(c, vc.bytes, kVectorBytes);
  std::memcpy(m, mem, kVectorBytes);
  if constexpr (sizeof(T) == 1) {
#if defined(__SSE2__)
    // Sign-extend bytes to int16 (unpack a byte with itself, then an
    // arithmetic shift), then pmaddwd: pairs of products summed in int32.
    const auto widen_lo = [](__m128i x) { return _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8); };
    const auto widen_hi = [](__m128i x) { return _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8); };
    const __m128i c0 = _mm_load_si128(reinterpret_cast<const __m128i*>(vc.bytes));
    const __m128i c1 = _mm_load_si128(reinterpret_cast<const __m128i*>(vc.bytes + 16));
    const __m128i m0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(mem));
    const __m128i m1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(mem + 16));
    __m128i acc = _mm_add_epi32(_mm_madd_epi16(widen_lo(c0), widen_lo(m0)),
                                _mm_madd_epi16(widen_hi(c0), widen_hi(m0)));
    acc = _mm_add_epi32(acc, _mm_add_epi32(_mm_madd_epi16(widen_lo(c1), widen_lo(m1)),
                                           _mm_madd_epi16(widen_hi(c1), widen_hi(m1))));
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(1, 0, 3, 2)));
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(acc);
#endif
    int32_t sum = 0;  // |sum| <= 32 * 2^14
    for (int j = 0; j < n; ++j) sum += int32_t{c[j]} * int32_t{m[j]};
    return sum;
  } else {
    int64_t sum = 0;  // 16 * 2^30 does not fit in int32
    for (int j = 0; j < n; ++j) sum += int64_t{int32_t{c[j]} * int32_t{m[j]}};
    return sum;
  }
}

// v's lanes of type L move up one (the top one falls off); lane 0 <- lane0.
// Done in registers and stored whole: GCC compiles the portable version to
// overlapping stores through the stack, and a narrow store into a register
// that the next instruction loads whole stalls store forwarding.
template <typename L>
inline void PushLane0(VectorRegister& v, L lane0) {
#if defined(__SSE2__)
  constexpr int kLaneBytes = sizeof(L);
  auto* p = reinterpret_cast<__m128i*>(v.bytes);  // VectorRegister is 32-byte aligned
  const __m128i lo = _mm_load_si128(p);
  const __m128i hi = _mm_load_si128(p + 1);
  _mm_store_si128(p + 1, _mm_or_si128(_mm_slli_si128(hi, kLaneBytes),
                                      _mm_srli_si128(lo, 16 - kLaneBytes)));
  _mm_store_si128(p, _mm_or_si128(_mm_slli_si128(lo, kLaneBytes),
                                  _mm_cvtsi32_si128(static_cast<int>(lane0))));
#else
  constexpr int n = kVectorBytes / sizeof(L);
  L in[n], out[n];
  std::memcpy(in, v.bytes, kVectorBytes);
  out[0] = lane0;
  for (int i = 1; i < n; ++i) out[i] = in[i - 1];
  std::memcpy(v.bytes, out, kVectorBytes);
#endif
}

// The int8/int16-mode ring: t <- S32(acc_15 + delta), acc_i <- acc_{i-1}, acc_0 <- t.
// Returns 1 if t was clamped.
inline int RotateIn32(VectorRegister& vd, VectorRegister& vr, int64_t delta) {
  const int64_t acc15 = static_cast<int32_t>(
      (static_cast<uint32_t>(static_cast<uint16_t>(vd.s16(15))) << 16) |
      static_cast<uint16_t>(vr.s16(15)));
  const int64_t exact = acc15 + delta;
  const int64_t t = ClampSym(exact, kMax32);
  // Each 16-bit half moves up one lane; lane 15 falls off the top.
  const uint32_t u = static_cast<uint32_t>(static_cast<int32_t>(t));
  PushLane0<uint16_t>(vr, static_cast<uint16_t>(u & 0xFFFF));
  PushLane0<uint16_t>(vd, static_cast<uint16_t>(u >> 16));
  return t != exact;
}

// The int32-mode ring of 8 40-bit accumulators.
inline int RotateIn40(VectorRegister& vd, VectorRegister& vr, int64_t delta) {
  const int64_t acc7 =
      SignExtend40((uint64_t{static_cast<uint32_t>(vd.s32(7))} << 32) |
                   static_cast<uint32_t>(vr.s32(7)));
  const int64_t exact = acc7 + delta;
  const int64_t t = ClampSym(exact, kMax40);
  PushLane0<uint32_t>(vr, static_cast<uint32_t>(static_cast<uint64_t>(t)));
  PushLane0<uint32_t>(vd, static_cast<uint32_t>(static_cast<uint64_t>(t) >> 32));
  return t != exact;
}

// out <- per-lane S(f(x, y)) in the lane's Wide type; returns the clamped count.
template <typename T, typename F>
inline int MapLanes(uint8_t* out, const uint8_t* xs, const uint8_t* ys, F f) {
  using W = typename Lane<T>::Wide;
  constexpr int n = Lane<T>::kCount;
  constexpr W kMax = std::numeric_limits<T>::max();
  T x[n], y[n], r[n];
  std::memcpy(x, xs, kVectorBytes);
  std::memcpy(y, ys, kVectorBytes);
  int clamped = 0;
  for (int i = 0; i < n; ++i) {
    const W exact = f(W{x[i]}, W{y[i]});
    const W c = ClampSym(exact, kMax);
    clamped += c != exact;
    r[i] = static_cast<T>(c);
  }
  std::memcpy(out, r, kVectorBytes);
  return clamped;
}

// out <- per-lane S(f(x)); returns the clamped count.
template <typename T, typename F>
inline int MapLanes1(uint8_t* out, const uint8_t* xs, F f) {
  using W = typename Lane<T>::Wide;
  constexpr int n = Lane<T>::kCount;
  constexpr W kMax = std::numeric_limits<T>::max();
  T x[n], r[n];
  std::memcpy(x, xs, kVectorBytes);
  int clamped = 0;
  for (int i = 0; i < n; ++i) {
    const W exact = f(W{x[i]});
    const W c = ClampSym(exact, kMax);
    clamped += c != exact;
    r[i] = static_cast<T>(c);
  }
  std::memcpy(out, r, kVectorBytes);
  return clamped;
}

template <typename T>
int VlashrLanes(uint8_t* out, const uint8_t* mem, int32_t shift, VlashrRounding rounding) {
  using W = typename Lane<T>::Wide;
  constexpr int kWidth = 8 * sizeof(T);
  if (shift > 0) {
    if (rounding == VlashrRounding::kLibNn2024 && shift < kWidth) {
      const W half = W{1} << (shift - 1);
      return MapLanes1<T>(out, mem, [=](W x) { return (x + half) >> shift; });
    }
    // Floor; any shift >= width gives the sign (-1 or 0), as x >> (width-1) does.
    const int s = std::min(shift, kWidth - 1);
    return MapLanes1<T>(out, mem, [=](W x) { return x >> s; });
  }
  // Left shift (or none) with saturation. Shifting by the lane width already
  // takes every nonzero lane out of range and still fits in Wide (for int32
  // lanes, -2^31 << 32 = -2^63), so larger shifts are clamped to it.
  const int s = static_cast<int>(std::min<int64_t>(-int64_t{shift}, kWidth));
  return MapLanes1<T>(out, mem, [=](W x) {
    return static_cast<W>(static_cast<std::make_unsigned_t<W>>(x) << s);
  });
}

// Runs lanes(T{}) for the mode's lane type T (int8, int16 or int32): the
// one switch of the lanewise instructions. `lanes` returns its clamped count,
// which only int16 mode counts as saturations.
template <typename F>
inline void ForModeLanes(VpuMode mode, VpuCounters& counters, F lanes) {
  switch (mode) {
    case VpuMode::kInt8:
      lanes(int8_t{});
      return;
    case VpuMode::kInt16:
      counters.saturations16 += lanes(int16_t{});
      return;
    case VpuMode::kInt32:
      lanes(int32_t{});
      return;
  }
}

}  // namespace

void Vpu::Vsetc(VpuMode mode) {
  assert((mode == VpuMode::kInt8 || mode == VpuMode::kInt16 || mode == VpuMode::kInt32) &&
         "unsupported VPU mode");
  ++counters_.vpu_instructions;
  mode_ = mode;
}

void Vpu::Vldr(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  std::memcpy(vr_.bytes, a, kVectorBytes);
}
void Vpu::Vldd(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  std::memcpy(vd_.bytes, a, kVectorBytes);
}
void Vpu::Vldc(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  std::memcpy(vc_.bytes, a, kVectorBytes);
}
void Vpu::Vstr(void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  std::memcpy(a, vr_.bytes, kVectorBytes);
}
void Vpu::Vstd(void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  std::memcpy(a, vd_.bytes, kVectorBytes);
}
void Vpu::Vstc(void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  std::memcpy(a, vc_.bytes, kVectorBytes);
}

void Vpu::Vstrpv(void* a, uint32_t byte_mask) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  auto* out = static_cast<uint8_t*>(a);
  if (byte_mask == 0xFFFFFFFFu) {
    std::memcpy(out, vr_.bytes, kVectorBytes);
    return;
  }
  if (byte_mask == 0xFFFFu) {  // the 16 bytes of a VDEPTH8/VLSAT int8 result
    std::memcpy(out, vr_.bytes, kVectorBytes / 2);
    return;
  }
  // Unmasked bytes are neither read nor written: a partial store at the end of
  // a tensor may point past its buffer.
  for (uint32_t m = byte_mask; m != 0; m &= m - 1) {
    const int i = __builtin_ctz(m);
    out[i] = vr_.bytes[i];
  }
}

void Vpu::Vclrdr() {
  ++counters_.vpu_instructions;
  vr_ = {};
  vd_ = {};
}

void Vpu::Vlmacc(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  const auto* mem = static_cast<const uint8_t*>(a);
  switch (mode_) {
    case VpuMode::kInt8:
      counters_.accumulator_saturations += VlmaccNarrow<int8_t>(vd_, vr_, vc_, mem);
      return;
    case VpuMode::kInt16:
      counters_.accumulator_saturations += VlmaccNarrow<int16_t>(vd_, vr_, vc_, mem);
      return;
    case VpuMode::kInt32:
      break;
  }
  int32_t c[8], m[8];
  std::memcpy(c, vc_.bytes, sizeof(c));
  std::memcpy(m, mem, sizeof(m));
  int64_t acc[8];
  LoadAcc40(vd_, vr_, acc);
  int clamped = 0;
  for (int i = 0; i < 8; ++i) {
    const int64_t exact = acc[i] + RhuConst<30>(int64_t{c[i]} * m[i]);
    acc[i] = ClampSym(exact, kMax40);
    clamped += acc[i] != exact;
  }
  StoreAcc40(acc, vd_, vr_);
  counters_.accumulator_saturations += clamped;
}

void Vpu::Vlmaccr(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  const auto* mem = static_cast<const uint8_t*>(a);
  switch (mode_) {
    case VpuMode::kInt8:
      counters_.accumulator_saturations += RotateIn32(vd_, vr_, Dot<int8_t>(vc_, mem));
      return;
    case VpuMode::kInt16:
      counters_.accumulator_saturations += RotateIn32(vd_, vr_, Dot<int16_t>(vc_, mem));
      return;
    case VpuMode::kInt32:
      break;
  }
  int32_t c[8], m[8];
  std::memcpy(c, vc_.bytes, sizeof(c));
  std::memcpy(m, mem, sizeof(m));
  int64_t sum = 0;  // 8 products, each rounded to Q30 first (|term| <= 2^32)
  for (int j = 0; j < 8; ++j) sum += RhuConst<30>(int64_t{c[j]} * m[j]);
  counters_.accumulator_saturations += RotateIn40(vd_, vr_, sum);
}

void Vpu::Vlmaccr1(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  uint32_t c[8], m[8];
  std::memcpy(c, vc_.bytes, sizeof(c));
  std::memcpy(m, a, sizeof(m));
  int64_t sum = 0;
  for (int j = 0; j < 8; ++j) sum += __builtin_popcount(~(c[j] ^ m[j])) - 16;
  // The documented modes are int8/int16; in int32 mode the 8-lane 40-bit ring
  // is used, as for VLMACCR (not verified on hardware).
  counters_.accumulator_saturations += mode_ == VpuMode::kInt32 ? RotateIn40(vd_, vr_, sum)
                                                                 : RotateIn32(vd_, vr_, sum);
}

void Vpu::Vlsat(const void* shifts) {
  AssertAligned(shifts);
  ++counters_.vpu_instructions;
  if (mode_ == VpuMode::kInt32) {
    uint32_t sh[8];
    std::memcpy(sh, shifts, sizeof(sh));
    int64_t acc[8];
    LoadAcc40(vd_, vr_, acc);
    int32_t out[8];
    for (int i = 0; i < 8; ++i) {
      // Negative shifts read as 0; any s >= 41 gives 0 for |acc| < 2^39, as 41 does.
      const int s = sh[i] >= 0x80000000u ? 0 : static_cast<int>(std::min<uint32_t>(sh[i], 41));
      out[i] = static_cast<int32_t>(ClampSym(Rhu64(acc[i], s), kMax32));
    }
    std::memcpy(vr_.bytes, out, sizeof(out));
    vd_ = {};
    return;
  }
  uint16_t sh[16];
  std::memcpy(sh, shifts, sizeof(sh));
  int32_t acc[16];
  LoadAcc32(vd_, vr_, acc);
  int64_t r[16];
  bool uniform = true;
  for (int i = 0; i < 16; ++i) uniform &= sh[i] == sh[0];
  // Negative (as int16) shifts read as 0; s >= 32 gives 0 for any 32-bit acc.
  if (uniform) {
    // One shift for all lanes (the group output transform): vectorizes.
    const int s = sh[0] >= 0x8000u ? 0 : std::min<int>(sh[0], 32);
    if (s == 0) {
      for (int i = 0; i < 16; ++i) r[i] = acc[i];
    } else if (s == 32) {
      for (int i = 0; i < 16; ++i) r[i] = 0;
    } else {
      for (int i = 0; i < 16; ++i) r[i] = (acc[i] >> s) + ((acc[i] >> (s - 1)) & 1);
    }
  } else {
    for (int i = 0; i < 16; ++i) {
      const int s = sh[i] >= 0x8000u ? 0 : std::min<int>(sh[i], 32);
      r[i] = Rhu64(acc[i], s);
    }
  }
  if (mode_ == VpuMode::kInt8) {
    int8_t out[kVectorBytes] = {};
    for (int i = 0; i < 16; ++i) out[i] = static_cast<int8_t>(ClampSym<int64_t>(r[i], 127));
    std::memcpy(vr_.bytes, out, sizeof(out));
  } else {
    int16_t out[16];
    int clamped = 0;
    for (int i = 0; i < 16; ++i) {
      const int64_t c = ClampSym<int64_t>(r[i], 32767);
      clamped += c != r[i];
      out[i] = static_cast<int16_t>(c);
    }
    std::memcpy(vr_.bytes, out, sizeof(out));
    counters_.saturations16 += clamped;
  }
  vd_ = {};
}

void Vpu::Vlashr(const void* a, int32_t shift) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  const auto* mem = static_cast<const uint8_t*>(a);
  ForModeLanes(mode_, counters_, [&](auto lane) {
    return VlashrLanes<decltype(lane)>(vr_.bytes, mem, shift, vlashr_rounding_);
  });
}

void Vpu::Vladd(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  const auto* mem = static_cast<const uint8_t*>(a);
  ForModeLanes(mode_, counters_, [&](auto lane) {
    return MapLanes<decltype(lane)>(vr_.bytes, vr_.bytes, mem,
                                    [](auto x, auto y) { return x + y; });
  });
}

void Vpu::Vlsub(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  const auto* mem = static_cast<const uint8_t*>(a);
  ForModeLanes(mode_, counters_, [&](auto lane) {
    return MapLanes<decltype(lane)>(vr_.bytes, vr_.bytes, mem,
                                    [](auto r, auto m) { return m - r; });  // mem - vR
  });
}

void Vpu::Vlmul(const void* a) {
  AssertAligned(a);
  ++counters_.vpu_instructions;
  const auto* mem = static_cast<const uint8_t*>(a);
  // Products fit in Wide: 2^14 (int8) and 2^30 (int16) in int32, 2^62 in
  // int64; rounded by the lane width - 2 bits (6, 14, 30).
  ForModeLanes(mode_, counters_, [&](auto lane) {
    using T = decltype(lane);
    using W = typename Lane<T>::Wide;
    return MapLanes<T>(vr_.bytes, vr_.bytes, mem,
                       [](W x, W y) { return RhuConst<8 * sizeof(T) - 2>(x * y); });
  });
}

void Vpu::Vpos() {
  ++counters_.vpu_instructions;
  // max(x, 0) never clamps: nothing is counted.
  ForModeLanes(mode_, counters_, [&](auto lane) {
    return MapLanes1<decltype(lane)>(vr_.bytes, vr_.bytes,
                                     [](auto x) { return std::max(x, decltype(x){0}); });
  });
}

void Vpu::Vdepth1() {
  ++counters_.vpu_instructions;
  uint32_t bits = 0;
  switch (mode_) {
    case VpuMode::kInt8:
      for (int i = 0; i < 32; ++i) bits |= uint32_t{vr_.s8(i) < 0} << i;
      break;
    case VpuMode::kInt16:
      for (int i = 0; i < 16; ++i) bits |= uint32_t{vr_.s16(i) < 0} << i;
      break;
    case VpuMode::kInt32:
      for (int i = 0; i < 8; ++i) bits |= uint32_t{vr_.s32(i) < 0} << i;
      break;
  }
  vr_ = {};
  std::memcpy(vr_.bytes, &bits, sizeof(bits));
}

void Vpu::Vdepth8() {
  ++counters_.vpu_instructions;
  int8_t out[kVectorBytes] = {};
  if (mode_ == VpuMode::kInt16) {
    int16_t x[16];
    std::memcpy(x, vr_.bytes, sizeof(x));
    for (int i = 0; i < 16; ++i) {
      out[i] = static_cast<int8_t>(ClampSym<int32_t>(RhuConst<8>(int32_t{x[i]}), 127));
    }
  } else if (mode_ == VpuMode::kInt32) {
    int32_t x[8];
    std::memcpy(x, vr_.bytes, sizeof(x));
    for (int i = 0; i < 8; ++i) {
      out[i] = static_cast<int8_t>(ClampSym<int32_t>(RhuConst<24>(x[i]), 127));
    }
  } else {
    assert(false && "VDEPTH8 is defined in int16 and int32 modes only");
    return;
  }
  std::memcpy(vr_.bytes, out, sizeof(out));
}

void Vpu::Vdepth16() {
  ++counters_.vpu_instructions;
  if (mode_ != VpuMode::kInt32) {
    assert(false && "VDEPTH16 is defined in int32 mode only");
    return;
  }
  int32_t x[8];
  std::memcpy(x, vr_.bytes, sizeof(x));
  int16_t out[16] = {};
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<int16_t>(ClampSym<int32_t>(RhuConst<16>(x[i]), 32767));
  }
  std::memcpy(vr_.bytes, out, sizeof(out));
}

int32_t Vpu::accumulator(int i) const {
  assert(i >= 0 && i < kAccumulatorCount);
  return static_cast<int32_t>((static_cast<uint32_t>(static_cast<uint16_t>(vd_.s16(i))) << 16) |
                              static_cast<uint16_t>(vr_.s16(i)));
}

int64_t Vpu::accumulator40(int i) const {
  assert(i >= 0 && i < kAccumulatorCount32);
  return SignExtend40((uint64_t{static_cast<uint32_t>(vd_.s32(i))} << 32) |
                      static_cast<uint32_t>(vr_.s32(i)));
}

void Vpu::set_accumulator(int i, int32_t value) {
  assert(i >= 0 && i < kAccumulatorCount);
  const uint32_t u = static_cast<uint32_t>(value);
  vd_.set_s16(i, static_cast<int16_t>(u >> 16));
  vr_.set_s16(i, static_cast<int16_t>(u & 0xFFFF));
}

void Vpu::set_accumulator40(int i, int64_t value) {
  assert(i >= 0 && i < kAccumulatorCount32);
  assert(value >= -(int64_t{1} << 39) && value < (int64_t{1} << 39));
  vd_.set_s32(i, static_cast<int32_t>(value >> 32));
  vr_.set_s32(i, static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(value))));
}

}  // namespace tinyserve::xs3
