// An emulator of the XMOS XS3 vector unit (VPU), the part of an xcore.ai
// hardware thread that int8 inference runs on. It computes what the chip
// computes, lane by lane, and counts what it issues.
//
// Facts (not code) from ../shared/docs/xs3.md §1: three 256-bit registers vR,
// vD, vC; modes int8 (32 lanes), int16 (16 lanes), int32 (8 lanes) set by
// VSETC; in int8/int16 modes 16 accumulators of 32 bits, high half in vD.s16[i],
// low half in vR.s16[i]; in int32 mode 8 accumulators of 40 bits, low 32 bits in
// vR.s32[i], the upper bits (sign-extended) in vD.s32[i]. All saturation is
// symmetric: the VPU never produces -128, -32768, -2^31 (int8, int16, int32) or
// -2^39 (40-bit accumulators). "rhu(x, s)" is round half up: floor((x + 2^(s-1)) / 2^s)
// for s > 0, x for s == 0.
//
// Memory operands are host pointers to 32 bytes (the chip needs 4-byte
// alignment; so does the emulator, checked in debug builds). The emulator has
// no memory of its own: lowered kernels point it at their arena and weights.
#ifndef TINYSERVE_DEVICES_XS3_VPU_H_
#define TINYSERVE_DEVICES_XS3_VPU_H_

#include <cstdint>
#include <cstring>

namespace tinyserve::xs3 {

inline constexpr int kVectorBytes = 32;
inline constexpr int kAccumulatorCount = 16;       // int8 / int16 modes
inline constexpr int kAccumulatorCount32 = 8;      // int32 mode (40-bit)

// vCTRL type field values (bits 11..8).
enum class VpuMode : uint32_t { kInt32 = 0x000, kInt16 = 0x100, kInt8 = 0x200 };

// How VLASHR rounds a right shift. The hardware floors (xs3.md §1.5: XS3
// vect_s16_shl vectors); lib_nn's 2024 C model rounds half up for shifts below
// the lane width. Floor is the default; the other reproduces XMOS's x86 host
// interpreter.
enum class VlashrRounding { kFloor, kLibNn2024 };

// One 256-bit register, little-endian lanes.
struct alignas(32) VectorRegister {
  uint8_t bytes[kVectorBytes] = {};

  int8_t s8(int i) const { return static_cast<int8_t>(bytes[i]); }
  int16_t s16(int i) const { return Load<int16_t>(i); }
  int32_t s32(int i) const { return Load<int32_t>(i); }
  void set_s8(int i, int8_t v) { bytes[i] = static_cast<uint8_t>(v); }
  void set_s16(int i, int16_t v) { Store(i, v); }
  void set_s32(int i, int32_t v) { Store(i, v); }

 private:
  template <typename T>
  T Load(int i) const {
    T v;
    std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
    return v;
  }
  template <typename T>
  void Store(int i, T v) {
    std::memcpy(bytes + i * sizeof(T), &v, sizeof(T));
  }
};

// What one emulated thread has issued since the counters were last reset.
struct VpuCounters {
  int64_t vpu_instructions = 0;  // every VPU instruction below, one issue slot each
  // Lanes that a 16-bit-mode VLSAT, VLASHR, VLMUL, VLADD or VLSUB clamped to
  // ±32767: the intermediate saturation only this device has (a quantization
  // risk worth reporting per request).
  int64_t saturations16 = 0;
  // Accumulator lanes that VLMACC/VLMACCR/VLMACCR1 clamped (any mode).
  int64_t accumulator_saturations = 0;
};

class Vpu {
 public:
  explicit Vpu(VlashrRounding vlashr_rounding = VlashrRounding::kFloor)
      : vlashr_rounding_(vlashr_rounding) {}

  // ---- Control.
  void Vsetc(VpuMode mode);  // vCTRL <- mode (other vCTRL fields are not modelled)
  VpuMode mode() const { return mode_; }

  // ---- Loads and stores (32 bytes).
  void Vldr(const void* a);
  void Vldd(const void* a);
  void Vldc(const void* a);
  void Vstr(void* a);
  void Vstd(void* a);
  void Vstc(void* a);
  // For each i < 32 with bit i of byte_mask set: mem[a + i] <- vR.byte[i]
  // (a byte mask, whatever the mode).
  void Vstrpv(void* a, uint32_t byte_mask);
  // vR <- 0, vD <- 0 (vC unchanged).
  void Vclrdr();

  // ---- Multiply-accumulate.
  // int8: acc_i <- S32(acc_i + vC.s8[i] * mem.s8[i]) for i < 16 (only 16 lanes);
  // int16: the same on 16 int16 lanes; int32: acc40_i <- S40(acc40_i +
  // rhu(vC.s32[i] * mem.s32[i], 30)) for i < 8.
  void Vlmacc(const void* a);
  // t <- S(acc_15 + sum over all lanes of vC[j] * mem[j]) (32 int8 or 16 int16
  // products; in int32 mode acc40_7 and 8 rhu(.,30) products); then rotate:
  // acc_i <- acc_{i-1} for i = top..1, acc_0 <- t. The new dot product lands in lane 0.
  void Vlmaccr(const void* a);
  // Binary: t <- S32(acc_15 + sum over the 8 words of (popcount(~(vC.w ^ mem.w)) - 16)),
  // then rotate as Vlmaccr.
  void Vlmaccr1(const void* a);

  // ---- Accumulator to vector.
  // int8: vR.s8[i] <- S8(rhu(acc_i, sh_i)), sh_i = mem.u16[i], i < 16; vR bytes
  // 16..31 <- 0. int16: vR.s16[i] <- S16(rhu(acc_i, mem.u16[i])). int32:
  // vR.s32[i] <- S32(rhu(acc40_i, mem.u32[i])), i < 8. vD <- 0 in every mode.
  // Shifts >= 40 give 0 (>= 32 in int8/int16 modes, whose accumulators are 32
  // bits; the XM model's 0/-1 for huge shifts is outside what hardware tests
  // validate; we take rhu literally). Negative (>= 0x8000 as int16, or as
  // int32 in int32 mode) shifts are rejected by the lowering, never emitted;
  // the emulator treats them as 0.
  void Vlsat(const void* shifts);

  // ---- Element-wise on vR (every lane of the mode), result in vR.
  // x = mem lane. s > 0: x >> s (floor, or rhu under kLibNn2024 when s < width),
  // s >= width gives -1 or 0 by sign. s < 0: S(x << -s), any nonzero x
  // saturates when -s >= width. s == 0: S(x) (so -32768 becomes -32767).
  void Vlashr(const void* a, int32_t shift);
  void Vladd(const void* a);  // vR <- S(vR + mem)
  void Vlsub(const void* a);  // vR <- S(mem - vR)   (this way round)
  // vR <- S(rhu(vR * mem, k)), k = 6 (int8), 14 (int16), 30 (int32).
  void Vlmul(const void* a);
  void Vpos();  // vR <- max(vR, 0)
  // VLADSB: not used by int8 inference and its exact semantics are not
  // documented; not provided rather than guessed.

  // ---- Depth conversion (vR).
  // bits <- sum over lanes (vR[i] < 0) << i; vR <- 0; vR.u32[0] <- bits.
  void Vdepth1();
  // int16: vR.s8[i] <- S8(rhu(vR.s16[i], 8)), i < 16; int32: vR.s8[i] <-
  // S8(rhu(vR.s32[i], 24)), i < 8. Remaining bytes <- 0.
  void Vdepth8();
  // int32 only: vR.s16[i] <- S16(rhu(vR.s32[i], 16)), i < 8; halfwords 8..15 <- 0.
  void Vdepth16();

  // ---- State, for kernels that save/restore accumulators and for tests.
  const VectorRegister& vR() const { return vr_; }
  const VectorRegister& vD() const { return vd_; }
  const VectorRegister& vC() const { return vc_; }
  VectorRegister& mutable_vR() { return vr_; }
  VectorRegister& mutable_vD() { return vd_; }
  VectorRegister& mutable_vC() { return vc_; }
  // int8/int16 modes: the 32-bit accumulator of lane i < 16.
  int32_t accumulator(int i) const;
  // int32 mode: the 40-bit accumulator of lane i < 8, sign-extended (bits
  // 39..0 of vD.s32[i]:vR.s32[i]; a raw VLDD's higher vD bits are ignored).
  int64_t accumulator40(int i) const;
  // Writes accumulator i in the vD/vR split above (for tests and kernels that
  // preload accumulators). set_accumulator40 needs -2^39 <= value < 2^39.
  void set_accumulator(int i, int32_t value);
  void set_accumulator40(int i, int64_t value);

  VlashrRounding vlashr_rounding() const { return vlashr_rounding_; }
  const VpuCounters& counters() const { return counters_; }
  void ResetCounters() { counters_ = {}; }

 private:
  VectorRegister vr_, vd_, vc_;
  VpuMode mode_ = VpuMode::kInt32;
  VlashrRounding vlashr_rounding_;
  VpuCounters counters_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_VPU_H_
