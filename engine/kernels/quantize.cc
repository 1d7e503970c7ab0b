#include "engine/kernels/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/quant/fixed_point.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

int32_t AffineQuantizeValue(float x, float scale, int32_t zero_point, int32_t qmin,
                            int32_t qmax) {
  const float rounded = std::round(x / scale);  // float32 division and rounding
  if (std::isnan(rounded)) return std::clamp(zero_point, qmin, qmax);
  constexpr float kLimit = 16777216.0f;  // 2^24, exact in float32
  const int64_t q = static_cast<int64_t>(std::clamp(rounded, -kLimit, kLimit)) + zero_point;
  return static_cast<int32_t>(std::clamp<int64_t>(q, qmin, qmax));
}

namespace {

template <typename Out>
void QuantizeFromFloat(const QuantizeData& d, const void* input, void* output) {
  const auto* in = static_cast<const float*>(input);
  auto* out = static_cast<Out*>(output);
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int64_t i = 0; i < d.size; ++i) {
    out[i] = static_cast<Out>(
        AffineQuantizeValue(in[i], d.output_scale, d.output_zero_point, kMin, kMax));
  }
}

// TFLite's reference Requantize. Its int8 <-> uint8 fast path (x ^ 0x80 when
// the scales are equal and the zero points differ by 128) gives the same bits
// as this general formula, so it is not special-cased. The subtraction and
// addition wrap like the two's complement int32 arithmetic TFLite relies on
// (they can only overflow for int32 tensors with extreme zero points).
template <typename In, typename Out>
void Requantize(const QuantizeData& d, const void* input, void* output) {
  const auto* in = static_cast<const In*>(input);
  auto* out = static_cast<Out*>(output);
  constexpr int32_t kMin = std::numeric_limits<Out>::min();
  constexpr int32_t kMax = std::numeric_limits<Out>::max();
  for (int64_t i = 0; i < d.size; ++i) {
    const int32_t x = fixed_point::WrappingSub(static_cast<int32_t>(in[i]), d.input_zero_point);
    const int32_t v = fixed_point::WrappingAdd(MultiplyByQuantizedMultiplier(x, d.multiplier),
                                               d.output_zero_point);
    out[i] = static_cast<Out>(std::clamp(v, kMin, kMax));
  }
}

QuantizeData::RunFn SelectRequantize(DataType in, DataType out) {
  using D = DataType;
  // Exactly TFLite Micro's list (micro/kernels/quantize_common.cc).
  if (in == D::kInt16 && out == D::kInt8) return Requantize<int16_t, int8_t>;
  if (in == D::kInt8 && out == D::kInt8) return Requantize<int8_t, int8_t>;
  if (in == D::kInt8 && out == D::kUInt8) return Requantize<int8_t, uint8_t>;
  if (in == D::kUInt8 && out == D::kInt8) return Requantize<uint8_t, int8_t>;
  if (in == D::kInt8 && out == D::kInt16) return Requantize<int8_t, int16_t>;
  if (in == D::kInt8 && out == D::kInt32) return Requantize<int8_t, int32_t>;
  if (in == D::kInt16 && out == D::kInt16) return Requantize<int16_t, int16_t>;
  if (in == D::kInt16 && out == D::kInt32) return Requantize<int16_t, int32_t>;
  if (in == D::kInt32 && out == D::kInt8) return Requantize<int32_t, int8_t>;
  if (in == D::kInt32 && out == D::kInt16) return Requantize<int32_t, int16_t>;
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<const OpData>> PrepareQuantize(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorInfo& in = *ctx.input(kQuantizeInputTensor);
  const TensorInfo& out = ctx.output(kQuantizeOutputTensor);
  TS_RETURN_IF_ERROR(ctx.CheckSameShape(kQuantizeInputTensor, kQuantizeOutputTensor));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(kQuantizeOutputTensor, true));
  auto data = std::make_unique<QuantizeData>();
  data->size = out.num_elements();
  data->output_scale = out.quantization.scale();
  data->output_zero_point = out.quantization.zero_point();

  if (in.type == DataType::kFloat32) {
    switch (out.type) {
      case DataType::kInt8: data->run = QuantizeFromFloat<int8_t>; break;
      case DataType::kInt16: data->run = QuantizeFromFloat<int16_t>; break;
      // Not in TFLite Micro (float32 -> uint8 is TFLite only); same formula.
      case DataType::kUInt8: data->run = QuantizeFromFloat<uint8_t>; break;
      default:
        return ctx.Unimplemented(absl::StrCat("float32 -> ", DataTypeName(out.type),
                                              " is not supported (int8, int16 or uint8 only)"));
    }
    return std::unique_ptr<const OpData>(std::move(data));
  }

  data->run = SelectRequantize(in.type, out.type);
  if (data->run == nullptr) {
    return ctx.Unimplemented(absl::StrCat(
        "requantizing ", DataTypeName(in.type), " -> ", DataTypeName(out.type),
        " is not supported (TFLite Micro's pairs: int16->int8, int8->int8, int8<->uint8, "
        "int8->int16, int8->int32, int16->int16, int16->int32, int32->int8, int32->int16)"));
  }
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(kQuantizeInputTensor, false));
  data->input_zero_point = in.quantization.zero_point();
  data->multiplier = QuantizeMultiplier(static_cast<double>(in.quantization.scale()) /
                                        static_cast<double>(out.quantization.scale()));
  if (data->multiplier.shift > 31) {
    return ctx.InvalidOutput(kQuantizeOutputTensor,
                             absl::StrCat("input scale / output scale = ",
                                          in.quantization.scale() / out.quantization.scale(),
                                          " is too large to requantize"));
  }
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalQuantizeReference(const OpData& op_data, const void* const* inputs,
                           void* const* outputs) {
  const auto& d = static_cast<const QuantizeData&>(op_data);
  d.run(d, inputs[kQuantizeInputTensor], outputs[kQuantizeOutputTensor]);
}

}  // namespace tinyserve
