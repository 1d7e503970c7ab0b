// Quantizing real values into a tensor and back, with the error figures a
// server reports per request: input SQNR, clipped elements, outputs at the rails.
#ifndef TINYSERVE_ENGINE_QUANT_TENSOR_QUANTIZATION_H_
#define TINYSERVE_ENGINE_QUANT_TENSOR_QUANTIZATION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/graph.h"

namespace tinyserve {

struct InputQuantizationReport {
  // 10*log10(sum x^2 / sum (x - dequantized)^2); +infinity when every value is
  // represented exactly (and when all values are zero).
  double sqnr_db = 0.0;
  int64_t clipped = 0;  // values outside the dtype's range, saturated
};

// Quantizes `values` into `out` as TFLite's QUANTIZE does: round(x / scale) + zp
// in float32, half away from zero, saturated to the dtype (NaN -> zero point).
// The tensor must be per-tensor quantized int8, uint8 or int16, and `values`
// and `out` must have its element count and byte size (INVALID_ARGUMENT).
absl::StatusOr<InputQuantizationReport> QuantizeInput(const TensorInfo& tensor,
                                                      absl::Span<const float> values,
                                                      absl::Span<uint8_t> out);

// Real values of a quantized (or float32) tensor's bytes: scale * (q - zp).
std::vector<float> Dequantize(const TensorInfo& tensor, absl::Span<const uint8_t> bytes);

// Elements equal to the dtype's minimum or maximum (int8: -128 or 127).
int64_t CountAtRails(const TensorInfo& tensor, absl::Span<const uint8_t> bytes);

// The integer value of element i (int8/uint8/int16/int32).
int32_t QuantizedValue(const TensorInfo& tensor, absl::Span<const uint8_t> bytes, int64_t i);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_QUANT_TENSOR_QUANTIZATION_H_
