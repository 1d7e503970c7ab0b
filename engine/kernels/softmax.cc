#include "engine/kernels/softmax.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "engine/quant/fixed_point.h"
#include "engine/quant/requantize.h"
#include "engine/util/status_macros.h"

namespace tinyserve {
namespace {

// Scaled differences are Q5.26; the sum of exponentials is Q12.19.
constexpr int kScaledDiffIntegerBits = 5;
constexpr int kAccumulationIntegerBits = 12;

}  // namespace

absl::StatusOr<std::unique_ptr<const OpData>> PrepareSoftmax(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  TS_RETURN_IF_ERROR(ctx.CheckInputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, false));
  const TensorInfo& in = *ctx.input(0);
  const TensorInfo& out = ctx.output(0);
  auto data = std::make_unique<SoftmaxData>();
  if (out.type == DataType::kInt16) {
    data->int16_output = true;
  } else if (out.type != DataType::kInt8) {
    return ctx.Unimplemented("output must be int8 or int16");
  }
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, true));
  TS_RETURN_IF_ERROR(ctx.CheckSameShape(0, 0));
  if (in.rank() < 1) return ctx.InvalidInput(0, "softmax needs at least one dimension");
  // The output format is fixed: [0, 1) in 1/256 (int8) or 1/65536 (int16) steps.
  const float expected_scale = data->int16_output ? 1.0f / 65536 : 1.0f / 256;
  const int32_t expected_zp = data->int16_output ? -32768 : -128;
  if (out.quantization.zero_point() != expected_zp ||
      std::abs(out.quantization.scale() - expected_scale) > 0.001f * expected_scale) {
    return ctx.InvalidOutput(0, absl::StrCat("softmax output must have scale ", expected_scale,
                                             " and zero point ", expected_zp));
  }
  // Each exponential is at most 1.0, so the Q12.19 sum of a row holds up to
  // 4095 of them; a deeper row would wrap (TFLite Micro overflows there too).
  if (in.shape.back() >= (1 << kAccumulationIntegerBits)) {
    return ctx.Unimplemented(absl::StrCat("softmax over ", in.shape.back(),
                                          " values per row: the fixed-point sum of "
                                          "exponentials holds at most ",
                                          (1 << kAccumulationIntegerBits) - 1));
  }
  data->depth = in.shape.back();
  data->rows = in.num_elements() / data->depth;

  const double beta = ctx.options<SoftmaxOptions>().beta;
  if (!(beta > 0.0) || !std::isfinite(beta)) {
    return ctx.Invalid(absl::StrCat("beta must be positive and finite, got ", beta));
  }
  // beta * s_in in Q5.26 units, capped to the int32 range, as a multiplier > 1.
  const double real = std::min(beta * in.quantization.scale() *
                                   static_cast<double>(int64_t{1} << (31 - kScaledDiffIntegerBits)),
                               static_cast<double>((int64_t{1} << 31) - 1));
  const QuantizedMultiplier m = QuantizeMultiplier(real);
  if (m.shift < 0 || m.multiplier == 0) {
    return ctx.InvalidInput(0, "input scale * beta is too small for integer softmax");
  }
  data->input_multiplier = m.multiplier;
  data->input_left_shift = m.shift;
  // Largest difference whose rescaled value still fits in Q5.26.
  const double max_input_rescaled =
      1.0 * ((1 << kScaledDiffIntegerBits) - 1) *
      static_cast<double>(int64_t{1} << (31 - kScaledDiffIntegerBits)) /
      static_cast<double>(int64_t{1} << m.shift);
  data->diff_min = -static_cast<int32_t>(std::floor(max_input_rescaled));
  return std::unique_ptr<const OpData>(std::move(data));
}

namespace {

template <typename Out>
void SoftmaxRows(const SoftmaxData& d, const int8_t* input, Out* output) {
  using namespace fixed_point;
  using ScaledDiff = Q<kScaledDiffIntegerBits>;
  constexpr int kOutBits = sizeof(Out) * 8;
  constexpr int32_t kOutMin = std::numeric_limits<Out>::min();
  constexpr int32_t kOutMax = std::numeric_limits<Out>::max();
  auto exp_of_diff = [&](int32_t diff) {
    // SRDHM(diff << left_shift, multiplier): the "greater than one" multiply.
    const int32_t rescaled = SaturatingRoundingDoublingHighMul(
        ShiftLeftWrapping(diff, d.input_left_shift), d.input_multiplier);
    return ExpOnNegativeValues(ScaledDiff::FromRaw(rescaled));
  };
  for (int64_t r = 0; r < d.rows; ++r) {
    const int8_t* x = input + r * d.depth;
    Out* y = output + r * d.depth;
    int32_t max_in_row = -128;
    for (int c = 0; c < d.depth; ++c) max_in_row = std::max<int32_t>(max_in_row, x[c]);

    Q<kAccumulationIntegerBits> sum{};
    for (int c = 0; c < d.depth; ++c) {
      const int32_t diff = x[c] - max_in_row;
      if (diff >= d.diff_min) sum = sum + Rescale<kAccumulationIntegerBits>(exp_of_diff(diff));
    }
    // 1 / sum: normalize sum to [1, 2), take 1 / (1 + x), remember the shift.
    const int headroom_plus_one = std::countl_zero(static_cast<uint32_t>(sum.raw));
    const int num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one = static_cast<int32_t>(
        (static_cast<uint32_t>(sum.raw) << headroom_plus_one) - (uint32_t{1} << 31));
    const Q<0> shifted_scale = OneOverOnePlusX(Q<0>::FromRaw(shifted_sum_minus_one));

    for (int c = 0; c < d.depth; ++c) {
      const int32_t diff = x[c] - max_in_row;
      if (diff < d.diff_min) {
        y[c] = static_cast<Out>(kOutMin);
        continue;
      }
      // With int8 output and a sum of 2^9 or more the exponent exceeds 31
      // (TFLite Micro shifts an int32 by 32..34 there, which is undefined); the
      // non-negative int32 dividend over 2^32 or more rounds to exactly 0.
      const int exponent = num_bits_over_unit + 31 - kOutBits;
      const int32_t unsat =
          exponent > 31 ? 0
                        : RoundingDivideByPOT((shifted_scale * exp_of_diff(diff)).raw, exponent);
      y[c] = static_cast<Out>(std::clamp(unsat + kOutMin, kOutMin, kOutMax));
    }
  }
}

}  // namespace

void EvalSoftmaxReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const SoftmaxData&>(op_data);
  const auto* in = static_cast<const int8_t*>(inputs[0]);
  if (d.int16_output) {
    SoftmaxRows(d, in, static_cast<int16_t*>(outputs[0]));
  } else {
    SoftmaxRows(d, in, static_cast<int8_t*>(outputs[0]));
  }
}

}  // namespace tinyserve
