#include "engine/kernels/fully_connected.h"

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareFullyConnected(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
  const auto& options = ctx.options<FullyConnectedOptions>();
  if (options.shuffled_weights) {
    return ctx.Unimplemented("the SHUFFLED4x16INT8 weights format is not supported");
  }
  TS_RETURN_IF_ERROR(ctx.CheckInputRank(kFullyConnectedWeightsTensor, 2));
  const TensorInfo& input = *ctx.input(kFullyConnectedInputTensor);
  const TensorInfo& weights = *ctx.input(kFullyConnectedWeightsTensor);
  const TensorInfo& output = ctx.output(0);
  auto data = std::make_unique<FullyConnectedData>();
  data->units = weights.shape[0];
  data->depth = weights.shape[1];
  if (output.rank() < 1 || output.shape.back() != data->units) {
    return ctx.InvalidOutput(0, absl::StrCat("last dimension must be the ", data->units, " units"));
  }
  data->batches = static_cast<int>(output.num_elements() / data->units);
  if (input.num_elements() != static_cast<int64_t>(data->batches) * data->depth) {
    return ctx.InvalidInput(kFullyConnectedInputTensor,
                            absl::StrCat("has ", input.num_elements(), " elements, expected ",
                                         data->batches, " batches x ", data->depth, " depth"));
  }
  if (options.keep_num_dims && input.shape.back() != data->depth) {
    return ctx.InvalidInput(kFullyConnectedInputTensor,
                            absl::StrCat("keep_num_dims needs the last dimension to be the depth ",
                                         data->depth));
  }
  // Per-tensor FC derives its multiplier from a float32 product (TFLite's
  // GetQuantizedConvolutionMultipler); per-channel uses doubles throughout.
  const bool per_tensor = !weights.quantization.per_channel();
  TS_ASSIGN_OR_RETURN(data->quant, PrepareConvQuantization(ctx, data->units, /*channel_dim=*/0,
                                                           options.activation,
                                                           /*float_product=*/per_tensor));
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalFullyConnectedReference(const OpData& op_data, const void* const* inputs,
                                 void* const* outputs) {
  const auto& data = static_cast<const FullyConnectedData&>(op_data);
  const auto* input = static_cast<const int8_t*>(inputs[kFullyConnectedInputTensor]);
  const auto* weights = static_cast<const int8_t*>(inputs[kFullyConnectedWeightsTensor]);
  const auto* bias = static_cast<const int32_t*>(inputs[kFullyConnectedBiasTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  const int32_t input_offset = -data.quant.input_zero_point;

  for (int b = 0; b < data.batches; ++b) {
    const int8_t* x = input + static_cast<int64_t>(b) * data.depth;
    for (int u = 0; u < data.units; ++u) {
      const int8_t* w = weights + static_cast<int64_t>(u) * data.depth;
      int64_t acc = 0;
      for (int d = 0; d < data.depth; ++d) acc += static_cast<int32_t>(w[d]) * (x[d] + input_offset);
      if (bias != nullptr) acc += bias[u];
      int32_t v = MultiplyByQuantizedMultiplier(static_cast<int32_t>(acc), data.quant.multipliers[u]);
      v += data.quant.output_zero_point;
      *output++ = static_cast<int8_t>(Clamp(v, data.quant.activation));
    }
  }
}

}  // namespace tinyserve
