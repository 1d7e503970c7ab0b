// The exact output stage's VPU instruction sequence against TFLite's
// requantization (engine/quant/requantize.h): every tested accumulator, for
// multipliers and shifts across the whole range the engine accepts (shift in
// [-31, 0]; multiplier 0 or in [2^30, 2^31)), with seeded random and boundary
// accumulators, rounding ties of both roundings, and both VLASHR modes.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "devices/xs3/exact_output_stage.h"
#include "devices/xs3/vpu.h"
#include "engine/quant/requantize.h"
#include "gtest/gtest.h"

namespace tinyserve::xs3 {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

int32_t Lane(const VectorRegister& r, int i) { return r.s32(i); }

// Runs the core on 8 (x, M, shift) lanes and checks y == MBQM(x, M, shift).
class Harness {
 public:
  explicit Harness(VlashrRounding rounding) : vpu_(rounding) {}

  // Returns the number of mismatches (and records the first).
  int Check(const int32_t (&x)[8], const QuantizedMultiplier (&q)[8]) {
    std::vector<ExactChannel> channels(16);
    for (int j = 0; j < 8; ++j) channels[2 * j].multiplier = q[j];  // even half = lanes j
    ExactOutputProgram program(channels, 0, ActivationRange{-128, 127});
    Vector32 h16, l;
    for (int j = 0; j < 8; ++j) {
      const uint32_t u = static_cast<uint32_t>(x[j]);
      const uint32_t hi = u & 0xFFFF0000u, lo = u & 0xFFFFu;
      std::memcpy(h16.bytes + 4 * j, &hi, 4);
      std::memcpy(l.bytes + 4 * j, &lo, 4);
    }
    vpu_.Vsetc(VpuMode::kInt32);
    ExactRequantizeHalf(vpu_, program.even(0), h16, l, scratch_);
    int bad = 0;
    for (int j = 0; j < 8; ++j) {
      const int32_t want = MultiplyByQuantizedMultiplier(x[j], q[j]);
      const int32_t got = Lane(vpu_.vR(), j);
      if (got != want) {
        if (bad++ == 0 && failures_ < 10) {
          ++failures_;
          ADD_FAILURE() << "x=" << x[j] << " M=" << q[j].multiplier << " shift=" << q[j].shift
                        << ": vpu " << got << ", TFLite " << want;
        }
      }
    }
    ++calls_;
    return bad;
  }
  int64_t calls() const { return calls_; }
  int64_t instructions() const { return vpu_.counters().vpu_instructions; }

 private:
  Vpu vpu_;
  ExactStageScratch scratch_;
  int failures_ = 0;
  int64_t calls_ = 0;
};

QuantizedMultiplier RandomMultiplier(std::mt19937_64& rng) {
  std::uniform_int_distribution<int32_t> m(int32_t{1} << 30, kMax);
  std::uniform_int_distribution<int> e(0, 31);
  const int pick = static_cast<int>(rng() % 16);
  QuantizedMultiplier q;
  q.shift = -e(rng);
  switch (pick) {
    case 0: q.multiplier = int32_t{1} << 30; break;
    case 1: q.multiplier = kMax; break;
    case 2: q.multiplier = (int32_t{1} << 30) + 1; break;
    case 3: q.multiplier = 0; q.shift = rng() % 2 ? 0 : q.shift; break;
    case 4: q.multiplier = kMax - 1; break;
    default: q.multiplier = m(rng);
  }
  return q;
}

// Accumulators that stress x: boundaries, powers of two, and values next to
// the rounding ties of SRDHM (x*M = 2^30 mod 2^31) and RDBPOT (s = 2^(e-1)
// mod 2^e) for this multiplier.
int32_t InterestingX(std::mt19937_64& rng, const QuantizedMultiplier& q) {
  const int kind = static_cast<int>(rng() % 8);
  switch (kind) {
    case 0: {
      static const int32_t kFixed[] = {0, 1, -1, 2, -2, kMax, kMin, kMin + 1, kMax - 1,
                                       32767, -32768, 65535, 65536, -65536, -65537};
      return kFixed[rng() % (sizeof(kFixed) / sizeof(kFixed[0]))];
    }
    case 1: {
      const int k = static_cast<int>(rng() % 31);
      const int64_t v = (int64_t{1} << k) + static_cast<int64_t>(rng() % 5) - 2;
      return static_cast<int32_t>(rng() % 2 ? v : -v);
    }
    case 2:
    case 3: {
      // Near a target s = (k + 1/2) * 2^e (an RDBPOT tie) or any s: x ~ s * 2^31 / M.
      if (q.multiplier == 0) return static_cast<int32_t>(rng());
      const int e = -q.shift;
      const int64_t k = static_cast<int64_t>(rng() % 600) - 300;
      const double s = (static_cast<double>(k) + (kind == 2 ? 0.5 : 0.0)) * std::ldexp(1.0, e);
      const double x = s * std::ldexp(1.0, 31) / q.multiplier;
      const double clamped = std::clamp(x, -2147483648.0, 2147483647.0);
      const int64_t xi = static_cast<int64_t>(clamped) + static_cast<int64_t>(rng() % 7) - 3;
      return static_cast<int32_t>(std::clamp<int64_t>(xi, kMin, kMax));
    }
    case 4: {
      // An SRDHM tie: x * M = 2^30 (mod 2^31), for odd M; x = 2^30 * M^-1 mod 2^31 (+ k 2^31).
      if ((q.multiplier & 1) == 0) return static_cast<int32_t>(rng());
      uint64_t inv = 1;  // Newton iteration for the inverse mod 2^64
      for (int i = 0; i < 6; ++i) inv *= 2 - static_cast<uint64_t>(q.multiplier) * inv;
      const uint64_t x = ((uint64_t{1} << 30) * inv) & 0x7FFFFFFFu;
      return static_cast<int32_t>(rng() % 2 ? x : x - (uint64_t{1} << 31));
    }
    default:
      return static_cast<int32_t>(rng());
  }
}

class ExactRequantTest : public ::testing::TestWithParam<VlashrRounding> {};

TEST_P(ExactRequantTest, MatchesTfliteOnRandomAndBoundaryAccumulators) {
  Harness h(GetParam());
  std::mt19937_64 rng(20240607);
  int64_t bad = 0;
  constexpr int kRounds = 400000;  // x 8 lanes
  for (int r = 0; r < kRounds; ++r) {
    int32_t x[8];
    QuantizedMultiplier q[8];
    for (int j = 0; j < 8; ++j) {
      q[j] = RandomMultiplier(rng);
      x[j] = InterestingX(rng, q[j]);
    }
    bad += h.Check(x, q);
  }
  EXPECT_EQ(bad, 0);
  std::printf("[ exact    ] %lld lanes checked, %.1f VPU instructions per 8 lanes\n",
              static_cast<long long>(h.calls() * 8),
              static_cast<double>(h.instructions()) / static_cast<double>(h.calls()));
}

// Every shift, the extreme multipliers, and every x in windows around the
// int32 boundaries, zero and the 16-bit limb boundaries.
TEST_P(ExactRequantTest, MatchesTfliteOnDenseWindowsForEveryShift) {
  Harness h(GetParam());
  const int32_t multipliers[] = {0, int32_t{1} << 30, (int32_t{1} << 30) + 1, 1518500250,
                                 kMax - 1, kMax};
  const int64_t centers[] = {kMin, kMax, 0, 65536, -65536, int64_t{1} << 30, -(int64_t{1} << 30)};
  int64_t bad = 0;
  for (int e = 0; e <= 31; ++e) {
    for (int32_t m : multipliers) {
      const QuantizedMultiplier q{m, -e};
      for (int64_t c : centers) {
        for (int64_t base = c - 2048; base < c + 2048; base += 8) {
          int32_t x[8];
          QuantizedMultiplier qs[8];
          for (int j = 0; j < 8; ++j) {
            x[j] = static_cast<int32_t>(std::clamp<int64_t>(base + j, kMin, kMax));
            qs[j] = q;
          }
          bad += h.Check(x, qs);
        }
      }
    }
  }
  EXPECT_EQ(bad, 0);
}

// The whole stage from the int8 ring: 16 accumulators, per-channel
// multipliers, output zero point, fused activation range and a partial last
// group, against clamp(MBQM(x) + zp, lo, hi).
TEST_P(ExactRequantTest, FullStageFromRingMatchesTflite) {
  std::mt19937_64 rng(7);
  Vpu vpu(GetParam());
  std::vector<Vector32> scratch_storage(sizeof(ExactStageScratch) / sizeof(Vector32) + 1);
  KernelContext ctx;
  ctx.vpu = &vpu;
  auto& s = *reinterpret_cast<ExactStageScratch*>(scratch_storage.data());
  ClearExactStageScratch(ctx, s);
  int64_t bad = 0;
  for (int r = 0; r < 40000; ++r) {
    const int lanes = r % 5 == 0 ? 1 + static_cast<int>(rng() % 16) : 16;
    std::vector<ExactChannel> channels(lanes);
    for (auto& c : channels) c.multiplier = RandomMultiplier(rng);
    const int32_t zp = static_cast<int32_t>(rng() % 256) - 128;
    ActivationRange range{-128, 127};
    if (rng() % 3 == 0) range.min = std::max<int32_t>(zp, -128);           // RELU
    if (rng() % 4 == 0) range.max = std::min<int32_t>(range.min + 40, 127);  // RELU6-like
    ExactOutputProgram program(channels, zp, range);
    int32_t x[16];
    vpu.Vsetc(VpuMode::kInt8);
    for (int k = 0; k < 16; ++k) {
      x[k] = InterestingX(rng, channels[k % lanes].multiplier);
      if (x[k] == kMin) x[k] = kMin + 1;  // the VPU's accumulators never hold -2^31
      vpu.set_accumulator(k, x[k]);
    }
    int8_t out[16];
    std::memset(out, 0x5A, sizeof(out));
    RunExactOutputStage(ctx, program, 0, s, out, lanes);
    for (int k = 0; k < 16; ++k) {
      if (k >= lanes) {
        if (out[k] != 0x5A) {
          ++bad;
          ADD_FAILURE() << "byte " << k << " beyond " << lanes << " lanes was written";
        }
        continue;
      }
      const int32_t y = MultiplyByQuantizedMultiplier(x[k], channels[k].multiplier);
      const int64_t want = std::clamp<int64_t>(int64_t{y} + zp, range.min, range.max);
      if (out[k] != want) {
        if (bad++ < 10) {
          ADD_FAILURE() << "lane " << k << " x=" << x[k] << " M=" << channels[k].multiplier.multiplier
                        << " shift=" << channels[k].multiplier.shift << " zp=" << zp << " range ["
                        << range.min << "," << range.max << "]: vpu " << int{out[k]}
                        << ", TFLite " << want;
        }
      }
    }
  }
  EXPECT_EQ(bad, 0);
}

INSTANTIATE_TEST_SUITE_P(VlashrModes, ExactRequantTest,
                         ::testing::Values(VlashrRounding::kFloor, VlashrRounding::kLibNn2024),
                         [](const auto& info) {
                           return info.param == VlashrRounding::kFloor ? std::string("floor")
                                                                       : std::string("libnn2024");
                         });

}  // namespace
}  // namespace tinyserve::xs3
