// MEAN, int8, over any set of axes (a constant int32 tensor; negative axes
// count from the end, duplicates are ignored), as TensorFlow Lite Micro
// computes it (micro/kernels/reduce_common.cc, EvalIntegerMean):
//
// - input and output quantization identical (same float32 scale, same zero
//   point): reference_ops::Mean on raw values, sum / n with C++ integer
//   division, i.e. truncated toward zero, no zero-point correction;
// - otherwise reference_ops::QuantizedMeanOrSum: the raw int32 sum S, and
//   k = min(floor(log2 n), 32, 31 + shift), M' = ((int64)M << k) / n,
//   out = clamp(MBQM(S - zp_in * n, M', shift - k) + zp_out), where
//   (M, shift) = QuantizeMultiplier((double)s_in / (double)s_out).
#ifndef TINYSERVE_ENGINE_KERNELS_MEAN_H_
#define TINYSERVE_ENGINE_KERNELS_MEAN_H_

#include <cstdint>

#include "engine/kernels/kernel.h"
#include "engine/quant/requantize.h"

namespace tinyserve {

inline constexpr int kMeanInputTensor = 0;
inline constexpr int kMeanAxisTensor = 1;  // constant int32, scalar or 1-D
inline constexpr int kMeanOutputTensor = 0;

struct MeanData : OpData {
  static constexpr int kRank = 6;
  // The input as two nested loops: outer over the kept dimensions (in order,
  // which is the output's element order), inner over the reduced ones. Unused
  // slots have dimension 1. Strides are in input elements.
  int64_t outer_dims[kRank] = {};
  int64_t outer_strides[kRank] = {};
  int64_t inner_dims[kRank] = {};
  int64_t inner_strides[kRank] = {};
  int64_t reduced_count = 1;  // n: input elements per output element
  bool same_quantization = false;  // TFLite Micro's truncating path
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  QuantizedMultiplier multiplier;  // M', shift' (already divided by n)
};

absl::StatusOr<std::unique_ptr<const OpData>> PrepareMean(const PrepareContext& ctx);
void EvalMeanReference(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_MEAN_H_
