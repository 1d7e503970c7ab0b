#include "engine/kernels/mul.h"

#include "engine/quant/fixed_point.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareMul(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
  for (int i : {kMulInput1Tensor, kMulInput2Tensor}) {
    TS_RETURN_IF_ERROR(ctx.CheckInputType(i, DataType::kInt8));
    TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(i, false));
  }
  TS_RETURN_IF_ERROR(ctx.CheckOutputType(kMulOutputTensor, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(kMulOutputTensor, true));
  auto data = std::make_unique<MulData>();
  TS_ASSIGN_OR_RETURN(data->broadcast, PrepareBroadcast(ctx));

  const Quantization& q1 = ctx.input(kMulInput1Tensor)->quantization;
  const Quantization& q2 = ctx.input(kMulInput2Tensor)->quantization;
  const Quantization& qo = ctx.output(kMulOutputTensor).quantization;
  data->input1_offset = -q1.zero_point();
  data->input2_offset = -q2.zero_point();
  data->output_zero_point = qo.zero_point();
  // All in double from the float32 scales, as TFLite Micro's mul_common.cc.
  const double real_multiplier = static_cast<double>(q1.scale()) *
                                 static_cast<double>(q2.scale()) /
                                 static_cast<double>(qo.scale());
  data->output_multiplier = QuantizeMultiplier(real_multiplier);
  if (data->output_multiplier.shift > 31) {
    // (x1 - zp1) * (x2 - zp2) << shift would overflow for every nonzero product.
    return ctx.InvalidOutput(kMulOutputTensor,
                             absl::StrCat("output scale ", qo.scale(),
                                          " is too small for the input scales (multiplier ",
                                          real_multiplier, ")"));
  }
  data->activation = QuantizedActivationRange(ctx.options<ElementwiseOptions>().activation,
                                              qo.scale(), qo.zero_point(), DataType::kInt8);
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalMulReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const MulData&>(op_data);
  const auto* in1 = static_cast<const int8_t*>(inputs[kMulInput1Tensor]);
  const auto* in2 = static_cast<const int8_t*>(inputs[kMulInput2Tensor]);
  auto* out = static_cast<int8_t*>(outputs[kMulOutputTensor]);
  ForEachBroadcast(d.broadcast, [&](int64_t o, int64_t i1, int64_t i2) {
    const int32_t product = (in1[i1] + d.input1_offset) * (in2[i2] + d.input2_offset);
    // Wrapping add: only a hostile multiplier can get near the int32 limits.
    const int32_t v = fixed_point::WrappingAdd(
        d.output_zero_point, MultiplyByQuantizedMultiplier(product, d.output_multiplier));
    out[o] = static_cast<int8_t>(Clamp(v, d.activation));
  });
}

}  // namespace tinyserve
