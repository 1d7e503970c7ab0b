// PAD with a constant: a pure copy into a larger tensor whose border holds the
// output zero point (quantized types) or 0 (float32, int32). Any element type
// among int8, uint8, int16, int32 and float32; rank up to 6.
#ifndef TINYSERVE_ENGINE_KERNELS_PAD_H_
#define TINYSERVE_ENGINE_KERNELS_PAD_H_

#include <cstddef>
#include <cstdint>

#include "engine/kernels/kernel.h"

namespace tinyserve {

inline constexpr int kPadInputTensor = 0;
inline constexpr int kPadPaddingsTensor = 1;  // constant int32 or int64 [rank, 2]
inline constexpr int kPadOutputTensor = 0;

struct PadData : OpData {
  static constexpr int kRank = 6;
  // Shapes right-aligned to kRank dimensions (leading dimensions of 1, no padding).
  int64_t in_dims[kRank] = {};
  int64_t out_dims[kRank] = {};
  int64_t before[kRank] = {};
  size_t element_size = 1;
  int64_t output_elements = 0;
  uint8_t fill[8] = {};  // one element holding the fill value
};

absl::StatusOr<std::unique_ptr<const OpData>> PreparePad(const PrepareContext& ctx);
void EvalPadReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_PAD_H_
