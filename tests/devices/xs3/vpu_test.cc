// Per-instruction tests of the XS3 VPU emulator, from the documented semantics
// (../shared/docs/xs3.md §1). Expected values are written out by hand or come
// from the scalar reference formulas below (int64/__int128, plain division),
// never from running the emulator.
#include "devices/xs3/vpu.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include "gtest/gtest.h"

namespace tinyserve::xs3 {
namespace {

constexpr int64_t kMax32 = 2147483647;
constexpr int64_t kMax40 = (int64_t{1} << 39) - 1;

// ---- A 32-byte memory operand, 4-byte (indeed 32-byte) aligned.
struct alignas(32) Mem {
  uint8_t b[kVectorBytes] = {};

  template <typename T>
  T Get(int i) const {
    T v;
    std::memcpy(&v, b + i * sizeof(T), sizeof(T));
    return v;
  }
  template <typename T>
  void Set(int i, T v) {
    std::memcpy(b + i * sizeof(T), &v, sizeof(T));
  }
  template <typename T>
  static Mem Fill(T v) {
    Mem m;
    for (int i = 0; i < kVectorBytes / static_cast<int>(sizeof(T)); ++i) m.Set<T>(i, v);
    return m;
  }
};

template <typename T>
T RegLane(const VectorRegister& r, int i) {
  T v;
  std::memcpy(&v, r.bytes + i * sizeof(T), sizeof(T));
  return v;
}

// ---- The documented accumulator split, written independently of the emulator.
// int8/int16 modes: high 16 bits in vD.s16[i], low 16 bits in vR.s16[i].
void PutAcc32(Vpu& vpu, int i, int64_t acc) {
  const uint32_t u = static_cast<uint32_t>(static_cast<int32_t>(acc));
  vpu.mutable_vD().set_s16(i, static_cast<int16_t>(u >> 16));
  vpu.mutable_vR().set_s16(i, static_cast<int16_t>(u & 0xFFFF));
}
int64_t GetAcc32(const Vpu& vpu, int i) {
  const uint32_t hi = static_cast<uint16_t>(vpu.vD().s16(i));
  const uint32_t lo = static_cast<uint16_t>(vpu.vR().s16(i));
  return static_cast<int32_t>((hi << 16) | lo);
}
// int32 mode: low 32 bits in vR.s32[i], the upper bits sign-extended in vD.s32[i].
void PutAcc40(Vpu& vpu, int i, int64_t acc) {
  vpu.mutable_vR().set_s32(i, static_cast<int32_t>(static_cast<uint32_t>(acc & 0xFFFFFFFF)));
  vpu.mutable_vD().set_s32(i, static_cast<int32_t>(acc >> 32));
}
int64_t GetAcc40(const Vpu& vpu, int i) {
  return int64_t{vpu.vD().s32(i)} * (int64_t{1} << 32) +
         static_cast<int64_t>(static_cast<uint32_t>(vpu.vR().s32(i)));
}

// ---- Reference arithmetic, by definition.
__int128 FloorDiv(__int128 a, __int128 b) {  // b > 0
  __int128 q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}
__int128 Pow2(int s) { return static_cast<__int128>(1) << s; }
// rhu(x, s) = floor((x + 2^(s-1)) / 2^s) for s > 0, x for s == 0.
__int128 RefRhu(__int128 x, int s) { return s == 0 ? x : FloorDiv(x + Pow2(s - 1), Pow2(s)); }
// Symmetric saturation at `bits` bits.
int64_t RefSat(__int128 x, int bits) {
  const __int128 max = Pow2(bits - 1) - 1;
  return static_cast<int64_t>(x > max ? max : (x < -max ? -max : x));
}
bool Saturates(__int128 x, int bits) { return RefSat(x, bits) != x; }

int LaneBits(VpuMode mode) {
  return mode == VpuMode::kInt8 ? 8 : (mode == VpuMode::kInt16 ? 16 : 32);
}
int LaneCount(VpuMode mode) { return 256 / LaneBits(mode); }

// Reads lane i of a register / memory operand as a signed value of the mode's width.
int64_t LaneOf(const uint8_t* p, VpuMode mode, int i) {
  switch (LaneBits(mode)) {
    case 8: return static_cast<int8_t>(p[i]);
    case 16: { int16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
    default: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  }
}
void SetLaneOf(uint8_t* p, VpuMode mode, int i, int64_t v) {
  switch (LaneBits(mode)) {
    case 8: p[i] = static_cast<uint8_t>(v); break;
    case 16: { const int16_t x = static_cast<int16_t>(v); std::memcpy(p + 2 * i, &x, 2); break; }
    default: { const int32_t x = static_cast<int32_t>(v); std::memcpy(p + 4 * i, &x, 4); break; }
  }
}

// ---- Random values that often sit on the edges.
class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  // Any two's-complement value of `bits` bits, with the extremes over-represented.
  int64_t Value(int bits) {
    const int64_t min = -(int64_t{1} << (bits - 1));
    const int64_t max = (int64_t{1} << (bits - 1)) - 1;
    switch (Uniform(0, 7)) {
      case 0: {
        const int64_t edges[] = {min, min + 1, -1, 0, 1, max - 1, max};
        return edges[Uniform(0, 6)];
      }
      case 1: return Uniform(min, std::min(min + 300, max));
      case 2: return Uniform(std::max(max - 300, min), max);
      case 3: return Uniform(std::max<int64_t>(-300, min), std::min<int64_t>(300, max));
      default: return Uniform(min, max);
    }
  }
  // A symmetric accumulator value (what the VPU can hold) of `bits` bits.
  int64_t Acc(int bits) {
    const int64_t v = Value(bits);
    return v == -(int64_t{1} << (bits - 1)) ? v + 1 : v;
  }
  Mem Vector(VpuMode mode) {
    Mem m;
    for (int i = 0; i < LaneCount(mode); ++i) SetLaneOf(m.b, mode, i, Value(LaneBits(mode)));
    return m;
  }
  void Bytes(uint8_t* p, int n) {
    for (int i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(Uniform(0, 255));
  }

 private:
  std::mt19937_64 rng_;
};

constexpr VpuMode kModes[] = {VpuMode::kInt8, VpuMode::kInt16, VpuMode::kInt32};

// =====================================================================
// Registers, loads, stores, control.

TEST(VectorRegisterTest, LanesAreLittleEndian) {
  VectorRegister r;
  r.set_s16(1, -2);
  EXPECT_EQ(r.bytes[2], 0xFE);
  EXPECT_EQ(r.bytes[3], 0xFF);
  EXPECT_EQ(r.s8(2), -2);
  r.set_s32(7, 0x01020304);
  EXPECT_EQ(r.bytes[28], 0x04);
  EXPECT_EQ(r.s16(14), 0x0304);
}

TEST(VpuTest, StartsZeroedInInt32Mode) {
  Vpu vpu;
  EXPECT_EQ(vpu.mode(), VpuMode::kInt32);
  EXPECT_EQ(vpu.vlashr_rounding(), VlashrRounding::kFloor);
  for (int i = 0; i < kVectorBytes; ++i) {
    EXPECT_EQ(vpu.vR().bytes[i], 0);
    EXPECT_EQ(vpu.vD().bytes[i], 0);
    EXPECT_EQ(vpu.vC().bytes[i], 0);
  }
  EXPECT_EQ(vpu.counters().vpu_instructions, 0);
}

TEST(VpuTest, VsetcSetsModeWithDocumentedEncoding) {
  EXPECT_EQ(static_cast<uint32_t>(VpuMode::kInt32), 0x000u);
  EXPECT_EQ(static_cast<uint32_t>(VpuMode::kInt16), 0x100u);
  EXPECT_EQ(static_cast<uint32_t>(VpuMode::kInt8), 0x200u);
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt8);
  EXPECT_EQ(vpu.mode(), VpuMode::kInt8);
  vpu.Vsetc(VpuMode::kInt16);
  EXPECT_EQ(vpu.mode(), VpuMode::kInt16);
  EXPECT_EQ(vpu.counters().vpu_instructions, 2);
}

TEST(VpuTest, LoadsAndStoresMove32Bytes) {
  Mem r, d, c;
  for (int i = 0; i < kVectorBytes; ++i) {
    r.b[i] = static_cast<uint8_t>(i);
    d.b[i] = static_cast<uint8_t>(100 + i);
    c.b[i] = static_cast<uint8_t>(200 + i);
  }
  Vpu vpu;
  vpu.Vldr(r.b);
  vpu.Vldd(d.b);
  vpu.Vldc(c.b);
  Mem out_r, out_d, out_c;
  vpu.Vstr(out_r.b);
  vpu.Vstd(out_d.b);
  vpu.Vstc(out_c.b);
  EXPECT_EQ(std::memcmp(out_r.b, r.b, kVectorBytes), 0);
  EXPECT_EQ(std::memcmp(out_d.b, d.b, kVectorBytes), 0);
  EXPECT_EQ(std::memcmp(out_c.b, c.b, kVectorBytes), 0);
  EXPECT_EQ(std::memcmp(vpu.vR().bytes, r.b, kVectorBytes), 0);
  EXPECT_EQ(std::memcmp(vpu.vD().bytes, d.b, kVectorBytes), 0);
  EXPECT_EQ(std::memcmp(vpu.vC().bytes, c.b, kVectorBytes), 0);
  EXPECT_EQ(vpu.counters().vpu_instructions, 6);
}

TEST(VpuTest, LoadsAcceptWordAlignedNotVectorAligned) {
  alignas(32) uint8_t buf[kVectorBytes + 4];
  for (int i = 0; i < kVectorBytes + 4; ++i) buf[i] = static_cast<uint8_t>(i);
  Vpu vpu;
  vpu.Vldr(buf + 4);
  for (int i = 0; i < kVectorBytes; ++i) EXPECT_EQ(vpu.vR().bytes[i], i + 4);
}

TEST(VpuTest, VclrdrZeroesVrAndVdButKeepsVc) {
  Vpu vpu;
  const Mem ones = Mem::Fill<uint8_t>(0x5A);
  vpu.Vldr(ones.b);
  vpu.Vldd(ones.b);
  vpu.Vldc(ones.b);
  vpu.Vclrdr();
  for (int i = 0; i < kVectorBytes; ++i) {
    EXPECT_EQ(vpu.vR().bytes[i], 0);
    EXPECT_EQ(vpu.vD().bytes[i], 0);
    EXPECT_EQ(vpu.vC().bytes[i], 0x5A);
  }
}

TEST(VpuTest, VstrpvWritesOnlyMaskedBytesInEveryMode) {
  Mem src;
  for (int i = 0; i < kVectorBytes; ++i) src.b[i] = static_cast<uint8_t>(0x80 + i);
  const uint32_t masks[] = {0x00000000u, 0xFFFFFFFFu, 0x0000FFFFu, 0x80000001u,
                            0x00F0F00Fu, 0x55555555u, 0x00000001u, 0x0000FFFEu};
  for (VpuMode mode : kModes) {
    for (uint32_t mask : masks) {
      Vpu vpu;
      vpu.Vsetc(mode);
      vpu.Vldr(src.b);
      Mem out = Mem::Fill<uint8_t>(0x11);
      vpu.Vstrpv(out.b, mask);
      for (int i = 0; i < kVectorBytes; ++i) {
        EXPECT_EQ(out.b[i], ((mask >> i) & 1) ? src.b[i] : 0x11)
            << "mask " << std::hex << mask << " byte " << std::dec << i;
      }
    }
  }
}

TEST(VpuTest, AccumulatorAccessorsUseTheDocumentedSplit) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  vpu.set_accumulator(3, -0x12345678);
  EXPECT_EQ(vpu.vD().s16(3), static_cast<int16_t>(0xEDCB));  // high half of -0x12345678
  EXPECT_EQ(vpu.vR().s16(3), static_cast<int16_t>(0xA988));  // low half
  EXPECT_EQ(vpu.accumulator(3), -0x12345678);
  PutAcc32(vpu, 5, 0x7FFF8000);
  EXPECT_EQ(vpu.accumulator(5), 0x7FFF8000);

  vpu.Vsetc(VpuMode::kInt32);
  vpu.set_accumulator40(2, -(int64_t{1} << 38) - 5);
  // -2^38 - 5 = -65 * 2^32 + (2^32 - 5): upper bits sign-extended, low word 0xFFFFFFFB.
  EXPECT_EQ(vpu.vD().s32(2), -65);
  EXPECT_EQ(vpu.vR().s32(2), -5);
  EXPECT_EQ(GetAcc40(vpu, 2), -(int64_t{1} << 38) - 5);
  PutAcc40(vpu, 6, kMax40);
  EXPECT_EQ(vpu.accumulator40(6), kMax40);
  EXPECT_EQ(vpu.vD().s32(6), 0x7F);
  EXPECT_EQ(vpu.vR().s32(6), -1);
}

// =====================================================================
// VLMACC.

TEST(VlmaccTest, Int8UsesOnly16LanesAndSplitsTheAccumulator) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt8);
  Mem c, m;
  for (int i = 0; i < 32; ++i) {
    c.Set<int8_t>(i, static_cast<int8_t>(i < 16 ? i - 8 : 99));
    m.Set<int8_t>(i, static_cast<int8_t>(i < 16 ? -3 * i : 99));
  }
  vpu.Vldc(c.b);
  vpu.Vclrdr();
  for (int i = 0; i < 16; ++i) PutAcc32(vpu, i, 100000 * (i - 7));
  vpu.Vlmacc(m.b);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(GetAcc32(vpu, i), 100000 * (i - 7) + (i - 8) * (-3 * i)) << i;
    EXPECT_EQ(vpu.accumulator(i), GetAcc32(vpu, i));
  }
  EXPECT_EQ(vpu.counters().accumulator_saturations, 0);
}

TEST(VlmaccTest, Int16MultipliesLaneByLane) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  Mem c, m;
  for (int i = 0; i < 16; ++i) {
    c.Set<int16_t>(i, static_cast<int16_t>(1000 * i - 7000));
    m.Set<int16_t>(i, static_cast<int16_t>(-2001 * i + 3));
  }
  vpu.Vldc(c.b);
  vpu.Vclrdr();
  vpu.Vlmacc(m.b);
  vpu.Vlmacc(m.b);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(GetAcc32(vpu, i), 2 * int64_t{1000 * i - 7000} * (-2001 * i + 3)) << i;
  }
}

TEST(VlmaccTest, Int16AccumulatorSaturatesSymmetrically) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  const Mem c = Mem::Fill<int16_t>(-32768);
  vpu.Vldc(c.b);
  Mem m = Mem::Fill<int16_t>(0);
  m.Set<int16_t>(0, -32768);  // +2^30
  m.Set<int16_t>(1, 32767);   // -2^30 + 2^15
  m.Set<int16_t>(2, 1);       // -2^15
  m.Set<int16_t>(3, 1);
  PutAcc32(vpu, 0, kMax32 - 5);
  PutAcc32(vpu, 1, -kMax32 + 10);
  PutAcc32(vpu, 2, -kMax32 + 32767);  // exact sum: -2^31, never produced
  PutAcc32(vpu, 3, -kMax32 + 32768);  // exact sum: -2^31 + 1, fine
  vpu.Vlmacc(m.b);
  EXPECT_EQ(GetAcc32(vpu, 0), kMax32);
  EXPECT_EQ(GetAcc32(vpu, 1), -kMax32);
  EXPECT_EQ(GetAcc32(vpu, 2), -kMax32);
  EXPECT_EQ(GetAcc32(vpu, 3), -kMax32);
  EXPECT_EQ(vpu.counters().accumulator_saturations, 3);
}

TEST(VlmaccTest, Int32RoundsProductsHalfUpAtQ30Into40BitAccumulators) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt32);
  Mem c, m;
  // Lane 0: 2^29 (exactly half) -> 1. Lane 1: -2^29 -> 0. Lane 2: 3*2^29 -> 2.
  // Lane 3: -3*2^29 -> -1. Lane 4: 2^30 -> 1. Lane 5: (2^31-1)^2 = 2^62 - 2^32 + 1 -> 2^32 - 4.
  // Lane 6: (-2^31)^2 = 2^62 -> 2^32. Lane 7: 2^29 - 1 -> 0.
  const int32_t cs[8] = {1 << 14, -(1 << 14), 3 << 14, -(3 << 14), 1 << 15,
                         INT32_MAX, INT32_MIN, (1 << 29) - 1};
  const int32_t ms[8] = {1 << 15, 1 << 15, 1 << 15, 1 << 15, 1 << 15, INT32_MAX, INT32_MIN, 1};
  for (int i = 0; i < 8; ++i) {
    c.Set<int32_t>(i, cs[i]);
    m.Set<int32_t>(i, ms[i]);
  }
  vpu.Vldc(c.b);
  vpu.Vclrdr();
  PutAcc40(vpu, 5, int64_t{1} << 35);
  vpu.Vlmacc(m.b);
  const int64_t expected[8] = {1, 0, 2, -1, 1, (int64_t{1} << 32) - 4 + (int64_t{1} << 35),
                               int64_t{1} << 32, 0};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(GetAcc40(vpu, i), expected[i]) << i;
    EXPECT_EQ(vpu.accumulator40(i), expected[i]) << i;
  }
  // 2^32 more than fits in 32 bits: the upper bits really are in vD.
  EXPECT_EQ(vpu.vD().s32(6), 1);
  EXPECT_EQ(vpu.vR().s32(6), 0);
}

TEST(VlmaccTest, Int32AccumulatorSaturatesAt40BitsSymmetrically) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt32);
  const Mem c = Mem::Fill<int32_t>(INT32_MIN);
  vpu.Vldc(c.b);
  Mem m = Mem::Fill<int32_t>(0);
  m.Set<int32_t>(0, INT32_MIN);  // +2^32
  m.Set<int32_t>(1, INT32_MAX);  // -(2^32 - 2)
  m.Set<int32_t>(2, 1 << 30);    // -2^31
  PutAcc40(vpu, 0, kMax40 - 100);
  PutAcc40(vpu, 1, -kMax40 + 100);
  PutAcc40(vpu, 2, -kMax40 + (int64_t{1} << 31) - 1);  // exact: -2^39
  vpu.Vlmacc(m.b);
  EXPECT_EQ(GetAcc40(vpu, 0), kMax40);
  EXPECT_EQ(GetAcc40(vpu, 1), -kMax40);
  EXPECT_EQ(GetAcc40(vpu, 2), -kMax40);
  EXPECT_EQ(vpu.counters().accumulator_saturations, 3);
}

// =====================================================================
// VLMACCR.

TEST(VlmaccrTest, Int16DotProductLandsInLane0ThenRotates) {
  // NN26 test_vlmaccr: after VCLRDR and one VLMACCR in 16-bit mode on vectors
  // of 1s and 258s, lane 0 = 16*258 and lanes 1..15 = 0.
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  const Mem ones = Mem::Fill<int16_t>(1);
  const Mem v258 = Mem::Fill<int16_t>(258);
  vpu.Vldc(ones.b);
  vpu.Vclrdr();
  vpu.Vlmaccr(v258.b);
  EXPECT_EQ(GetAcc32(vpu, 0), 16 * 258);
  for (int i = 1; i < 16; ++i) EXPECT_EQ(GetAcc32(vpu, i), 0) << i;
  // A second one: a new dot product in lane 0 (acc_15 was 0), the first moves to lane 1.
  vpu.Vlmaccr(v258.b);
  EXPECT_EQ(GetAcc32(vpu, 0), 16 * 258);
  EXPECT_EQ(GetAcc32(vpu, 1), 16 * 258);
  for (int i = 2; i < 16; ++i) EXPECT_EQ(GetAcc32(vpu, i), 0) << i;
}

TEST(VlmaccrTest, Int8Uses32LanesAndAddsAcc15) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt8);
  Mem c, m;
  int64_t dot = 0;
  for (int j = 0; j < 32; ++j) {
    c.Set<int8_t>(j, static_cast<int8_t>(j * 7 - 100));
    m.Set<int8_t>(j, static_cast<int8_t>(50 - j * 5));
    dot += int64_t{j * 7 - 100} * (50 - j * 5);
  }
  vpu.Vldc(c.b);
  vpu.Vclrdr();
  for (int i = 0; i < 16; ++i) PutAcc32(vpu, i, 1000 * i - 70000);
  vpu.Vlmaccr(m.b);
  EXPECT_EQ(GetAcc32(vpu, 0), 1000 * 15 - 70000 + dot);
  for (int i = 1; i < 16; ++i) EXPECT_EQ(GetAcc32(vpu, i), 1000 * (i - 1) - 70000) << i;
}

TEST(VlmaccrTest, SixteenReversedChannelsEndUpInTheirLanes) {
  // The lib_nn weight layout: channels reversed in a group of 16 so that, after
  // 16 VLMACCRs, channel k is in lane k.
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt8);
  const Mem x = Mem::Fill<int8_t>(1);
  vpu.Vldc(x.b);
  vpu.Vclrdr();
  for (int k = 15; k >= 0; --k) {
    const Mem w = Mem::Fill<int8_t>(static_cast<int8_t>(k + 1));  // channel k: dot = 32*(k+1)
    vpu.Vlmaccr(w.b);
  }
  for (int k = 0; k < 16; ++k) EXPECT_EQ(GetAcc32(vpu, k), 32 * (k + 1)) << k;
  // A second pass over the same channels adds: acc_15 feeds each new sum.
  for (int k = 15; k >= 0; --k) {
    const Mem w = Mem::Fill<int8_t>(static_cast<int8_t>(k + 1));
    vpu.Vlmaccr(w.b);
  }
  for (int k = 0; k < 16; ++k) EXPECT_EQ(GetAcc32(vpu, k), 64 * (k + 1)) << k;
}

TEST(VlmaccrTest, Int8SaturatesSymmetrically) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt8);
  const Mem c = Mem::Fill<int8_t>(-128);
  vpu.Vldc(c.b);
  vpu.Vclrdr();
  PutAcc32(vpu, 15, kMax32 - 10);
  vpu.Vlmaccr(Mem::Fill<int8_t>(-128).b);  // + 32 * 2^14
  EXPECT_EQ(GetAcc32(vpu, 0), kMax32);
  EXPECT_EQ(vpu.counters().accumulator_saturations, 1);
  PutAcc32(vpu, 15, -kMax32 + 32 * 127 * 128 - 1);  // exact: -2^31
  vpu.Vlmaccr(Mem::Fill<int8_t>(127).b);
  EXPECT_EQ(GetAcc32(vpu, 0), -kMax32);
  EXPECT_EQ(GetAcc32(vpu, 1), kMax32);
  EXPECT_EQ(vpu.counters().accumulator_saturations, 2);
  PutAcc32(vpu, 15, -kMax32 + 32 * 127 * 128);  // exact: -2^31 + 1, no clamp
  vpu.Vlmaccr(Mem::Fill<int8_t>(127).b);
  EXPECT_EQ(GetAcc32(vpu, 0), -kMax32);
  EXPECT_EQ(vpu.counters().accumulator_saturations, 2);
}

TEST(VlmaccrTest, Int32RotatesEight40BitAccumulators) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt32);
  Mem c, m;
  for (int j = 0; j < 8; ++j) {
    c.Set<int32_t>(j, 1 << 29);
    m.Set<int32_t>(j, 3);  // each product 3*2^29 -> rhu(., 30) = 2 (1.5 rounds up)
  }
  vpu.Vldc(c.b);
  vpu.Vclrdr();
  for (int i = 0; i < 8; ++i) PutAcc40(vpu, i, (int64_t{1} << 36) * (i - 4) + i);
  vpu.Vlmaccr(m.b);
  EXPECT_EQ(GetAcc40(vpu, 0), (int64_t{1} << 36) * 3 + 7 + 16);
  for (int i = 1; i < 8; ++i) {
    EXPECT_EQ(GetAcc40(vpu, i), (int64_t{1} << 36) * (i - 5) + i - 1) << i;
  }
  // Saturation at 2^39 - 1.
  PutAcc40(vpu, 7, kMax40 - 3);
  vpu.Vlmaccr(m.b);
  EXPECT_EQ(GetAcc40(vpu, 0), kMax40);
  EXPECT_EQ(vpu.counters().accumulator_saturations, 1);
}

// =====================================================================
// VLMACCR1.

TEST(Vlmaccr1Test, AddsAgreeMinusDisagreeOverTwoAndRotates) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt8);
  Mem c = Mem::Fill<uint32_t>(0xDEADBEEF);
  vpu.Vldc(c.b);
  vpu.Vclrdr();
  vpu.Vlmaccr1(c.b);  // all 256 bits agree: +128
  EXPECT_EQ(GetAcc32(vpu, 0), 128);
  Mem inv = Mem::Fill<uint32_t>(~0xDEADBEEFu);
  vpu.Vlmaccr1(inv.b);  // all disagree: -128
  EXPECT_EQ(GetAcc32(vpu, 0), -128);
  EXPECT_EQ(GetAcc32(vpu, 1), 128);
  // 10 bits differ in word 0, 1 bit in word 7: agree 245, disagree 11 -> +117.
  Mem some = c;
  some.Set<uint32_t>(0, 0xDEADBEEFu ^ 0x3FFu);
  some.Set<uint32_t>(7, 0xDEADBEEFu ^ 0x80000000u);
  PutAcc32(vpu, 15, 1000);
  vpu.Vlmaccr1(some.b);
  EXPECT_EQ(GetAcc32(vpu, 0), 1000 + 117);
  EXPECT_EQ(GetAcc32(vpu, 1), -128);
  EXPECT_EQ(GetAcc32(vpu, 2), 128);
  PutAcc32(vpu, 15, kMax32 - 1);
  vpu.Vlmaccr1(c.b);
  EXPECT_EQ(GetAcc32(vpu, 0), kMax32);
  EXPECT_EQ(vpu.counters().accumulator_saturations, 1);
}

// =====================================================================
// VLSAT.

TEST(VlsatTest, Int8DocumentedVectorsRoundHalfUp) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt8);
  vpu.Vldd(Mem::Fill<uint8_t>(0x77).b);
  vpu.Vldr(Mem::Fill<uint8_t>(0x77).b);
  PutAcc32(vpu, 0, -0x0A800000);
  PutAcc32(vpu, 1, 0x0A800000);
  PutAcc32(vpu, 2, 0x7FFFFFFF);
  PutAcc32(vpu, 3, -0x7FFFFFFF);
  PutAcc32(vpu, 4, -1);
  vpu.Vlsat(Mem::Fill<uint16_t>(24).b);
  EXPECT_EQ(vpu.vR().s8(0), -10);  // vlsat8(-0x0A800000, 24)
  EXPECT_EQ(vpu.vR().s8(1), 11);   // vlsat8(0x0A800000, 24)
  EXPECT_EQ(vpu.vR().s8(2), 127);  // 128 saturates
  EXPECT_EQ(vpu.vR().s8(3), -127);  // -128 saturates symmetrically
  EXPECT_EQ(vpu.vR().s8(4), 0);
  // 0x77777777 >> 24 rounds to 0x77.
  for (int i = 5; i < 16; ++i) EXPECT_EQ(vpu.vR().s8(i), 0x77) << i;
  for (int i = 16; i < 32; ++i) EXPECT_EQ(vpu.vR().bytes[i], 0) << i;
  for (int i = 0; i < 32; ++i) EXPECT_EQ(vpu.vD().bytes[i], 0) << i;
  EXPECT_EQ(vpu.counters().saturations16, 0);  // int8 mode: not a 16-bit saturation
}

TEST(VlsatTest, Int16PerLaneShiftsAndSaturationCounter) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  Mem sh;
  const int64_t accs[16] = {-8,        -8, 24, -24, 0x12345, kMax32, -kMax32, -kMax32,
                            -32768,    7,  -7, 5,   kMax32,  -kMax32, 123456, -123456};
  const uint16_t shifts[16] = {4, 3, 4, 4, 0, 31, 31, 0, 0, 1, 1, 0x8001, 32, 32, 40, 0x7FFF};
  const int64_t expected[16] = {0,      -1, 2, -1, 32767, 1, -1, -32767,
                                -32767, 4,  -3, 5, 0,     0, 0,  0};
  for (int i = 0; i < 16; ++i) {
    PutAcc32(vpu, i, accs[i]);
    sh.Set<uint16_t>(i, shifts[i]);
  }
  vpu.Vlsat(sh.b);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(vpu.vR().s16(i), expected[i]) << i;
  for (int i = 0; i < 32; ++i) EXPECT_EQ(vpu.vD().bytes[i], 0) << i;
  // 0x12345 (shift 0), -kMax32 (shift 0) and -32768 (shift 0) clamp.
  EXPECT_EQ(vpu.counters().saturations16, 3);
}

TEST(VlsatTest, Int32UsesWordShiftsOnThe40BitAccumulators) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt32);
  Mem sh;
  const int64_t accs[8] = {int64_t{3} << 36, -(int64_t{3} << 36), kMax40, -kMax40,
                           int64_t{1} << 33, -(int64_t{1} << 38), 12345, -5};
  // 3*2^32 and 2^31 saturate; 0x80000000 is a negative shift, read as 0.
  const uint32_t shifts[8] = {4, 4, 40, 39, 2, 0x80000000u, 1000, 1};
  const int64_t expected[8] = {kMax32, -kMax32, 0, -1, kMax32, -kMax32, 0, -2};
  for (int i = 0; i < 8; ++i) {
    PutAcc40(vpu, i, accs[i]);
    sh.Set<uint32_t>(i, shifts[i]);
  }
  vpu.Vlsat(sh.b);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(vpu.vR().s32(i), expected[i]) << i;
  EXPECT_EQ(vpu.vR().s32(2), 0);   // rhu(2^39-1, 40) = floor((2^40-1)/2^40)
  EXPECT_EQ(vpu.vR().s32(3), -1);  // rhu(-(2^39-1), 39) = floor(-1 + 2^-39)
  for (int i = 0; i < 32; ++i) EXPECT_EQ(vpu.vD().bytes[i], 0) << i;
  EXPECT_EQ(vpu.counters().saturations16, 0);
}

// =====================================================================
// VLASHR.

int16_t Vlashr16(Vpu& vpu, int16_t x, int32_t shift) {
  vpu.Vsetc(VpuMode::kInt16);
  vpu.Vlashr(Mem::Fill<int16_t>(x).b, shift);
  return vpu.vR().s16(0);
}

TEST(VlashrTest, DocumentedInt16VectorsWithFloor) {
  Vpu vpu;
  EXPECT_EQ(Vlashr16(vpu, 1, 1), 0);            // vect_s16_shl(1, -1)
  EXPECT_EQ(Vlashr16(vpu, -8, 4), -1);          // vect_s16_shl(-8, -4)
  EXPECT_EQ(Vlashr16(vpu, 9698, 38), 0);        // shift >= width
  EXPECT_EQ(Vlashr16(vpu, -9698, 38), -1);
  EXPECT_EQ(Vlashr16(vpu, 0x1000, -3), 0x7FFF);  // vect_s16_shl(0x1000, 3)
  EXPECT_EQ(Vlashr16(vpu, -0x8000, 0), -0x7FFF);  // shift 0 still saturates
  EXPECT_EQ(Vlashr16(vpu, -0x7FFF, 0), -0x7FFF);
  EXPECT_EQ(Vlashr16(vpu, 32767, 15), 0);
  EXPECT_EQ(Vlashr16(vpu, -32768, 15), -1);
  EXPECT_EQ(Vlashr16(vpu, -32768, 16), -1);
  EXPECT_EQ(Vlashr16(vpu, 3, -13), 24576);
  EXPECT_EQ(Vlashr16(vpu, 4, -13), 32767);
  EXPECT_EQ(Vlashr16(vpu, -4, -13), -32767);
  EXPECT_EQ(Vlashr16(vpu, 1, -15), 32767);  // 2^15 is out of range
  EXPECT_EQ(Vlashr16(vpu, 1, -16), 32767);
  EXPECT_EQ(Vlashr16(vpu, -1, -16), -32767);
  EXPECT_EQ(Vlashr16(vpu, 0, -16), 0);
  EXPECT_EQ(Vlashr16(vpu, -1, std::numeric_limits<int32_t>::min()), -32767);
  EXPECT_EQ(Vlashr16(vpu, 0, std::numeric_limits<int32_t>::min()), 0);
  EXPECT_EQ(Vlashr16(vpu, 5, std::numeric_limits<int32_t>::max()), 0);
  EXPECT_EQ(Vlashr16(vpu, -5, std::numeric_limits<int32_t>::max()), -1);
}

TEST(VlashrTest, LibNn2024RoundsHalfUpBelowTheLaneWidth) {
  Vpu vpu(VlashrRounding::kLibNn2024);
  EXPECT_EQ(vpu.vlashr_rounding(), VlashrRounding::kLibNn2024);
  EXPECT_EQ(Vlashr16(vpu, 1, 1), 1);
  EXPECT_EQ(Vlashr16(vpu, -8, 4), 0);
  EXPECT_EQ(Vlashr16(vpu, -9, 4), -1);
  EXPECT_EQ(Vlashr16(vpu, 32767, 15), 1);  // rounds up below the width...
  EXPECT_EQ(Vlashr16(vpu, 32767, 16), 0);  // ...and gives the sign at or above it
  EXPECT_EQ(Vlashr16(vpu, -1, 16), -1);
  EXPECT_EQ(Vlashr16(vpu, 9698, 38), 0);
  EXPECT_EQ(Vlashr16(vpu, 0x1000, -3), 0x7FFF);  // left shifts are the same
  EXPECT_EQ(Vlashr16(vpu, -0x8000, 0), -0x7FFF);
}

TEST(VlashrTest, Int8AndInt32LanesAndSaturationCounterOnlyIn16BitMode) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt8);
  Mem m8;
  const int8_t in8[6] = {-128, 127, 64, -65, 1, -1};
  for (int i = 0; i < 6; ++i) m8.Set<int8_t>(i, in8[i]);
  vpu.Vlashr(m8.b, 0);
  EXPECT_EQ(vpu.vR().s8(0), -127);
  EXPECT_EQ(vpu.vR().s8(1), 127);
  vpu.Vlashr(m8.b, -1);
  EXPECT_EQ(vpu.vR().s8(2), 127);
  EXPECT_EQ(vpu.vR().s8(3), -127);
  vpu.Vlashr(m8.b, -8);
  EXPECT_EQ(vpu.vR().s8(4), 127);
  EXPECT_EQ(vpu.vR().s8(5), -127);
  vpu.Vlashr(m8.b, 8);
  EXPECT_EQ(vpu.vR().s8(1), 0);
  EXPECT_EQ(vpu.vR().s8(0), -1);
  vpu.Vlashr(m8.b, 3);
  EXPECT_EQ(vpu.vR().s8(3), -9);  // floor(-65/8)
  EXPECT_EQ(vpu.counters().saturations16, 0);

  vpu.Vsetc(VpuMode::kInt32);
  Mem m32;
  m32.Set<int32_t>(0, INT32_MIN);
  m32.Set<int32_t>(1, 1 << 30);
  m32.Set<int32_t>(2, -3);
  m32.Set<int32_t>(3, 1);
  vpu.Vlashr(m32.b, 0);
  EXPECT_EQ(vpu.vR().s32(0), -INT32_MAX);
  vpu.Vlashr(m32.b, -1);
  EXPECT_EQ(vpu.vR().s32(1), INT32_MAX);
  EXPECT_EQ(vpu.vR().s32(2), -6);
  vpu.Vlashr(m32.b, -32);
  EXPECT_EQ(vpu.vR().s32(3), INT32_MAX);
  EXPECT_EQ(vpu.vR().s32(2), -INT32_MAX);
  vpu.Vlashr(m32.b, 31);
  EXPECT_EQ(vpu.vR().s32(1), 0);
  EXPECT_EQ(vpu.vR().s32(0), -1);
  vpu.Vlashr(m32.b, 1);
  EXPECT_EQ(vpu.vR().s32(2), -2);
  EXPECT_EQ(vpu.counters().saturations16, 0);

  vpu.Vsetc(VpuMode::kInt16);
  Mem m16 = Mem::Fill<int16_t>(0x4000);
  m16.Set<int16_t>(3, -0x4001);
  m16.Set<int16_t>(4, 0x3FFF);
  vpu.Vlashr(m16.b, -1);  // 15 lanes saturate, 0x3FFF << 1 does not
  EXPECT_EQ(vpu.vR().s16(0), 32767);
  EXPECT_EQ(vpu.vR().s16(3), -32767);
  EXPECT_EQ(vpu.vR().s16(4), 0x7FFE);
  EXPECT_EQ(vpu.counters().saturations16, 15);
}

// =====================================================================
// VLADD, VLSUB, VLMUL, VPOS.

TEST(VladdVlsubTest, SaturateSymmetricallyAndSubtractVrFromMemory) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  Mem a, b;
  a.Set<int16_t>(0, 100);   b.Set<int16_t>(0, 30);
  a.Set<int16_t>(1, -16384); b.Set<int16_t>(1, -16384);  // -32768: clamps
  a.Set<int16_t>(2, 30000); b.Set<int16_t>(2, 30000);
  a.Set<int16_t>(3, -32768); b.Set<int16_t>(3, 0);
  vpu.Vldr(a.b);
  vpu.Vladd(b.b);
  EXPECT_EQ(vpu.vR().s16(0), 130);
  EXPECT_EQ(vpu.vR().s16(1), -32767);
  EXPECT_EQ(vpu.vR().s16(2), 32767);
  EXPECT_EQ(vpu.vR().s16(3), -32767);
  EXPECT_EQ(vpu.counters().saturations16, 3);
  vpu.Vldr(a.b);
  vpu.Vlsub(b.b);  // mem - vR
  EXPECT_EQ(vpu.vR().s16(0), 30 - 100);
  EXPECT_EQ(vpu.vR().s16(1), 0);
  EXPECT_EQ(vpu.vR().s16(2), 0);
  EXPECT_EQ(vpu.vR().s16(3), 32767);  // 0 - (-32768)
  EXPECT_EQ(vpu.counters().saturations16, 4);

  vpu.Vsetc(VpuMode::kInt8);
  vpu.Vldr(Mem::Fill<int8_t>(-100).b);
  vpu.Vladd(Mem::Fill<int8_t>(-28).b);
  EXPECT_EQ(vpu.vR().s8(31), -127);
  vpu.Vlsub(Mem::Fill<int8_t>(5).b);
  EXPECT_EQ(vpu.vR().s8(31), 127);  // 5 - (-127) = 132
  vpu.Vsetc(VpuMode::kInt32);
  vpu.Vldr(Mem::Fill<int32_t>(-2).b);
  vpu.Vladd(Mem::Fill<int32_t>(INT32_MIN + 1).b);
  EXPECT_EQ(vpu.vR().s32(7), -INT32_MAX);
  vpu.Vlsub(Mem::Fill<int32_t>(7).b);
  EXPECT_EQ(vpu.vR().s32(0), INT32_MAX);
  EXPECT_EQ(vpu.counters().saturations16, 4);  // only 16-bit mode counts
}

TEST(VlmulTest, DocumentedVectorsAndFixedPointShifts) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  vpu.Vldr(Mem::Fill<int16_t>(24645).b);
  vpu.Vlmul(Mem::Fill<int16_t>(0x2000).b);
  EXPECT_EQ(vpu.vR().s16(0), 12323);  // 12322.5 rounds up
  vpu.Vldr(Mem::Fill<int16_t>(-24645).b);
  vpu.Vlmul(Mem::Fill<int16_t>(0x2000).b);
  EXPECT_EQ(vpu.vR().s16(0), -12322);  // -12322.5 rounds up too
  vpu.Vldr(Mem::Fill<int16_t>(-32768).b);
  vpu.Vlmul(Mem::Fill<int16_t>(-32768).b);  // 2^30 >> 14 = 65536
  EXPECT_EQ(vpu.vR().s16(5), 32767);
  vpu.Vldr(Mem::Fill<int16_t>(-32768).b);
  vpu.Vlmul(Mem::Fill<int16_t>(0x4000).b);  // x * 1.0
  EXPECT_EQ(vpu.vR().s16(5), -32767);
  EXPECT_EQ(vpu.counters().saturations16, 32);

  vpu.Vsetc(VpuMode::kInt8);
  vpu.Vldr(Mem::Fill<int8_t>(-0x80).b);
  vpu.Vlmul(Mem::Fill<int8_t>(0x40).b);
  EXPECT_EQ(vpu.vR().s8(0), -127);  // vlmul8(-0x80, 0x40)
  vpu.Vldr(Mem::Fill<int8_t>(3).b);
  vpu.Vlmul(Mem::Fill<int8_t>(0x20).b);  // 1.5 -> 2
  EXPECT_EQ(vpu.vR().s8(31), 2);

  vpu.Vsetc(VpuMode::kInt32);
  vpu.Vldr(Mem::Fill<int32_t>(3).b);
  vpu.Vlmul(Mem::Fill<int32_t>(1 << 29).b);  // 1.5 -> 2
  EXPECT_EQ(vpu.vR().s32(0), 2);
  vpu.Vldr(Mem::Fill<int32_t>(INT32_MIN).b);
  vpu.Vlmul(Mem::Fill<int32_t>(INT32_MIN).b);  // 2^62 >> 30 = 2^32
  EXPECT_EQ(vpu.vR().s32(7), INT32_MAX);
  EXPECT_EQ(vpu.counters().saturations16, 32);
}

TEST(VposTest, ClampsNegativesToZeroInEveryMode) {
  for (VpuMode mode : kModes) {
    Vpu vpu;
    vpu.Vsetc(mode);
    Mem m;
    for (int i = 0; i < LaneCount(mode); ++i) {
      SetLaneOf(m.b, mode, i, (i % 3 == 0) ? -(int64_t{1} << (LaneBits(mode) - 1)) : i * (i % 2 ? -1 : 1));
    }
    vpu.Vldr(m.b);
    vpu.Vpos();
    for (int i = 0; i < LaneCount(mode); ++i) {
      const int64_t x = LaneOf(m.b, mode, i);
      EXPECT_EQ(LaneOf(vpu.vR().bytes, mode, i), x > 0 ? x : 0) << i;
    }
  }
}

// =====================================================================
// VDEPTH1, VDEPTH8, VDEPTH16.

TEST(Vdepth1Test, PacksSignBitsLaneIInBitI) {
  for (VpuMode mode : kModes) {
    Vpu vpu;
    vpu.Vsetc(mode);
    Mem m;
    uint32_t expected = 0;
    for (int i = 0; i < LaneCount(mode); ++i) {
      const bool negative = (i * 5 + 3) % 7 < 3;
      SetLaneOf(m.b, mode, i, negative ? -1 - i : i);  // lane 0 is 0: not negative
      if (negative) expected |= uint32_t{1} << i;
    }
    vpu.Vldr(m.b);
    vpu.Vdepth1();
    EXPECT_EQ(RegLane<uint32_t>(vpu.vR(), 0), expected);
    for (int i = 4; i < 32; ++i) EXPECT_EQ(vpu.vR().bytes[i], 0);
  }
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  Mem m;
  m.Set<int16_t>(0, -1);
  m.Set<int16_t>(15, -32768);
  vpu.Vldr(m.b);
  vpu.Vdepth1();
  EXPECT_EQ(RegLane<uint32_t>(vpu.vR(), 0), 0x8001u);
}

TEST(Vdepth8Test, DocumentedInt16VectorsAndZeroedTail) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt16);
  Mem m = Mem::Fill<int16_t>(0x7FFF);
  m.Set<int16_t>(0, -0x80);
  m.Set<int16_t>(1, -0x81);
  m.Set<int16_t>(2, 0x80);
  m.Set<int16_t>(3, -0x7FFF);
  m.Set<int16_t>(4, -0x8000);
  m.Set<int16_t>(5, 0x7F7F);   // 127.49 -> 127
  m.Set<int16_t>(6, 0x7F80);   // 127.5 -> 128 -> 127
  m.Set<int16_t>(7, -0x7E80);  // -126.5 -> -126
  vpu.Vldr(m.b);
  vpu.Vdepth8();
  const int expected[16] = {0, -1, 1, -127, -127, 127, 127, -126,
                            127, 127, 127, 127, 127, 127, 127, 127};
  for (int i = 0; i < 16; ++i) EXPECT_EQ(vpu.vR().s8(i), expected[i]) << i;
  for (int i = 16; i < 32; ++i) EXPECT_EQ(vpu.vR().bytes[i], 0) << i;
}

// VDEPTH8 / VDEPTH16 of eight int32 lanes: `expected` in the first eight
// Out lanes, every byte past them zero. Returns the VPU for further checks.
template <typename Out>
Vpu Int32Depth(void (Vpu::*depth)(), const int32_t (&in)[8], const int (&expected)[8]) {
  Vpu vpu;
  vpu.Vsetc(VpuMode::kInt32);
  Mem m;
  for (int i = 0; i < 8; ++i) m.Set<int32_t>(i, in[i]);
  vpu.Vldr(m.b);
  (vpu.*depth)();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(RegLane<Out>(vpu.vR(), i), expected[i]) << i;
  for (int i = 8 * static_cast<int>(sizeof(Out)); i < 32; ++i) {
    EXPECT_EQ(vpu.vR().bytes[i], 0) << i;
  }
  return vpu;
}

TEST(Vdepth8Test, Int32RoundsBy24) {
  Int32Depth<int8_t>(&Vpu::Vdepth8,
                     {0x00800000, -0x00800000, -0x00800001, INT32_MAX, INT32_MIN, 0x7F000000,
                      -0x7F800000, 0x12345678},
                     {1, 0, -1, 127, -127, 127, -127, 0x12});
}

TEST(Vdepth16Test, Int32RoundsBy16) {
  const Vpu vpu = Int32Depth<int16_t>(
      &Vpu::Vdepth16,
      {0x8000, -0x8000, -0x8001, INT32_MAX, INT32_MIN, 0x7FFF7FFF, -0x7FFF8000, 0x12345678},
      {1, 0, -1, 32767, -32767, 32767, -32767, 0x1234});
  EXPECT_EQ(vpu.counters().saturations16, 0);
}

// =====================================================================
// Counters.

TEST(CountersTest, EveryInstructionIssuesOneAndResetClears) {
  Vpu vpu;
  Mem m;
  vpu.Vsetc(VpuMode::kInt16);
  vpu.Vldr(m.b);
  vpu.Vldd(m.b);
  vpu.Vldc(m.b);
  vpu.Vstr(m.b);
  vpu.Vstd(m.b);
  vpu.Vstc(m.b);
  vpu.Vstrpv(m.b, 0);
  vpu.Vclrdr();
  vpu.Vlmacc(m.b);
  vpu.Vlmaccr(m.b);
  vpu.Vlmaccr1(m.b);
  vpu.Vlsat(m.b);
  vpu.Vlashr(m.b, 1);
  vpu.Vladd(m.b);
  vpu.Vlsub(m.b);
  vpu.Vlmul(m.b);
  vpu.Vpos();
  vpu.Vdepth1();
  vpu.Vdepth8();
  vpu.Vsetc(VpuMode::kInt32);
  vpu.Vdepth16();
  EXPECT_EQ(vpu.counters().vpu_instructions, 22);
  EXPECT_EQ(vpu.counters().saturations16, 0);
  EXPECT_EQ(vpu.counters().accumulator_saturations, 0);
  vpu.ResetCounters();
  EXPECT_EQ(vpu.counters().vpu_instructions, 0);
}

// =====================================================================
// Randomized comparisons with the per-lane reference formulas.

constexpr int kRandomCases = 4000;

// Random vR/vD/vC and accumulators for `mode`; returns the accumulators.
void RandomAccumulators(Gen& g, Vpu& vpu, VpuMode mode, int64_t acc[16]) {
  if (mode == VpuMode::kInt32) {
    for (int i = 0; i < 8; ++i) {
      acc[i] = g.Acc(40);
      PutAcc40(vpu, i, acc[i]);
    }
  } else {
    for (int i = 0; i < 16; ++i) {
      acc[i] = g.Acc(32);
      PutAcc32(vpu, i, acc[i]);
    }
  }
}

TEST(VpuRandomTest, VlmaccMatchesReference) {
  Gen g(1);
  for (int n = 0; n < kRandomCases; ++n) {
    const VpuMode mode = kModes[n % 3];
    Vpu vpu;
    vpu.Vsetc(mode);
    int64_t acc[16];
    RandomAccumulators(g, vpu, mode, acc);
    const Mem c = g.Vector(mode), m = g.Vector(mode);
    vpu.Vldc(c.b);
    vpu.Vlmacc(m.b);
    int64_t saturated = 0;
    if (mode == VpuMode::kInt32) {
      for (int i = 0; i < 8; ++i) {
        const __int128 exact = acc[i] + RefRhu(__int128{LaneOf(c.b, mode, i)} * LaneOf(m.b, mode, i), 30);
        saturated += Saturates(exact, 40);
        ASSERT_EQ(GetAcc40(vpu, i), RefSat(exact, 40)) << "case " << n << " lane " << i;
      }
    } else {
      for (int i = 0; i < 16; ++i) {  // 16 lanes in both int8 and int16 modes
        const __int128 exact = acc[i] + __int128{LaneOf(c.b, mode, i)} * LaneOf(m.b, mode, i);
        saturated += Saturates(exact, 32);
        ASSERT_EQ(GetAcc32(vpu, i), RefSat(exact, 32)) << "case " << n << " lane " << i;
      }
    }
    ASSERT_EQ(vpu.counters().accumulator_saturations, saturated) << "case " << n;
  }
}

TEST(VpuRandomTest, VlmaccrMatchesReference) {
  Gen g(2);
  for (int n = 0; n < kRandomCases; ++n) {
    const VpuMode mode = kModes[n % 3];
    Vpu vpu;
    vpu.Vsetc(mode);
    int64_t acc[16];
    RandomAccumulators(g, vpu, mode, acc);
    const int lanes = mode == VpuMode::kInt32 ? 8 : 16;
    // Near the limits often enough to saturate.
    if (g.Uniform(0, 1)) {
      const int64_t limit = mode == VpuMode::kInt32 ? kMax40 : kMax32;
      acc[lanes - 1] = (g.Uniform(0, 1) ? 1 : -1) * (limit - g.Uniform(0, 1 << 20));
      if (mode == VpuMode::kInt32) {
        PutAcc40(vpu, lanes - 1, acc[lanes - 1]);
      } else {
        PutAcc32(vpu, lanes - 1, acc[lanes - 1]);
      }
    }
    const Mem c = g.Vector(mode), m = g.Vector(mode);
    vpu.Vldc(c.b);
    vpu.Vlmaccr(m.b);
    __int128 exact = acc[lanes - 1];
    for (int j = 0; j < LaneCount(mode); ++j) {
      const __int128 p = __int128{LaneOf(c.b, mode, j)} * LaneOf(m.b, mode, j);
      exact += mode == VpuMode::kInt32 ? RefRhu(p, 30) : p;
    }
    const int bits = mode == VpuMode::kInt32 ? 40 : 32;
    const auto get = [&](int i) { return mode == VpuMode::kInt32 ? GetAcc40(vpu, i) : GetAcc32(vpu, i); };
    ASSERT_EQ(get(0), RefSat(exact, bits)) << "case " << n;
    for (int i = 1; i < lanes; ++i) ASSERT_EQ(get(i), acc[i - 1]) << "case " << n << " lane " << i;
    ASSERT_EQ(vpu.counters().accumulator_saturations, Saturates(exact, bits) ? 1 : 0);
  }
}

TEST(VpuRandomTest, Vlmaccr1MatchesReference) {
  Gen g(3);
  for (int n = 0; n < kRandomCases; ++n) {
    const VpuMode mode = n % 2 ? VpuMode::kInt8 : VpuMode::kInt16;
    Vpu vpu;
    vpu.Vsetc(mode);
    int64_t acc[16];
    RandomAccumulators(g, vpu, mode, acc);
    Mem c, m;
    g.Bytes(c.b, 32);
    g.Bytes(m.b, 32);
    vpu.Vldc(c.b);
    vpu.Vlmaccr1(m.b);
    // (#agreeing bits - #disagreeing bits) / 2, counted bit by bit.
    int64_t agree = 0;
    for (int bit = 0; bit < 256; ++bit) {
      agree += ((c.b[bit / 8] >> (bit % 8)) & 1) == ((m.b[bit / 8] >> (bit % 8)) & 1);
    }
    const __int128 exact = acc[15] + (agree - (256 - agree)) / 2;
    ASSERT_EQ(GetAcc32(vpu, 0), RefSat(exact, 32)) << "case " << n;
    for (int i = 1; i < 16; ++i) ASSERT_EQ(GetAcc32(vpu, i), acc[i - 1]);
  }
}

TEST(VpuRandomTest, VlsatMatchesReference) {
  Gen g(4);
  for (int n = 0; n < kRandomCases; ++n) {
    const VpuMode mode = kModes[n % 3];
    Vpu vpu;
    vpu.Vsetc(mode);
    int64_t acc[16];
    RandomAccumulators(g, vpu, mode, acc);
    Mem sh;
    const bool uniform = g.Uniform(0, 3) == 0;
    int64_t shifts[16];
    for (int i = 0; i < 16; ++i) {
      if (uniform && i > 0) {
        shifts[i] = shifts[0];
      } else {
        switch (g.Uniform(0, 9)) {
          case 0: shifts[i] = g.Uniform(mode == VpuMode::kInt32 ? -(int64_t{1} << 31) : -32768, -1); break;
          case 1: shifts[i] = g.Uniform(0, mode == VpuMode::kInt32 ? INT32_MAX : 32767); break;
          default: shifts[i] = g.Uniform(0, mode == VpuMode::kInt32 ? 44 : 34); break;
        }
      }
      if (mode == VpuMode::kInt32) {
        if (i < 8) sh.Set<int32_t>(i, static_cast<int32_t>(shifts[i]));
      } else {
        sh.Set<int16_t>(i, static_cast<int16_t>(shifts[i]));
      }
    }
    vpu.Vlsat(sh.b);
    int64_t sat16 = 0;
    const int lanes = mode == VpuMode::kInt32 ? 8 : 16;
    for (int i = 0; i < lanes; ++i) {
      const int s = shifts[i] < 0 ? 0 : static_cast<int>(std::min<int64_t>(shifts[i], 100));
      const __int128 r = RefRhu(acc[i], s);
      const int bits = LaneBits(mode);
      if (mode == VpuMode::kInt16) sat16 += Saturates(r, 16);
      ASSERT_EQ(LaneOf(vpu.vR().bytes, mode, i), RefSat(r, bits))
          << "case " << n << " lane " << i << " acc " << acc[i] << " shift " << shifts[i];
    }
    for (int i = lanes * LaneBits(mode) / 8; i < 32; ++i) ASSERT_EQ(vpu.vR().bytes[i], 0);
    for (int i = 0; i < 32; ++i) ASSERT_EQ(vpu.vD().bytes[i], 0);
    ASSERT_EQ(vpu.counters().saturations16, sat16);
  }
}

// VLASHR exactly as xs3.md §1.4/§1.5 states it, lane by lane.
int64_t RefVlashr(int64_t x, int64_t s, int width, bool round_half_up) {
  if (s > 0) {
    if (s >= width) return x < 0 ? -1 : 0;
    return static_cast<int64_t>(round_half_up ? RefRhu(x, static_cast<int>(s))
                                              : FloorDiv(x, Pow2(static_cast<int>(s))));
  }
  if (s == 0) return RefSat(x, width);
  if (-s >= width) return x == 0 ? 0 : RefSat(x > 0 ? Pow2(width) : -Pow2(width), width);
  return RefSat(__int128{x} * Pow2(static_cast<int>(-s)), width);
}

TEST(VpuRandomTest, VlashrMatchesReferenceInBothRoundings) {
  Gen g(5);
  for (int n = 0; n < kRandomCases; ++n) {
    const VpuMode mode = kModes[n % 3];
    const bool libnn = (n / 3) % 2;
    Vpu vpu(libnn ? VlashrRounding::kLibNn2024 : VlashrRounding::kFloor);
    vpu.Vsetc(mode);
    const int width = LaneBits(mode);
    int64_t shift;
    switch (g.Uniform(0, 9)) {
      case 0: shift = g.Uniform(INT32_MIN, INT32_MAX); break;
      case 1: shift = g.Uniform(0, 1) ? INT32_MIN : INT32_MAX; break;
      default: shift = g.Uniform(-width - 3, width + 3); break;
    }
    const Mem m = g.Vector(mode);
    vpu.Vlashr(m.b, static_cast<int32_t>(shift));
    int64_t sat16 = 0;
    for (int i = 0; i < LaneCount(mode); ++i) {
      const int64_t x = LaneOf(m.b, mode, i);
      const int64_t expected = RefVlashr(x, shift, width, libnn);
      // A lane saturates when the exact result (x * 2^-s) is out of range.
      if (mode == VpuMode::kInt16 && shift <= 0) {
        sat16 += x != 0 && (-shift >= 16 || Saturates(__int128{x} * Pow2(static_cast<int>(-shift)), 16));
      }
      ASSERT_EQ(LaneOf(vpu.vR().bytes, mode, i), expected)
          << "case " << n << " x " << x << " shift " << shift << " libnn " << libnn;
    }
    ASSERT_EQ(vpu.counters().saturations16, sat16) << "case " << n;
  }
}

TEST(VpuRandomTest, VladdVlsubVlmulMatchReference) {
  Gen g(6);
  for (int n = 0; n < kRandomCases; ++n) {
    const VpuMode mode = kModes[n % 3];
    const int op = (n / 3) % 3;
    const int width = LaneBits(mode);
    Vpu vpu;
    vpu.Vsetc(mode);
    const Mem r = g.Vector(mode), m = g.Vector(mode);
    vpu.Vldr(r.b);
    if (op == 0) vpu.Vladd(m.b);
    if (op == 1) vpu.Vlsub(m.b);
    if (op == 2) vpu.Vlmul(m.b);
    const int q = width == 8 ? 6 : (width == 16 ? 14 : 30);
    int64_t sat16 = 0;
    for (int i = 0; i < LaneCount(mode); ++i) {
      const __int128 a = LaneOf(r.b, mode, i), b = LaneOf(m.b, mode, i);
      const __int128 exact = op == 0 ? a + b : (op == 1 ? b - a : RefRhu(a * b, q));
      if (mode == VpuMode::kInt16) sat16 += Saturates(exact, 16);
      ASSERT_EQ(LaneOf(vpu.vR().bytes, mode, i), RefSat(exact, width))
          << "case " << n << " op " << op << " lane " << i;
    }
    ASSERT_EQ(vpu.counters().saturations16, sat16) << "case " << n;
  }
}

TEST(VpuRandomTest, VdepthMatchesReference) {
  Gen g(7);
  for (int n = 0; n < kRandomCases; ++n) {
    const int kind = n % 3;  // VDEPTH8 int16, VDEPTH8 int32, VDEPTH16 int32
    const VpuMode mode = kind == 0 ? VpuMode::kInt16 : VpuMode::kInt32;
    Vpu vpu;
    vpu.Vsetc(mode);
    const Mem r = g.Vector(mode);
    vpu.Vldr(r.b);
    if (kind == 2) {
      vpu.Vdepth16();
    } else {
      vpu.Vdepth8();
    }
    const int out_bits = kind == 2 ? 16 : 8;
    const int shift = LaneBits(mode) - out_bits;
    for (int i = 0; i < LaneCount(mode); ++i) {
      const int64_t expected = RefSat(RefRhu(LaneOf(r.b, mode, i), shift), out_bits);
      const int64_t got = kind == 2 ? int64_t{vpu.vR().s16(i)} : int64_t{vpu.vR().s8(i)};
      ASSERT_EQ(got, expected) << "case " << n << " lane " << i;
    }
    for (int i = LaneCount(mode) * out_bits / 8; i < 32; ++i) ASSERT_EQ(vpu.vR().bytes[i], 0);
  }
}

TEST(VpuRandomTest, Vdepth1AndVposMatchReference) {
  Gen g(8);
  for (int n = 0; n < kRandomCases; ++n) {
    const VpuMode mode = kModes[n % 3];
    Vpu vpu;
    vpu.Vsetc(mode);
    const Mem r = g.Vector(mode);
    vpu.Vldr(r.b);
    vpu.Vpos();
    for (int i = 0; i < LaneCount(mode); ++i) {
      const int64_t x = LaneOf(r.b, mode, i);
      ASSERT_EQ(LaneOf(vpu.vR().bytes, mode, i), x < 0 ? 0 : x);
    }
    vpu.Vldr(r.b);
    vpu.Vdepth1();
    uint64_t bits = 0;
    for (int i = 0; i < LaneCount(mode); ++i) bits += (LaneOf(r.b, mode, i) < 0 ? 1ull : 0ull) << i;
    ASSERT_EQ(RegLane<uint32_t>(vpu.vR(), 0), bits);
  }
}

// A whole 16-channel dense dot product (the lib_nn conv inner loop) against
// plain integer sums.
TEST(VpuRandomTest, DenseConvGroupMatchesIntegerDotProducts) {
  Gen g(9);
  constexpr int kChunks = 9;  // K = 288 inputs
  alignas(32) int8_t x[kChunks][32];
  alignas(32) int8_t w[kChunks][16][32];  // channels reversed within the group
  for (int trial = 0; trial < 50; ++trial) {
    for (auto& chunk : x) for (auto& v : chunk) v = static_cast<int8_t>(g.Value(8));
    for (auto& chunk : w) for (auto& ch : chunk) for (auto& v : ch) v = static_cast<int8_t>(g.Value(8));
    Vpu vpu;
    vpu.Vsetc(VpuMode::kInt8);
    vpu.Vclrdr();
    for (int k = 0; k < kChunks; ++k) {
      vpu.Vldc(x[k]);
      for (int r = 0; r < 16; ++r) vpu.Vlmaccr(w[k][r]);
    }
    for (int ch = 0; ch < 16; ++ch) {
      int64_t sum = 0;
      for (int k = 0; k < kChunks; ++k) {
        for (int j = 0; j < 32; ++j) sum += int64_t{x[k][j]} * w[k][15 - ch][j];
      }
      ASSERT_EQ(GetAcc32(vpu, ch), sum) << "trial " << trial << " channel " << ch;
    }
    EXPECT_EQ(vpu.counters().vpu_instructions, 2 + kChunks * 17);
  }
}

}  // namespace
}  // namespace tinyserve::xs3
