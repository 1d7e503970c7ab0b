#include "engine/kernels/relu.h"

#include "engine/quant/fixed_point.h"
#include "engine/util/status_macros.h"

namespace tinyserve {
namespace {

absl::StatusOr<std::unique_ptr<ReluData>> PrepareCommon(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  TS_RETURN_IF_ERROR(ctx.CheckInputType(kReluInputTensor, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(kReluInputTensor, false));
  TS_RETURN_IF_ERROR(ctx.CheckOutputType(kReluOutputTensor, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(kReluOutputTensor, true));
  TS_RETURN_IF_ERROR(ctx.CheckSameShape(kReluInputTensor, kReluOutputTensor));
  auto data = std::make_unique<ReluData>();
  data->size = ctx.input(kReluInputTensor)->num_elements();
  data->input_zero_point = ctx.input(kReluInputTensor)->quantization.zero_point();
  data->output_zero_point = ctx.output(kReluOutputTensor).quantization.zero_point();
  return data;
}

}  // namespace

absl::StatusOr<std::unique_ptr<const OpData>> PrepareRelu(const PrepareContext& ctx) {
  TS_ASSIGN_OR_RETURN(auto data, PrepareCommon(ctx));
  const Quantization& qi = ctx.input(kReluInputTensor)->quantization;
  const Quantization& qo = ctx.output(kReluOutputTensor).quantization;
  data->multiplier = QuantizeMultiplier(static_cast<double>(qi.scale()) /
                                        static_cast<double>(qo.scale()));
  if (data->multiplier.shift > 31) {
    return ctx.InvalidOutput(kReluOutputTensor,
                             absl::StrCat("input scale / output scale = ", qi.scale() / qo.scale(),
                                          " is too large"));
  }
  // [max(-128, zp_out + round(0 / s_out)), 127], as CalculateReluOpData.
  data->range = QuantizedActivationRange(Activation::kRelu, qo.scale(), qo.zero_point(),
                                         DataType::kInt8);
  return std::unique_ptr<const OpData>(std::move(data));
}

absl::StatusOr<std::unique_ptr<const OpData>> PrepareRelu6(const PrepareContext& ctx) {
  TS_ASSIGN_OR_RETURN(auto data, PrepareCommon(ctx));
  const Quantization& qi = ctx.input(kReluInputTensor)->quantization;
  // Relu6Prepare: zero = zp_in, six = FloatToQuantizedType<int8_t>(6, s_in, zp_in)
  // = clamp(round(6.0f / s_in) + zp_in, -128, 127). The activation-range helper
  // computes the same bounds (float32 division, half away from zero, saturated).
  data->range = QuantizedActivationRange(Activation::kRelu6, qi.scale(), qi.zero_point(),
                                         DataType::kInt8);
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalReluReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const ReluData&>(op_data);
  const auto* in = static_cast<const int8_t*>(inputs[kReluInputTensor]);
  auto* out = static_cast<int8_t*>(outputs[kReluOutputTensor]);
  for (int64_t i = 0; i < d.size; ++i) {
    const int32_t v = fixed_point::WrappingAdd(
        d.output_zero_point, MultiplyByQuantizedMultiplier(in[i] - d.input_zero_point,
                                                           d.multiplier));
    out[i] = static_cast<int8_t>(Clamp(v, d.range));
  }
}

void EvalRelu6Reference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const ReluData&>(op_data);
  const auto* in = static_cast<const int8_t*>(inputs[kReluInputTensor]);
  auto* out = static_cast<int8_t*>(outputs[kReluOutputTensor]);
  for (int64_t i = 0; i < d.size; ++i) out[i] = static_cast<int8_t>(Clamp(in[i], d.range));
}

}  // namespace tinyserve
