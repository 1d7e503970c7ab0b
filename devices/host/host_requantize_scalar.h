// Scalar requantization for the host kernels' fallback and tails: the engine's
// MultiplyByQuantizedMultiplier (engine/quant/requantize.h), restated here with
// internal linkage because every ISA file includes it: an inline function with
// external linkage compiled with AVX-512 flags could be the copy the linker
// keeps for the portable code too.
#ifndef TINYSERVE_DEVICES_HOST_HOST_REQUANTIZE_SCALAR_H_
#define TINYSERVE_DEVICES_HOST_HOST_REQUANTIZE_SCALAR_H_

#include <cstdint>

#include "devices/host/host_kernels.h"

namespace tinyserve::host {
namespace {  // NOLINT: internal linkage on purpose (see above)

inline int32_t ScalarSrdhm(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

inline int32_t ScalarRdbpot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// Channel c of `rq` (c indexes its arrays) for an accumulator that already
// holds the folded bias (wrapping sum).
inline int8_t ScalarRequantBiased(const RequantTable& rq, int c, int32_t biased) {
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(biased) << rq.lshift[c]);
  int32_t v = ScalarRdbpot(ScalarSrdhm(shifted, rq.mult[c]), rq.rshift[c]) + rq.out_zp;
  v = v < rq.act_min ? rq.act_min : v;
  v = v > rq.act_max ? rq.act_max : v;
  return static_cast<int8_t>(v);
}

// The same for the raw accumulator (the bias still to add).
inline int8_t ScalarRequant(const RequantTable& rq, int c, int32_t acc) {
  return ScalarRequantBiased(
      rq, c, static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(rq.bias[c])));
}

}  // namespace
}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_REQUANTIZE_SCALAR_H_
