#include "engine/kernels/concatenation.h"

#include <cstring>

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareConcatenation(const PrepareContext& ctx) {
  if (ctx.num_inputs() < 1) return ctx.Invalid("needs at least one input");
  TS_RETURN_IF_ERROR(ctx.CheckArity(ctx.num_inputs(), ctx.num_inputs(), 1));
  const auto& options = ctx.options<ConcatenationOptions>();
  if (options.activation != Activation::kNone) {
    // TFLite Micro refuses fused activations on CONCATENATION too.
    return ctx.Unimplemented("a fused activation on CONCATENATION is not supported");
  }
  const TensorInfo& out = ctx.output(kConcatenationOutputTensor);
  const int rank = out.rank();
  if (rank < 1) return ctx.InvalidOutput(kConcatenationOutputTensor, "must have rank >= 1");
  const int axis = options.axis < 0 ? options.axis + rank : options.axis;
  if (axis < 0 || axis >= rank) {
    return ctx.Invalid(absl::StrCat("axis ", options.axis, " is out of range for rank ", rank));
  }

  auto data = std::make_unique<ConcatenationData>();
  data->axis = axis;
  for (int d = 0; d < axis; ++d) data->outer *= out.shape[d];
  const size_t element_size = DataTypeSize(out.type);
  int64_t axis_sum = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const TensorInfo& in = *ctx.input(i);
    if (in.type != out.type) {
      return ctx.InvalidInput(i, absl::StrCat("type differs from the output's ",
                                              DataTypeName(out.type)));
    }
    if (in.rank() != rank) {
      return ctx.InvalidInput(i, absl::StrCat("rank differs from the output's ", rank));
    }
    for (int d = 0; d < rank; ++d) {
      if (d != axis && in.shape[d] != out.shape[d]) {
        return ctx.InvalidInput(i, absl::StrCat("dimension ", d, " is ", in.shape[d],
                                                ", the output's is ", out.shape[d],
                                                " (only axis ", axis, " may differ)"));
      }
    }
    // TFLite Micro: every input's scale and zero point equal the output's.
    if (in.quantization.scales != out.quantization.scales ||
        in.quantization.zero_points != out.quantization.zero_points) {
      return ctx.InvalidInput(i, "quantization differs from the output's (CONCATENATION "
                                 "does not requantize)");
    }
    axis_sum += in.shape[axis];
    int64_t slice = 1;
    for (int d = axis; d < rank; ++d) slice *= in.shape[d];
    data->slice_bytes.push_back(static_cast<size_t>(slice) * element_size);
  }
  if (axis_sum != out.shape[axis]) {
    return ctx.InvalidOutput(kConcatenationOutputTensor,
                             absl::StrCat("dimension ", axis, " is ", out.shape[axis],
                                          ", the inputs' sum to ", axis_sum));
  }
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalConcatenationReference(const OpData& op_data, const void* const* inputs,
                                void* const* outputs) {
  const auto& d = static_cast<const ConcatenationData&>(op_data);
  auto* out = static_cast<uint8_t*>(outputs[kConcatenationOutputTensor]);
  const size_t n = d.slice_bytes.size();
  for (int64_t o = 0; o < d.outer; ++o) {
    for (size_t i = 0; i < n; ++i) {
      const size_t bytes = d.slice_bytes[i];
      std::memcpy(out, static_cast<const uint8_t*>(inputs[i]) + o * static_cast<int64_t>(bytes),
                  bytes);
      out += bytes;
    }
  }
}

}  // namespace tinyserve
