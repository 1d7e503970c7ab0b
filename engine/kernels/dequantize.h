// DEQUANTIZE: int8 / uint8 / int16 -> float32, (float)((double)scale * (q - zp)).
#ifndef TINYSERVE_ENGINE_KERNELS_DEQUANTIZE_H_
#define TINYSERVE_ENGINE_KERNELS_DEQUANTIZE_H_

#include <cstdint>

#include "engine/kernels/kernel.h"

namespace tinyserve {

inline constexpr int kDequantizeInputTensor = 0;
inline constexpr int kDequantizeOutputTensor = 0;

struct DequantizeData : OpData {
  DataType input_type = DataType::kInt8;
  int64_t size = 0;
  double scale = 0.0;  // the float32 input scale, widened
  int32_t zero_point = 0;
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareDequantize(const PrepareContext& ctx);
void EvalDequantizeReference(const OpData& data, const void* const* inputs,
                             void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_DEQUANTIZE_H_
