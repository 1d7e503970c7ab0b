#include "engine/kernels/tanh.h"

#include <algorithm>
#include <cmath>

#include "engine/quant/fixed_point.h"
#include "engine/quant/requantize.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareTanh(const PrepareContext& ctx) {
  auto data = std::make_unique<TanhData>();
  TS_ASSIGN_OR_RETURN(data->input, PrepareSigmoidInputScaling(ctx));
  // The kernel writes RDBPOT(y, 24) with no offset: only scale 1/128, zero
  // point 0 means what it says. (TFLite Micro checks neither.)
  const Quantization& qo = ctx.output(kTanhOutputTensor).quantization;
  constexpr float kScale = 1.0f / 128;
  if (qo.zero_point() != 0 || std::abs(qo.scale() - kScale) > 0.001f * kScale) {
    return ctx.InvalidOutput(kTanhOutputTensor,
                             absl::StrCat("TANH output must have scale 1/128 and zero point 0, "
                                          "got scale ", qo.scale(), " and zero point ",
                                          qo.zero_point()));
  }
  data->size = ctx.output(kTanhOutputTensor).num_elements();
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalTanhReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const TanhData&>(op_data);
  MapSigmoidInputs(d.input, d.size, static_cast<const int8_t*>(inputs[kTanhInputTensor]),
                   static_cast<int8_t*>(outputs[kTanhOutputTensor]), [](int32_t x_q4) {
                     const int32_t y_q0 = fixed_point::Tanh(fixed_point::Q<4>::FromRaw(x_q4)).raw;
                     // Q0.31 -> 1/128 steps.
                     const int32_t v = RoundingDivideByPOT(y_q0, 31 - 7);
                     return static_cast<int8_t>(std::clamp<int32_t>(v, -128, 127));
                   });
}

}  // namespace tinyserve
