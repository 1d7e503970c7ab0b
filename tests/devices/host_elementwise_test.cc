// The host device's ADD and pooling inner loops (devices/host/host_elementwise.h)
// on every ISA this machine runs, against the scalar definitions, over parameters
// no valid model reaches: multipliers anywhere in [0, 2^31), input left shifts
// 0..23, output left shifts and all right shifts 0..31 (left shifts wrapping),
// sums that wrap int32, every
// (x0, x1) pair, scalar operands at the int32 rails, 256-tap pool windows at the
// int8 rails, and every channel tail. The model-level differential test
// (host_differential_test) covers what Prepare makes of real quantization.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "devices/host/host_elementwise.h"
#include "devices/host/host_isa.h"
#include "engine/quant/requantize.h"
#include "engine/util/splitmix64.h"
#include "gtest/gtest.h"

namespace tinyserve::host {
namespace {

int32_t Wrap(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); }

int32_t MulShift(int32_t x, int32_t m, int left, int right) {
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(x, left), m),
                             right);
}

int32_t StageValue(const AddInputStage& s, int x) {
  return MulShift(x + s.offset, s.multiplier, s.left_shift, s.right_shift);
}

// The output stage with wrapping additions (the kernels wrap; the reference
// only differs where it would overflow, which Prepare rules out).
int8_t Expected(const AddParams& p, int32_t s0, int32_t s1) {
  const int32_t raw = Wrap(int64_t{s0} + s1);
  const int32_t v = Wrap(int64_t{MulShift(raw, p.out_multiplier, p.out_left_shift,
                                           p.out_right_shift)} +
                         p.out_zero_point);
  return static_cast<int8_t>(std::min(std::max(v, p.act_min), p.act_max));
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : r_(seed) {}
  int Int(int lo, int hi) {
    return lo + static_cast<int>(r_.Next() % static_cast<uint64_t>(int64_t{hi} - lo + 1));
  }
  uint64_t Next() { return r_.Next(); }
  // A multiplier in [0, 2^31): often an edge value.
  int32_t Multiplier() {
    switch (Int(0, 7)) {
      case 0: return 0;
      case 1: return int32_t{1} << 30;
      case 2: return std::numeric_limits<int32_t>::max();
      case 3: return Int(1, 1000);
      default: return static_cast<int32_t>(Next() & 0x7fffffff);
    }
  }
  int Shift() { return Int(0, 5) == 0 ? Int(0, 1) * 31 : Int(0, 31); }

 private:
  SplitMix64 r_;
};

AddParams RandomParams(Rng& rng) {
  AddParams p;
  for (auto& s : p.in) {
    s.offset = rng.Int(-127, 128);
    s.multiplier = rng.Multiplier();
    if (rng.Int(0, 3) == 0) {
      // The larger-scale input of a real ADD: multiplier 1/2, a linear stage.
      s.multiplier = int32_t{1} << 30;
      s.left_shift = 20;
      s.right_shift = 0;
      continue;
    }
    // Mostly ADD's own 20 (+0), sometimes anything the kernels take (<= 23).
    s.left_shift = rng.Int(0, 2) == 0 ? rng.Int(0, 23) : 20;
    s.right_shift = rng.Shift();
  }
  p.out_multiplier = rng.Multiplier();
  p.out_left_shift = rng.Int(0, 2) == 0 ? rng.Shift() : 0;
  p.out_right_shift = rng.Shift();
  p.out_zero_point = rng.Int(-128, 127);
  const int a = rng.Int(-128, 127), b = rng.Int(-128, 127);
  p.act_min = rng.Int(0, 2) == 0 ? -128 : std::min(a, b);
  p.act_max = rng.Int(0, 2) == 0 ? 127 : std::max(a, b);
  FinishAddParams(p);
  for (int i = 0; i < 2; ++i) {
    for (int x = -128; x <= 127; ++x) {
      EXPECT_EQ(p.scaled[i][x + 128], StageValue(p.in[i], x));
      if (p.in[i].linear) {
        const int64_t slope = p.in[i].linear_shift > 31 ? 0 : int64_t{1} << p.in[i].linear_shift;
        EXPECT_EQ(p.scaled[i][x + 128], slope * x + p.in[i].intercept);
      }
    }
  }
  return p;
}

std::vector<std::string> Isas() {
  std::vector<std::string> isas = SupportedHostIsas();
  std::printf("[ isas     ] %s\n", [&] {
    std::string s;
    for (const auto& i : isas) s += i + " ";
    return s;
  }().c_str());
  return isas;
}

TEST(HostElementwiseTest, AddRowEveryPairRandomParameters) {
  // All 65536 (x0, x1) pairs in one row, minus a few for the tails.
  std::vector<int8_t> x0(65536), x1(65536), out(65536);
  for (int i = 0; i < 65536; ++i) {
    x0[i] = static_cast<int8_t>(i & 255);
    x1[i] = static_cast<int8_t>(i >> 8);
  }
  for (const std::string& isa : Isas()) {
    const ElementwiseKernels& k = ElementwiseKernelsFor(isa.c_str());
    Rng rng(42);
    int checked = 0, linear = 0;
    for (int t = 0; t < 250; ++t) {
      const AddParams p = RandomParams(rng);
      linear += p.in[0].linear + p.in[1].linear;
      const int64_t n = 65536 - rng.Int(0, 70);
      const int start = rng.Int(0, 3);  // unaligned starts
      k.add_row(p, x0.data() + start, x1.data() + start, out.data(), n - start);
      for (int64_t i = 0; i < n - start; ++i) {
        const int8_t want = Expected(p, StageValue(p.in[0], x0[start + i]),
                                     StageValue(p.in[1], x1[start + i]));
        ASSERT_EQ(out[i], want) << isa << " case " << t << " i " << i << " x0 "
                                << int{x0[start + i]} << " x1 " << int{x1[start + i]};
        ++checked;
      }
    }
    std::printf("[ add      ] %s: %d outputs checked, %d of 500 stages linear\n", isa.c_str(),
                checked, linear);
  }
}

TEST(HostElementwiseTest, AddRowScalarRails) {
  std::vector<int8_t> x0(300), out(300);
  for (int i = 0; i < 300; ++i) x0[i] = static_cast<int8_t>(i * 7 + 3);
  for (const std::string& isa : Isas()) {
    const ElementwiseKernels& k = ElementwiseKernelsFor(isa.c_str());
    Rng rng(7);
    for (int t = 0; t < 4000; ++t) {
      const AddParams p = RandomParams(rng);
      int32_t s1;
      switch (rng.Int(0, 4)) {
        case 0: s1 = std::numeric_limits<int32_t>::min(); break;
        case 1: s1 = std::numeric_limits<int32_t>::max(); break;
        case 2: s1 = p.scaled[1][rng.Int(0, 255)]; break;
        default: s1 = static_cast<int32_t>(rng.Next());
      }
      const int n = rng.Int(0, 300);
      k.add_row_scalar(p, x0.data(), s1, out.data(), n);
      for (int i = 0; i < n; ++i) {
        ASSERT_EQ(out[i], Expected(p, StageValue(p.in[0], x0[i]), s1))
            << isa << " case " << t << " i " << i << " n " << n;
      }
    }
  }
}

// One pool window: ny x nx pixels of `channels`, row_stride apart.
struct PoolCase {
  int ny, nx, channels;
  int64_t row_stride;
  std::vector<int8_t> data;
  int32_t lo, hi;
};

int8_t ExpectedPool(const PoolCase& c, int ch, bool average) {
  int64_t acc = average ? 0 : -128;
  const int count = c.ny * c.nx;
  for (int y = 0; y < c.ny; ++y) {
    for (int x = 0; x < c.nx; ++x) {
      const int8_t v = c.data[y * c.row_stride + static_cast<int64_t>(x) * c.channels + ch];
      acc = average ? acc + v : std::max<int64_t>(acc, v);
    }
  }
  int32_t v = static_cast<int32_t>(acc);
  if (average) {
    v = static_cast<int32_t>(acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count);
  }
  return static_cast<int8_t>(std::min(std::max(v, c.lo), c.hi));
}

TEST(HostElementwiseTest, PoolWindowsAtTheRails) {
  for (const std::string& isa : Isas()) {
    const ElementwiseKernels& k = ElementwiseKernelsFor(isa.c_str());
    Rng rng(99);
    int checked = 0;
    for (int t = 0; t < 3000; ++t) {
      PoolCase c;
      if (rng.Int(0, 3) == 0) {
        c.ny = 16;
        c.nx = 16;  // 256 taps: the int16 sum's extremes
      } else {
        c.ny = rng.Int(1, 16);
        c.nx = rng.Int(1, 256 / c.ny);
      }
      c.channels = rng.Int(0, 3) == 0 ? rng.Int(1, 140) : rng.Int(1, 4) * 16 + rng.Int(-1, 1);
      c.channels = std::max(c.channels, 1);
      c.row_stride = static_cast<int64_t>(c.nx) * c.channels + rng.Int(0, 2) * c.channels;
      c.data.resize(static_cast<size_t>(c.ny) * c.row_stride);
      const int mode = rng.Int(0, 3);
      for (auto& v : c.data) {
        v = mode == 0   ? int8_t{-128}
            : mode == 1 ? int8_t{127}
            : mode == 2 ? static_cast<int8_t>(rng.Int(0, 1) ? -128 : 127)
                        : static_cast<int8_t>(rng.Next());
      }
      const int a = rng.Int(-128, 127), b = rng.Int(-128, 127);
      c.lo = rng.Int(0, 1) ? -128 : std::min(a, b);
      c.hi = rng.Int(0, 1) ? 127 : std::max(a, b);
      const int count = c.ny * c.nx;
      const auto magic = static_cast<uint32_t>(((uint64_t{1} << 31) + count - 1) / count);
      // The output sits inside a larger buffer: nothing outside may change.
      std::vector<int8_t> out(c.channels + 64, 55);
      for (int average = 0; average < 2; ++average) {
        std::fill(out.begin(), out.end(), 55);
        if (average) {
          k.avg_pool(c.data.data(), c.row_stride, c.ny, c.nx, c.channels, magic, c.lo, c.hi,
                     out.data() + 32);
        } else {
          k.max_pool(c.data.data(), c.row_stride, c.ny, c.nx, c.channels, c.lo, c.hi,
                     out.data() + 32);
        }
        for (int ch = 0; ch < c.channels; ++ch) {
          ASSERT_EQ(out[32 + ch], ExpectedPool(c, ch, average))
              << isa << (average ? " avg" : " max") << " case " << t << " ch " << ch << " of "
              << c.channels << " window " << c.ny << "x" << c.nx;
          ++checked;
        }
        for (int i = 0; i < 32; ++i) ASSERT_EQ(out[i], 55) << isa << " wrote before the output";
        for (int i = 32 + c.channels; i < static_cast<int>(out.size()); ++i) {
          ASSERT_EQ(out[i], 55) << isa << " wrote past the output";
        }
      }
    }
    std::printf("[ pool     ] %s: %d outputs checked\n", isa.c_str(), checked);
  }
}

}  // namespace
}  // namespace tinyserve::host
