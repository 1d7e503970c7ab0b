#include "engine/kernels/logistic.h"

#include <algorithm>
#include <cmath>

#include "engine/quant/fixed_point.h"
#include "engine/quant/requantize.h"
#include "engine/util/status_macros.h"

namespace tinyserve {
namespace {

constexpr int kInputIntegerBits = 4;  // Q4.27

}  // namespace

absl::StatusOr<SigmoidInputScaling> PrepareSigmoidInputScaling(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  TS_RETURN_IF_ERROR(ctx.CheckInputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, false));
  TS_RETURN_IF_ERROR(ctx.CheckOutputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, true));
  TS_RETURN_IF_ERROR(ctx.CheckSameShape(0, 0));
  const Quantization& q = ctx.input(0)->quantization;
  SigmoidInputScaling s;
  s.zero_point = q.zero_point();
  const double real = static_cast<double>(q.scale()) *
                      static_cast<double>(int64_t{1} << (31 - kInputIntegerBits));
  const double mantissa = std::frexp(real, &s.left_shift);
  // A float32 scale has 24 significant bits, so mantissa * 2^31 is an integer
  // below 2^31 and the rounding is exact; TFLite Micro's round-then-cast never
  // reaches 2^31 (it has no renormalization for that case).
  const double fixed = std::round(mantissa * static_cast<double>(int64_t{1} << 31));
  if (s.left_shift < 0 || fixed >= static_cast<double>(int64_t{1} << 31)) {
    // TFLite Micro computes 1 << left_shift for the radius: undefined below 0.
    return ctx.Unimplemented(absl::StrCat("input scale ", q.scale(),
                                          " is too small for the fixed-point sigmoid"));
  }
  s.multiplier = static_cast<int32_t>(fixed);
  // CalculateInputRadius(4, left_shift, 31): floor(15 * 2^27 / 2^left_shift).
  const double radius = std::floor(std::ldexp(15.0 * static_cast<double>(int64_t{1} << 27),
                                              -s.left_shift));
  s.range_radius = static_cast<int32_t>(radius);
  return s;
}

absl::StatusOr<std::unique_ptr<const OpData>> PrepareLogistic(const PrepareContext& ctx) {
  auto data = std::make_unique<LogisticData>();
  TS_ASSIGN_OR_RETURN(data->input, PrepareSigmoidInputScaling(ctx));
  // The kernel writes RDBPOT(y, 23) - 128: only scale 1/256, zero point -128
  // means what it says. (TFLite Micro checks the zero point; TFLite the scale.)
  const Quantization& qo = ctx.output(kLogisticOutputTensor).quantization;
  constexpr float kScale = 1.0f / 256;
  if (qo.zero_point() != -128 || std::abs(qo.scale() - kScale) > 0.001f * kScale) {
    return ctx.InvalidOutput(kLogisticOutputTensor,
                             absl::StrCat("LOGISTIC output must have scale 1/256 and zero point "
                                          "-128, got scale ", qo.scale(), " and zero point ",
                                          qo.zero_point()));
  }
  data->size = ctx.output(kLogisticOutputTensor).num_elements();
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalLogisticReference(const OpData& op_data, const void* const* inputs,
                           void* const* outputs) {
  const auto& d = static_cast<const LogisticData&>(op_data);
  MapSigmoidInputs(d.input, d.size, static_cast<const int8_t*>(inputs[kLogisticInputTensor]),
                   static_cast<int8_t*>(outputs[kLogisticOutputTensor]), [](int32_t x_q4) {
                     const int32_t y_q0 =
                         fixed_point::Logistic(fixed_point::Q<kInputIntegerBits>::FromRaw(x_q4)).raw;
                     // Q0.31 -> 1/256 steps, then the fixed zero point -128.
                     const int32_t v = RoundingDivideByPOT(y_q0, 31 - 8) - 128;
                     return static_cast<int8_t>(std::clamp<int32_t>(v, -128, 127));
                   });
}

}  // namespace tinyserve
