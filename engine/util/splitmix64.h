// SplitMix64, the generator the oracle's random vectors were drawn with
// (../shared/oracle/README.txt): tests and benchmarks use it to make inputs
// that anyone can regenerate.
#ifndef TINYSERVE_ENGINE_UTIL_SPLITMIX64_H_
#define TINYSERVE_ENGINE_UTIL_SPLITMIX64_H_

#include <cstdint>

namespace tinyserve {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // The top 8 bits as two's complement, as the oracle draws int8 elements.
  int8_t NextInt8() { return static_cast<int8_t>(Next() >> 56); }

 private:
  uint64_t state_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_UTIL_SPLITMIX64_H_
