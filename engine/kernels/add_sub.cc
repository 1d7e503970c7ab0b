#include "engine/kernels/add_sub.h"

#include <algorithm>

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareAddSub(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
  for (int i = 0; i < 2; ++i) {
    TS_RETURN_IF_ERROR(ctx.CheckInputType(i, DataType::kInt8));
    TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(i, false));
  }
  TS_RETURN_IF_ERROR(ctx.CheckOutputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, true));
  auto data = std::make_unique<AddSubData>();
  TS_ASSIGN_OR_RETURN(data->broadcast, PrepareBroadcast(ctx));

  const Quantization& q1 = ctx.input(0)->quantization;
  const Quantization& q2 = ctx.input(1)->quantization;
  const Quantization& qo = ctx.output(0).quantization;
  data->input1_offset = -q1.zero_point();
  data->input2_offset = -q2.zero_point();
  data->output_zero_point = qo.zero_point();
  // max() on the float32 scales, then widen: as TFLite.
  const double twice_max_input_scale = 2.0 * static_cast<double>(std::max(q1.scale(), q2.scale()));
  const double m1 = q1.scale() / twice_max_input_scale;
  const double m2 = q2.scale() / twice_max_input_scale;
  const double mo =
      twice_max_input_scale / (static_cast<double>(1 << data->left_shift) * qo.scale());
  if (!(mo < 1.0)) {
    return ctx.InvalidOutput(0, absl::StrCat("output scale ", qo.scale(),
                                             " is too small for the input scales (output "
                                             "multiplier ", mo, " must be below 1)"));
  }
  data->input1_multiplier = QuantizeMultiplier(m1);
  data->input2_multiplier = QuantizeMultiplier(m2);
  data->output_multiplier = QuantizeMultiplier(mo);
  const auto& options = ctx.options<ElementwiseOptions>();
  data->activation = QuantizedActivationRange(options.activation, qo.scale(), qo.zero_point(),
                                              DataType::kInt8);
  return std::unique_ptr<const OpData>(std::move(data));
}

namespace {

template <int kSign>
void EvalAddSub(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const AddSubData&>(op_data);
  const auto* in1 = static_cast<const int8_t*>(inputs[0]);
  const auto* in2 = static_cast<const int8_t*>(inputs[1]);
  auto* out = static_cast<int8_t*>(outputs[0]);
  ForEachBroadcast(d.broadcast, [&](int64_t o, int64_t i1, int64_t i2) {
    const int32_t a = ScaleAddSubInput(in1[i1], d.input1_offset, d.left_shift, d.input1_multiplier);
    const int32_t b = ScaleAddSubInput(in2[i2], d.input2_offset, d.left_shift, d.input2_multiplier);
    const int32_t raw = kSign > 0 ? a + b : a - b;
    const int32_t v = MultiplyByQuantizedMultiplier(raw, d.output_multiplier) + d.output_zero_point;
    out[o] = static_cast<int8_t>(Clamp(v, d.activation));
  });
}

}  // namespace

void EvalAddReference(const OpData& data, const void* const* inputs, void* const* outputs) {
  EvalAddSub<+1>(data, inputs, outputs);
}

void EvalSubReference(const OpData& data, const void* const* inputs, void* const* outputs) {
  EvalAddSub<-1>(data, inputs, outputs);
}

}  // namespace tinyserve
