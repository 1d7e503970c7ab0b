#include "engine/kernels/pad.h"

#include <cstring>

#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PreparePad(const PrepareContext& ctx) {
  TS_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
  const TensorInfo& in = *ctx.input(kPadInputTensor);
  const TensorInfo& paddings = *ctx.input(kPadPaddingsTensor);
  const TensorInfo& out = ctx.output(kPadOutputTensor);
  switch (in.type) {
    case DataType::kInt8:
    case DataType::kUInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kFloat32:
      break;
    default:
      return ctx.UnsupportedInputType(kPadInputTensor);
  }
  if (out.type != in.type) {
    return ctx.InvalidOutput(kPadOutputTensor,
                             absl::StrCat("type differs from the input's ", DataTypeName(in.type)));
  }
  const int rank = in.rank();
  if (rank > PadData::kRank) {
    return ctx.InvalidInput(kPadInputTensor,
                            absl::StrCat("rank ", rank, " exceeds ", PadData::kRank));
  }
  if (out.rank() != rank) {
    return ctx.InvalidOutput(kPadOutputTensor, absl::StrCat("rank differs from the input's ", rank));
  }

  // Paddings: a constant [rank, 2] tensor of non-negative (before, after) pairs.
  TS_RETURN_IF_ERROR(ctx.CheckConstantInput(kPadPaddingsTensor));
  if (paddings.type != DataType::kInt32 && paddings.type != DataType::kInt64) {
    return ctx.Unimplemented(absl::StrCat("paddings must be int32 or int64, got ",
                                          DataTypeName(paddings.type)));
  }
  if (paddings.rank() != 2 || paddings.shape[0] != rank || paddings.shape[1] != 2) {
    return ctx.InvalidInput(kPadPaddingsTensor,
                            absl::StrCat("paddings must have shape [", rank, ",2]"));
  }
  auto padding = [&](int i) -> int64_t {
    return paddings.type == DataType::kInt32 ? paddings.constant_data<int32_t>()[i]
                                             : paddings.constant_data<int64_t>()[i];
  };

  auto data = std::make_unique<PadData>();
  const int offset = PadData::kRank - rank;
  for (int d = 0; d < PadData::kRank; ++d) {
    data->in_dims[d] = data->out_dims[d] = 1;
  }
  for (int d = 0; d < rank; ++d) {
    const int64_t before = padding(2 * d), after = padding(2 * d + 1);
    if (before < 0 || after < 0) {
      return ctx.InvalidInput(kPadPaddingsTensor,
                              absl::StrCat("dimension ", d, " has negative padding (", before,
                                           ", ", after, ")"));
    }
    const int64_t expected = in.shape[d] + before + after;
    if (out.shape[d] != expected) {
      return ctx.InvalidOutput(kPadOutputTensor,
                               absl::StrCat("dimension ", d, " is ", out.shape[d], ", expected ",
                                            in.shape[d], " + ", before, " + ", after, " = ",
                                            expected));
    }
    data->in_dims[offset + d] = in.shape[d];
    data->out_dims[offset + d] = out.shape[d];
    data->before[offset + d] = before;
  }

  // Padding is a copy: no requantization, so both sides must agree.
  if (in.quantization.scales != out.quantization.scales ||
      in.quantization.zero_points != out.quantization.zero_points) {
    return ctx.InvalidOutput(kPadOutputTensor,
                             "quantization differs from the input's (PAD does not requantize)");
  }
  data->element_size = DataTypeSize(in.type);
  data->output_elements = out.num_elements();
  const int32_t zero_point = out.quantization.zero_point();
  switch (out.type) {
    case DataType::kInt8: {
      const int8_t v = static_cast<int8_t>(zero_point);
      std::memcpy(data->fill, &v, sizeof(v));
      break;
    }
    case DataType::kUInt8: {
      const uint8_t v = static_cast<uint8_t>(zero_point);
      std::memcpy(data->fill, &v, sizeof(v));
      break;
    }
    case DataType::kInt16:
    case DataType::kInt32:
      // TFLite Micro fills int16 and int32 with 0, not the zero point; the two
      // agree only when the zero point is 0 (symmetric quantization).
      if (zero_point != 0) {
        return ctx.Unimplemented(absl::StrCat(DataTypeName(out.type),
                                              " PAD with nonzero zero point ", zero_point,
                                              " is not supported"));
      }
      break;  // fill stays all-zero bytes
    default:
      break;  // float32: 0.0f is all-zero bytes
  }
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalPadReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const PadData&>(op_data);
  const auto* in = static_cast<const uint8_t*>(inputs[kPadInputTensor]);
  auto* out = static_cast<uint8_t*>(outputs[kPadOutputTensor]);
  const size_t es = d.element_size;

  // Fill everything, then copy the input rows (innermost dimension) in place.
  if (es == 1) {
    std::memset(out, d.fill[0], static_cast<size_t>(d.output_elements));
  } else {
    for (int64_t i = 0; i < d.output_elements; ++i) std::memcpy(out + i * es, d.fill, es);
  }
  int64_t out_stride[PadData::kRank];
  out_stride[PadData::kRank - 1] = 1;
  for (int k = PadData::kRank - 2; k >= 0; --k) out_stride[k] = out_stride[k + 1] * d.out_dims[k + 1];
  const size_t row_bytes = static_cast<size_t>(d.in_dims[5]) * es;
  const int64_t row_start = d.before[5];
  for (int64_t i0 = 0; i0 < d.in_dims[0]; ++i0)
    for (int64_t i1 = 0; i1 < d.in_dims[1]; ++i1)
      for (int64_t i2 = 0; i2 < d.in_dims[2]; ++i2)
        for (int64_t i3 = 0; i3 < d.in_dims[3]; ++i3)
          for (int64_t i4 = 0; i4 < d.in_dims[4]; ++i4) {
            const int64_t o = (i0 + d.before[0]) * out_stride[0] +
                              (i1 + d.before[1]) * out_stride[1] +
                              (i2 + d.before[2]) * out_stride[2] +
                              (i3 + d.before[3]) * out_stride[3] +
                              (i4 + d.before[4]) * out_stride[4] + row_start;
            std::memcpy(out + o * static_cast<int64_t>(es), in, row_bytes);
            in += row_bytes;
          }
}

}  // namespace tinyserve
