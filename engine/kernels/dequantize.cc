#include "engine/kernels/dequantize.h"

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareDequantize(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorInfo& in = *ctx.input(kDequantizeInputTensor);
  if (in.type != DataType::kInt8 && in.type != DataType::kUInt8 &&
      in.type != DataType::kInt16) {
    return ctx.UnsupportedInputType(kDequantizeInputTensor);
  }
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(kDequantizeInputTensor, false));
  TS_RETURN_IF_ERROR(ctx.CheckOutputType(kDequantizeOutputTensor, DataType::kFloat32));
  TS_RETURN_IF_ERROR(ctx.CheckSameShape(kDequantizeInputTensor, kDequantizeOutputTensor));
  auto data = std::make_unique<DequantizeData>();
  data->input_type = in.type;
  data->size = in.num_elements();
  data->scale = static_cast<double>(in.quantization.scale());
  data->zero_point = in.quantization.zero_point();
  return std::unique_ptr<const OpData>(std::move(data));
}

namespace {

template <typename In>
void Dequantize(const DequantizeData& d, const void* input, float* out) {
  const auto* in = static_cast<const In*>(input);
  for (int64_t i = 0; i < d.size; ++i) {
    // The product is in double, then rounded once to float32 (TFLite's
    // reference Dequantize).
    out[i] = static_cast<float>(d.scale * (static_cast<int32_t>(in[i]) - d.zero_point));
  }
}

}  // namespace

void EvalDequantizeReference(const OpData& op_data, const void* const* inputs,
                             void* const* outputs) {
  const auto& d = static_cast<const DequantizeData&>(op_data);
  auto* out = static_cast<float*>(outputs[kDequantizeOutputTensor]);
  switch (d.input_type) {
    case DataType::kUInt8: Dequantize<uint8_t>(d, inputs[kDequantizeInputTensor], out); break;
    case DataType::kInt16: Dequantize<int16_t>(d, inputs[kDequantizeInputTensor], out); break;
    default: Dequantize<int8_t>(d, inputs[kDequantizeInputTensor], out); break;
  }
}

}  // namespace tinyserve
