// The shared integer math of engine/quant: requantize.h (QuantizeMultiplier,
// SaturatingRoundingDoublingHighMul, RoundingDivideByPOT,
// MultiplyByQuantizedMultiplier) and the constants inside fixed_point.h.
//
// Every expected value is worked out by hand from the definitions (gemmlowp's
// SRDHM and RDBPOT, TFLite's QuantizeMultiplier; tflite-int8.md §4.2-4.3) in
// the comment beside it. Notation: SRDHM(a, b) = trunc((a*b + nudge) / 2^31)
// with nudge = 2^30 for a*b >= 0 and 1 - 2^30 otherwise; so an exact tie goes
// toward +infinity (0.5 -> 1, -0.5 -> 0). RDBPOT(x, e) = x / 2^e with ties away
// from zero (0.5 -> 1, -0.5 -> -1).
#include <cmath>
#include <cstdint>
#include <limits>

#include "engine/quant/fixed_point.h"
#include "engine/quant/requantize.h"
#include "gtest/gtest.h"

namespace tinyserve {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
constexpr int32_t k2p30 = int32_t{1} << 30;

void ExpectMultiplier(double real, int32_t multiplier, int shift) {
  const QuantizedMultiplier m = QuantizeMultiplier(real);
  EXPECT_EQ(m.multiplier, multiplier) << "real multiplier " << real;
  EXPECT_EQ(m.shift, shift) << "real multiplier " << real;
}

TEST(QuantizeMultiplierTest, ExactPowersAndFractions) {
  ExpectMultiplier(0.0, 0, 0);             // special case
  ExpectMultiplier(0.5, k2p30, 0);         // frexp = 0.5 * 2^0
  ExpectMultiplier(1.0, k2p30, 1);         // 0.5 * 2^1
  ExpectMultiplier(0.25, k2p30, -1);       // 0.5 * 2^-1
  ExpectMultiplier(0.75, 1610612736, 0);   // 0.75 * 2^31 = 1610612736
  ExpectMultiplier(3.0, 1610612736, 2);    // 0.75 * 2^2
  ExpectMultiplier(1 - std::ldexp(1.0, -31), kMax, 0);  // q * 2^31 = 2^31 - 1 exactly
}

TEST(QuantizeMultiplierTest, MantissaRoundsHalfAwayFromZero) {
  // q = 0.5 + 2^-32: q * 2^31 = 2^30 + 0.5 -> 2^30 + 1.
  ExpectMultiplier(0.5 + std::ldexp(1.0, -32), k2p30 + 1, 0);
  // q = 0.5 + 2^-33: q * 2^31 = 2^30 + 0.25 -> 2^30.
  ExpectMultiplier(0.5 + std::ldexp(1.0, -33), k2p30, 0);
}

TEST(QuantizeMultiplierTest, RenormalizesWhenTheMantissaRoundsUpTo2p31) {
  // q = 1 - 2^-33: q * 2^31 = 2^31 - 0.25 rounds to 2^31, which does not fit:
  // it becomes 2^30 with the shift one higher (the value is still ~1.0).
  ExpectMultiplier(1 - std::ldexp(1.0, -33), k2p30, 1);
  // Same with a different exponent: (1 - 2^-34) * 2^5.
  ExpectMultiplier(std::ldexp(1 - std::ldexp(1.0, -34), 5), k2p30, 6);
}

TEST(QuantizeMultiplierTest, ShiftBelowMinus31FlushesToZero) {
  ExpectMultiplier(std::ldexp(1.0, -32), k2p30, -31);         // 0.5 * 2^-31: kept
  ExpectMultiplier(std::ldexp(0.75, -31), 1610612736, -31);   // 0.75 * 2^-31: kept
  ExpectMultiplier(std::ldexp(1.0, -33), 0, 0);               // 0.5 * 2^-32: flushed
  ExpectMultiplier(std::ldexp(0.75, -32), 0, 0);              // 0.75 * 2^-32: flushed
  ExpectMultiplier(std::ldexp(1.0, -40), 0, 0);
}

TEST(SaturatingRoundingDoublingHighMulTest, TiesGoTowardPlusInfinity) {
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(1, k2p30), 1);    // 0.5 -> 1
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-1, k2p30), 0);   // -0.5: (-2^31 + 1) / 2^31 -> 0
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(3, k2p30), 2);    // 1.5 -> 2
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-3, k2p30), -1);  // -1.5: (-2^32 + 1) / 2^31 -> -1
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(k2p30, -1), 0);   // symmetric in a, b
  // Not ties: round to nearest.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(5, 1610612736), 4);   // 5 * 0.75 = 3.75 -> 4
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(-5, 1610612736), -4); // -3.75 -> -4
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(100, 1610612736), 75);
}

TEST(SaturatingRoundingDoublingHighMulTest, Extremes) {
  // The one overflowing product saturates.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin, kMin), kMax);
  // (2^31 - 1)^2 / 2^31 = 2^31 - 2 + 2^-31 -> 2^31 - 2.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMax, kMax), kMax - 1);
  // -2^31 * (2^31 - 1) / 2^31 = -(2^31 - 1) exactly.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin, kMax), kMin + 1);
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin, 0), 0);
  // -2^31 * 2^30 / 2^31 = -2^30 exactly.
  EXPECT_EQ(SaturatingRoundingDoublingHighMul(kMin, k2p30), -k2p30);
}

TEST(RoundingDivideByPOTTest, TiesGoAwayFromZero) {
  EXPECT_EQ(RoundingDivideByPOT(1, 1), 1);     // 0.5 -> 1
  EXPECT_EQ(RoundingDivideByPOT(-1, 1), -1);   // -0.5 -> -1
  EXPECT_EQ(RoundingDivideByPOT(3, 1), 2);     // 1.5 -> 2
  EXPECT_EQ(RoundingDivideByPOT(-3, 1), -2);   // -1.5 -> -2
  EXPECT_EQ(RoundingDivideByPOT(5, 1), 3);     // 2.5 -> 3
  EXPECT_EQ(RoundingDivideByPOT(-5, 1), -3);   // -2.5 -> -3
  EXPECT_EQ(RoundingDivideByPOT(6, 2), 2);     // 1.5 -> 2
  EXPECT_EQ(RoundingDivideByPOT(-6, 2), -2);   // -1.5 -> -2
  EXPECT_EQ(RoundingDivideByPOT(5, 2), 1);     // 1.25 -> 1
  EXPECT_EQ(RoundingDivideByPOT(-5, 2), -1);   // -1.25 -> -1
  EXPECT_EQ(RoundingDivideByPOT(7, 2), 2);     // 1.75 -> 2
  EXPECT_EQ(RoundingDivideByPOT(-7, 2), -2);   // -1.75 -> -2
  EXPECT_EQ(RoundingDivideByPOT(-75, 3), -9);  // -9.375 -> -9
  EXPECT_EQ(RoundingDivideByPOT(-7, 0), -7);   // exponent 0: unchanged
}

TEST(RoundingDivideByPOTTest, ShiftOf31) {
  EXPECT_EQ(RoundingDivideByPOT(k2p30, 31), 1);       // 0.5 -> 1
  EXPECT_EQ(RoundingDivideByPOT(-k2p30, 31), -1);     // -0.5 -> -1
  EXPECT_EQ(RoundingDivideByPOT(k2p30 - 1, 31), 0);   // just below 0.5
  EXPECT_EQ(RoundingDivideByPOT(-k2p30 + 1, 31), 0);  // just above -0.5
  EXPECT_EQ(RoundingDivideByPOT(kMax, 31), 1);        // ~1.0
  EXPECT_EQ(RoundingDivideByPOT(kMin, 31), -1);       // -1.0 exactly
}

TEST(MultiplyByQuantizedMultiplierTest, RoundsTwice) {
  // m = 0.25 = 2^30 * 2^(-1 - 31): SRDHM by 0.5, then RDBPOT by 1.
  // x = 1: SRDHM -> 1 (0.5 up), RDBPOT(1, 1) -> 1 (0.5 away): 1, though 1 * 0.25
  // rounds to 0 in one step. This double rounding is TFLite Micro's default.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(1, k2p30, -1), 1);
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-1, k2p30, -1), 0);   // SRDHM(-1) = 0
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-3, k2p30, -1), -1);  // -1.5 -> -1, then -0.5 -> -1
  EXPECT_EQ(MultiplyByQuantizedMultiplier(5, k2p30, -1), 2);    // 2.5 -> 3, 1.5 -> 2 (1.25 exact)
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-5, k2p30, -1), -1);  // -2.5 -> -2, -1 -> -1
  // m = 0.75 * 2^-3: SRDHM(-100, 0.75) = -75, RDBPOT(-75, 3) = -9.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-100, 1610612736, -3), -9);
}

TEST(MultiplyByQuantizedMultiplierTest, LeftShiftAndRightShiftOf31) {
  EXPECT_EQ(MultiplyByQuantizedMultiplier(3, k2p30, 2), 6);     // (3 << 2) * 0.5
  EXPECT_EQ(MultiplyByQuantizedMultiplier(-3, k2p30, 1), -3);   // multiplier 1.0 is exact
  // m = 2^-32 = 2^30 * 2^(-31 - 31). x = 2^31 - 1: SRDHM = ((2^31 - 1) 2^30 +
  // 2^30) / 2^31 = 2^30 exactly; RDBPOT(2^30, 31) = 1 (0.5 away from zero).
  EXPECT_EQ(MultiplyByQuantizedMultiplier(kMax, k2p30, -31), 1);
  // x = -2^31: SRDHM = -2^30 (the nudge 1 - 2^30 truncates away); RDBPOT -> -1.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(kMin, k2p30, -31), -1);
  // x = 2^31 - 2: SRDHM = 2^30 - 1, below the half: 0.
  EXPECT_EQ(MultiplyByQuantizedMultiplier(kMax - 1, k2p30, -31), 0);
}

// fixed_point.h keeps its constants inside the functions, so they are checked
// through results that depend on exactly one of them.
TEST(FixedPointConstantsTest, ExpOfMinusOneEighth) {
  using fixed_point::Q;
  // At a = -1/8 the Taylor variable x = a + 1/8 is 0, so every power and the
  // polynomial vanish and the result is the constant exp(-1/8) itself.
  const Q<0> a = Q<0>::FromRaw(-(int32_t{1} << 28));
  EXPECT_EQ(fixed_point::ExpOnIntervalNegativeQuarterToZero(a).raw,
            std::llround(std::exp(-0.125) * 2147483648.0));
}

TEST(FixedPointConstantsTest, ExpOfMinusPowersOfTwo) {
  using fixed_point::Q;
  // In Q5.26 take raw a = -2^(26+k) - 1, i.e. -(2^k + 2^-26). Its low 24 bits
  // are all ones, so (a mod 1/4) - 1/4 = -2^-26 (raw -1) and the remainder
  // (that minus a) is exactly 2^k: the barrel shifter multiplies the Taylor
  // part T (the whole result for raw a = -1) by the exp(-2^k) constant and no
  // other, giving SRDHM(T, round(exp(-2^k) * 2^31)).
  const int32_t t = fixed_point::ExpOnNegativeValues(Q<5>::FromRaw(-1)).raw;
  for (int k = -2; k <= 4; ++k) {
    const int32_t constant =
        static_cast<int32_t>(std::llround(std::exp(-std::ldexp(1.0, k)) * 2147483648.0));
    const int32_t a = -(int32_t{1} << (26 + k)) - 1;
    const int32_t expected = SaturatingRoundingDoublingHighMul(t, constant);
    // The check can tell the constant from its neighbours.
    ASSERT_NE(SaturatingRoundingDoublingHighMul(t, constant - 1), expected) << "k = " << k;
    ASSERT_NE(SaturatingRoundingDoublingHighMul(t, constant + 1), expected) << "k = " << k;
    EXPECT_EQ(fixed_point::ExpOnNegativeValues(Q<5>::FromRaw(a)).raw, expected)
        << "exp(-2^" << k << ") constant should be " << constant;
  }
}

TEST(FixedPointAccuracyTest, AgainstTheRealFunctions) {
  // Not exact by hand: gemmlowp's approximations checked against the real
  // functions. exp's error is dominated by its 4th-order Taylor series on
  // [-1/4, 0] around -1/8: remainder <= exp(-1/8) (1/8)^5 / 5! ~ 2.3e-7, which
  // is ~2.9e-7 relative to exp(-1/4) and carries through the exact-to-2^-31
  // constant multiplies; hence 3e-7 relative. Newton-Raphson 1/(1+x) is far
  // better; 2^-24 absolute is a loose bound.
  using fixed_point::Q;
  const double two31 = 2147483648.0;
  EXPECT_EQ(fixed_point::ExpOnNegativeValues(Q<5>::FromRaw(0)).raw, kMax);  // exp(0) = "1"
  for (double a : {-0.25, -0.5, -1.0, -2.5, -4.75, -7.0}) {
    const int32_t raw = static_cast<int32_t>(std::lround(a * (1 << 26)));
    const double got = fixed_point::ExpOnNegativeValues(Q<5>::FromRaw(raw)).raw / two31;
    EXPECT_NEAR(got, std::exp(a), std::exp(a) * 3e-7 + std::ldexp(1.0, -30))
        << "exp(" << a << ")";
  }
  for (double a : {0.0, 0.25, 0.5, 0.75, 0.999}) {
    const int32_t raw = static_cast<int32_t>(std::lround(a * two31));
    const double got = fixed_point::OneOverOnePlusX(Q<0>::FromRaw(raw)).raw / two31;
    EXPECT_NEAR(got, 1.0 / (1.0 + raw / two31), std::ldexp(1.0, -24)) << "1/(1+" << a << ")";
    const double got2 = fixed_point::OneMinusXOverOnePlusX(Q<0>::FromRaw(raw)).raw / two31;
    EXPECT_NEAR(got2, (1.0 - raw / two31) / (1.0 + raw / two31), std::ldexp(1.0, -24))
        << "(1-x)/(1+x) at " << a;
  }
}

}  // namespace
}  // namespace tinyserve
