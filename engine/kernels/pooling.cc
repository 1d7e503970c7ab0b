#include "engine/kernels/pooling.h"

#include <algorithm>
#include <cmath>

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PreparePool(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  TS_RETURN_IF_ERROR(ctx.CheckInputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckOutputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, false));
  TS_RETURN_IF_ERROR(ctx.CheckPerTensorQuantized(0, true));
  const auto& options = ctx.options<PoolOptions>();
  auto data = std::make_unique<PoolData>();
  TS_ASSIGN_OR_RETURN(data->geometry,
                      ComputeWindowGeometry(ctx, options.padding, options.filter_h,
                                            options.filter_w, options.stride_h, options.stride_w,
                                            1, 1));
  if (data->geometry.out_c != data->geometry.in_c) {
    return ctx.InvalidOutput(0, "channel count differs from the input's");
  }
  const Quantization& in_q = ctx.input(0)->quantization;
  const Quantization& out_q = ctx.output(0).quantization;
  // TFLite Micro's tolerance: pooling does not requantize.
  if (std::abs(in_q.scale() - out_q.scale()) > 1e-6f || in_q.zero_point() != out_q.zero_point()) {
    return ctx.InvalidOutput(0, "input and output quantization must be equal for pooling");
  }
  data->activation = QuantizedActivationRange(options.activation, out_q.scale(),
                                              out_q.zero_point(), DataType::kInt8);
  return std::unique_ptr<const OpData>(std::move(data));
}

namespace {

// Calls reduce(acc, value) over the in-image taps of each output position, then
// store(count, acc) -> output value.
template <typename Init, typename Reduce, typename Finish>
void Pool(const PoolData& data, const int8_t* input, int8_t* output, Init init, Reduce reduce,
          Finish finish) {
  const WindowGeometry& g = data.geometry;
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int in_y0 = oy * g.stride_h - g.pad_top;
      const int y_begin = std::max(0, -in_y0);
      const int y_end = std::min(g.filter_h, g.in_h - in_y0);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int in_x0 = ox * g.stride_w - g.pad_left;
        const int x_begin = std::max(0, -in_x0);
        const int x_end = std::min(g.filter_w, g.in_w - in_x0);
        for (int c = 0; c < g.in_c; ++c) {
          // 64 bits: a window of more than 2^24 taps can overflow an int32 sum
          // (TFLite Micro's int32 accumulator is undefined there).
          int64_t acc = init;
          int count = 0;
          for (int fy = y_begin; fy < y_end; ++fy) {
            for (int fx = x_begin; fx < x_end; ++fx) {
              const int64_t at =
                  ((static_cast<int64_t>(b) * g.in_h + in_y0 + fy) * g.in_w + in_x0 + fx) * g.in_c + c;
              acc = reduce(acc, input[at]);
              ++count;
            }
          }
          *output++ = static_cast<int8_t>(Clamp(finish(acc, count), data.activation));
        }
      }
    }
  }
}

}  // namespace

void EvalAveragePoolReference(const OpData& op_data, const void* const* inputs,
                              void* const* outputs) {
  const auto& data = static_cast<const PoolData&>(op_data);
  // Sum of raw values (no zero point), divided by the in-image tap count with
  // rounding half away from zero.
  Pool(
      data, static_cast<const int8_t*>(inputs[0]), static_cast<int8_t*>(outputs[0]), 0,
      [](int64_t acc, int8_t v) { return acc + v; },
      [](int64_t acc, int count) -> int32_t {
        if (count == 0) return 0;
        return static_cast<int32_t>(acc > 0 ? (acc + count / 2) / count
                                            : (acc - count / 2) / count);
      });
}

void EvalMaxPoolReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& data = static_cast<const PoolData&>(op_data);
  Pool(
      data, static_cast<const int8_t*>(inputs[0]), static_cast<int8_t*>(outputs[0]), -128,
      [](int64_t acc, int8_t v) { return std::max<int64_t>(acc, v); },
      [](int64_t acc, int) { return static_cast<int32_t>(acc); });
}

}  // namespace tinyserve
