// Q-format fixed-point arithmetic on int32, with the exact rounding and
// saturation of gemmlowp's fixedpoint library, which TFLite Micro's int8
// SOFTMAX, LOGISTIC and TANH use. Results must match bit for bit, so every
// operation here follows that library's definition (see docs/engine.md).
//
// A value with I integer bits is raw / 2^(31 - I).
#ifndef TINYSERVE_ENGINE_QUANT_FIXED_POINT_H_
#define TINYSERVE_ENGINE_QUANT_FIXED_POINT_H_

#include <cstdint>
#include <limits>

#include "engine/quant/requantize.h"

namespace tinyserve::fixed_point {

template <int IntegerBits>
struct Q {
  static_assert(IntegerBits >= 0 && IntegerBits < 32);
  static constexpr int kIntegerBits = IntegerBits;
  static constexpr int kFractionalBits = 31 - IntegerBits;
  int32_t raw = 0;

  static constexpr Q FromRaw(int32_t r) { return Q{r}; }
  // 1.0; with no integer bits 1.0 is not representable and saturates.
  static constexpr Q One() {
    return Q{IntegerBits == 0 ? std::numeric_limits<int32_t>::max()
                              : static_cast<int32_t>(int32_t{1} << kFractionalBits)};
  }
  // 2^Exponent, Exponent < IntegerBits.
  template <int Exponent>
  static constexpr Q PowerOfTwo() {
    static_assert(kFractionalBits + Exponent >= 0 && kFractionalBits + Exponent < 31);
    return Q{static_cast<int32_t>(int32_t{1} << (kFractionalBits + Exponent))};
  }
};

// Raw adds wrap, as gemmlowp's int32 Add does (no saturation).
inline int32_t WrappingAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t WrappingSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t WrappingNeg(int32_t a) { return WrappingSub(0, a); }

template <int I>
Q<I> operator+(Q<I> a, Q<I> b) { return Q<I>{WrappingAdd(a.raw, b.raw)}; }
template <int I>
Q<I> operator-(Q<I> a, Q<I> b) { return Q<I>{WrappingSub(a.raw, b.raw)}; }
template <int I>
Q<I> operator-(Q<I> a) { return Q<I>{WrappingNeg(a.raw)}; }
// Product of Qa and Qb is Q(a+b): the doubling high multiply.
template <int A, int B>
Q<A + B> operator*(Q<A> a, Q<B> b) {
  return Q<A + B>{SaturatingRoundingDoublingHighMul(a.raw, b.raw)};
}

// x * 2^Exponent: saturating for left shifts, rounding half away for right.
template <int Exponent>
int32_t SaturatingRoundingMultiplyByPOT(int32_t x) {
  if constexpr (Exponent == 0) {
    return x;
  } else if constexpr (Exponent > 0) {
    constexpr int32_t threshold = (int32_t{1} << (31 - Exponent)) - 1;
    if (x > threshold) return std::numeric_limits<int32_t>::max();
    if (x < -threshold) return std::numeric_limits<int32_t>::min();
    return ShiftLeftWrapping(x, Exponent);
  } else {
    return RoundingDivideByPOT(x, -Exponent);
  }
}

// The same value with a different number of integer bits.
template <int To, int From>
Q<To> Rescale(Q<From> x) {
  return Q<To>{SaturatingRoundingMultiplyByPOT<From - To>(x.raw)};
}

// (a + b) / 2 rounded half away from zero, without overflow.
template <int I>
Q<I> RoundingHalfSum(Q<I> a, Q<I> b) {
  const int64_t sum = static_cast<int64_t>(a.raw) + b.raw;
  const int64_t sign = sum >= 0 ? 1 : -1;
  return Q<I>{static_cast<int32_t>((sum + sign) / 2)};
}

// exp(a) for a in [-1/4, 0): fourth-order Taylor series around -1/8.
inline Q<0> ExpOnIntervalNegativeQuarterToZero(Q<0> a) {
  const Q<0> exp_minus_one_eighth = Q<0>::FromRaw(1895147668);  // round(exp(-1/8) * 2^31)
  const Q<0> one_third = Q<0>::FromRaw(715827883);               // round(2^31 / 3)
  const Q<0> x = a + Q<0>::PowerOfTwo<-3>();
  const Q<0> x2 = x * x;
  const Q<0> x3 = x2 * x;
  const Q<0> x4 = x2 * x2;
  const Q<0> x4_over_4 = Q<0>::FromRaw(SaturatingRoundingMultiplyByPOT<-2>(x4.raw));
  const Q<0> poly = Q<0>::FromRaw(
      SaturatingRoundingMultiplyByPOT<-1>((((x4_over_4 + x3) * one_third) + x2).raw));
  return exp_minus_one_eighth + exp_minus_one_eighth * (x + poly);
}

// exp(a) for a <= 0: the fractional quarter by Taylor series, then one constant
// multiply per set bit of the rest (exp(-2^k) for k = -2 .. 4).
template <int I>
Q<0> ExpOnNegativeValues(Q<I> a) {
  using F = Q<I>;
  const F one_quarter = F::template PowerOfTwo<-2>();
  const int32_t mask = one_quarter.raw - 1;
  const F a_mod_quarter_minus_quarter = F::FromRaw(a.raw & mask) - one_quarter;
  Q<0> result = ExpOnIntervalNegativeQuarterToZero(Rescale<0>(a_mod_quarter_minus_quarter));
  const int32_t remainder = (a_mod_quarter_minus_quarter - a).raw;

  // round(exp(-2^k) * 2^31) for k = -2, -1, 0, 1, 2, 3, 4.
  constexpr int32_t kExpOfMinusPowerOfTwo[] = {1672461947, 1302514674, 790015084, 290630308,
                                              39332535,   720401,     242};
  for (int k = -2; k <= 4; ++k) {
    if (I > k) {
      const int bit = F::kFractionalBits + k;
      if (remainder & (int32_t{1} << bit)) {
        result = result * Q<0>::FromRaw(kExpOfMinusPowerOfTwo[k + 2]);
      }
    }
  }
  if constexpr (I > 5) {
    // Below -32 the result underflows to zero.
    const int32_t clamp = -(int32_t{1} << (36 - I));
    if (a.raw < clamp) result = Q<0>::FromRaw(0);
  }
  if (a.raw == 0) result = Q<0>::One();
  return result;
}

// Newton-Raphson reciprocal shared by the two functions below: returns
// x ~= 1 / half_denominator in Q2, starting from 48/17 - 32/17 * d.
inline Q<2> ReciprocalOfHalfDenominator(Q<0> half_denominator) {
  const Q<2> c48_over_17 = Q<2>::FromRaw(1515870810);
  const Q<2> c_minus_32_over_17 = Q<2>::FromRaw(-1010580540);
  Q<2> x = c48_over_17 + half_denominator * c_minus_32_over_17;
  for (int i = 0; i < 3; ++i) {
    const Q<2> half_denominator_times_x = half_denominator * x;
    const Q<2> one_minus = Q<2>::One() - half_denominator_times_x;
    x = x + Rescale<2>(x * one_minus);
  }
  return x;
}

// 1 / (1 + a) for a in [0, 1). x ~= 2 / (1 + a) in Q2; halving it is a change
// of format (Q2 -> Q1, same raw), then a saturating rescale to Q0.
inline Q<0> OneOverOnePlusX(Q<0> a) {
  const Q<2> x = ReciprocalOfHalfDenominator(RoundingHalfSum(a, Q<0>::One()));
  return Rescale<0>(Q<1>::FromRaw(x.raw));
}

// (1 - a) / (1 + a) for a in [0, 1): 2 / (1 + a) - 1.
inline Q<0> OneMinusXOverOnePlusX(Q<0> a) {
  const Q<2> x = ReciprocalOfHalfDenominator(RoundingHalfSum(a, Q<0>::One()));
  return Rescale<0>(x - Q<2>::One());
}

// 1 / (1 + exp(-a)).
template <int I>
Q<0> Logistic(Q<I> a) {
  if (a.raw == 0) return Q<0>::FromRaw(int32_t{1} << 30);  // 0.5
  const Q<I> abs_a = a.raw > 0 ? a : -a;
  const Q<0> positive = OneOverOnePlusX(ExpOnNegativeValues(-abs_a));
  return a.raw > 0 ? positive : Q<0>::One() - positive;
}

// tanh(a) = sign(a) * (1 - e) / (1 + e), e = exp(-2|a|). Doubling |a| is a
// change of format (Q(I) -> Q(I+1), same raw).
template <int I>
Q<0> Tanh(Q<I> a) {
  if (a.raw == 0) return Q<0>::FromRaw(0);
  const Q<I> minus_abs_a = a.raw < 0 ? a : -a;
  const Q<0> t = OneMinusXOverOnePlusX(ExpOnNegativeValues(Q<I + 1>::FromRaw(minus_abs_a.raw)));
  return a.raw < 0 ? -t : t;
}

}  // namespace tinyserve::fixed_point

#endif  // TINYSERVE_ENGINE_QUANT_FIXED_POINT_H_
