#include "engine/kernels/mean.h"

#include <algorithm>
#include <bit>
#include <vector>

#include "absl/strings/str_join.h"
#include "engine/quant/fixed_point.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareMean(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
  TS_RETURN_IF_ERROR(ctx.CheckInputType(kMeanInputTensor, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(kMeanInputTensor, false));
  TS_RETURN_IF_ERROR(ctx.CheckOutputType(kMeanOutputTensor, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(kMeanOutputTensor, true));
  TS_RETURN_IF_ERROR(ctx.CheckInputType(kMeanAxisTensor, DataType::kInt32));
  TS_RETURN_IF_ERROR(ctx.CheckConstantInput(kMeanAxisTensor));
  const TensorInfo& in = *ctx.input(kMeanInputTensor);
  const TensorInfo& axis = *ctx.input(kMeanAxisTensor);
  const TensorInfo& out = ctx.output(kMeanOutputTensor);
  const int rank = in.rank();
  if (rank > MeanData::kRank) {
    return ctx.InvalidInput(kMeanInputTensor,
                            absl::StrCat("rank ", rank, " exceeds ", MeanData::kRank));
  }
  if (axis.rank() > 1) return ctx.InvalidInput(kMeanAxisTensor, "axis must be a scalar or 1-D");

  // Resolve the axes as TFLite's ResolveAxis: negative += rank, duplicates dropped.
  std::vector<bool> reduced(rank, false);
  for (int64_t i = 0; i < axis.num_elements(); ++i) {
    const int32_t a = axis.constant_data<int32_t>()[i];
    if (a < -rank || a >= rank) {
      return ctx.InvalidInput(kMeanAxisTensor, absl::StrCat("axis ", a, " is out of range for rank ",
                                                             rank));
    }
    reduced[a < 0 ? a + rank : a] = true;
  }

  // The output shape TFLite would give it.
  const bool keep_dims = ctx.options<ReducerOptions>().keep_dims;
  std::vector<int32_t> expected;
  for (int d = 0; d < rank; ++d) {
    if (!reduced[d]) {
      expected.push_back(in.shape[d]);
    } else if (keep_dims) {
      expected.push_back(1);
    }
  }
  if (out.shape != expected) {
    return ctx.InvalidOutput(kMeanOutputTensor,
                             absl::StrCat("shape must be [", absl::StrJoin(expected, ","),
                                          "] (keep_dims ", keep_dims ? "true" : "false", ")"));
  }

  auto data = std::make_unique<MeanData>();
  int64_t stride = 1;
  int outer = MeanData::kRank, inner = MeanData::kRank;  // filled from the back
  for (int k = 0; k < MeanData::kRank; ++k) {
    data->outer_dims[k] = data->inner_dims[k] = 1;
  }
  for (int d = rank - 1; d >= 0; --d) {
    if (reduced[d]) {
      --inner;
      data->inner_dims[inner] = in.shape[d];
      data->inner_strides[inner] = stride;
      data->reduced_count *= in.shape[d];
    } else {
      --outer;
      data->outer_dims[outer] = in.shape[d];
      data->outer_strides[outer] = stride;
    }
    stride *= in.shape[d];
  }

  const Quantization& qi = in.quantization;
  const Quantization& qo = out.quantization;
  data->input_zero_point = qi.zero_point();
  data->output_zero_point = qo.zero_point();
  data->same_quantization = qi.scale() == qo.scale() && qi.zero_point() == qo.zero_point();
  // QuantizedMeanOrSum folds 1/n into the multiplier: k bits of extra
  // precision, capped at 32 and so that the final shift stays >= -31.
  const QuantizedMultiplier m = QuantizeMultiplier(static_cast<double>(qi.scale()) /
                                                   static_cast<double>(qo.scale()));
  const int64_t n = data->reduced_count;
  const int log2_n = 63 - std::countl_zero(static_cast<uint64_t>(n));
  const int k = std::min({log2_n, 32, 31 + m.shift});
  data->multiplier.multiplier =
      static_cast<int32_t>((static_cast<int64_t>(m.multiplier) << k) / n);
  data->multiplier.shift = m.shift - k;
  if (!data->same_quantization && data->multiplier.shift > 31) {
    return ctx.InvalidOutput(kMeanOutputTensor,
                             absl::StrCat("input scale / output scale = ",
                                          qi.scale() / qo.scale(), " is too large"));
  }
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalMeanReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const MeanData&>(op_data);
  const auto* in = static_cast<const int8_t*>(inputs[kMeanInputTensor]);
  auto* out = static_cast<int8_t*>(outputs[kMeanOutputTensor]);
  const int64_t n = d.reduced_count;
  // The int32 sum of raw values; wraps like TFLite's
  // AddTensorValuesWithExpectedOverflow (only past 2^24 elements).
  auto sum_at = [&](const int8_t* base) {
    uint32_t sum = 0;
    const int64_t* id = d.inner_dims;
    const int64_t* is = d.inner_strides;
    for (int64_t j0 = 0; j0 < id[0]; ++j0)
      for (int64_t j1 = 0; j1 < id[1]; ++j1)
        for (int64_t j2 = 0; j2 < id[2]; ++j2)
          for (int64_t j3 = 0; j3 < id[3]; ++j3)
            for (int64_t j4 = 0; j4 < id[4]; ++j4) {
              const int8_t* p = base + j0 * is[0] + j1 * is[1] + j2 * is[2] + j3 * is[3] +
                                j4 * is[4];
              for (int64_t j5 = 0; j5 < id[5]; ++j5) {
                sum += static_cast<uint32_t>(static_cast<int32_t>(p[j5 * is[5]]));
              }
            }
    return static_cast<int32_t>(sum);
  };
  auto finish = [&](int32_t sum) -> int8_t {
    if (d.same_quantization) {
      // reference_ops::Mean<int8_t, int32_t>: truncating division of the raw sum.
      return static_cast<int8_t>(sum / static_cast<int32_t>(n));
    }
    // (int32)(S - zp_in * n), the product and difference taken in int64.
    const int32_t shifted = static_cast<int32_t>(static_cast<int64_t>(sum) -
                                                 static_cast<int64_t>(d.input_zero_point) * n);
    const int32_t v = fixed_point::WrappingAdd(MultiplyByQuantizedMultiplier(shifted, d.multiplier),
                                               d.output_zero_point);
    return static_cast<int8_t>(std::clamp<int32_t>(v, -128, 127));
  };
  const int64_t* od = d.outer_dims;
  const int64_t* os = d.outer_strides;
  for (int64_t i0 = 0; i0 < od[0]; ++i0)
    for (int64_t i1 = 0; i1 < od[1]; ++i1)
      for (int64_t i2 = 0; i2 < od[2]; ++i2)
        for (int64_t i3 = 0; i3 < od[3]; ++i3)
          for (int64_t i4 = 0; i4 < od[4]; ++i4)
            for (int64_t i5 = 0; i5 < od[5]; ++i5) {
              const int8_t* base = in + i0 * os[0] + i1 * os[1] + i2 * os[2] + i3 * os[3] +
                                   i4 * os[4] + i5 * os[5];
              *out++ = finish(sum_at(base));
            }
}

}  // namespace tinyserve
