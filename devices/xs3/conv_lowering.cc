// Lowering of CONV_2D, FULLY_CONNECTED and one-input-channel DEPTHWISE_CONV_2D
// onto DenseConvKernel.
#include <vector>

#include "absl/strings/str_cat.h"
#include "devices/xs3/dense_conv_kernel.h"
#include "devices/xs3/exact_lowering.h"
#include "devices/xs3/lowering.h"
#include "engine/kernels/conv.h"
#include "engine/kernels/depthwise_conv.h"
#include "engine/kernels/fully_connected.h"

namespace tinyserve::xs3 {
namespace {

// `weights` are [out_c][K]; `weight_scale(c)` and `bias(c)` per output channel.
template <typename ScaleFn, typename BiasFn>
std::vector<ChannelAffine> DenseAffines(const Model& model, const Operator& op,
                                        absl::Span<const int8_t> weights, int out_c, int depth,
                                        ScaleFn weight_scale, BiasFn bias) {
  const float s_in = model.tensor(op.inputs[0]).quantization.scale();
  const TensorInfo& out = model.tensor(op.outputs[0]);
  const int32_t zp_in = model.tensor(op.inputs[0]).quantization.zero_point();
  std::vector<ChannelAffine> affines;
  affines.reserve(out_c);
  for (int c = 0; c < out_c; ++c) {
    affines.push_back(MakeChannelAffine(weights.subspan(static_cast<size_t>(c) * depth, depth),
                                        s_in, weight_scale(c), out.quantization.scale(), bias(c),
                                        zp_in, out.quantization.zero_point()));
  }
  return affines;
}

// Builds the kernel once the output transform is chosen, or explains why not.
Lowering Finish(const ConvShape& shape, absl::Span<const int8_t> weights,
                const std::vector<ChannelAffine>& affines, const std::string& kernel_name,
                bool pad_3_to_4 = false) {
  const OutputTransformChoice choice = ChooseOutputTransform(affines);
  Lowering l = OutputTransformLowering(choice);
  if (!choice.chosen) return l;
  auto kernel = std::make_unique<DenseConvKernel>(shape, weights, choice.params, pad_3_to_4);
  l.kernel = absl::StrCat(kernel_name, kernel->direct() ? " (direct)" : " (im2col)");
  l.op = std::move(kernel);
  return l;
}

// The exact lowering's kernel: `weights` are [out_c][depth].
Lowering FinishExact(ConvShape shape, absl::Span<const int8_t> weights, int depth,
                     const int32_t* bias, const ConvQuantization& quant,
                     const std::string& kernel_name, bool pad_3_to_4 = false) {
  auto channels = MakeExactChannels(weights, depth, bias, quant);
  if (!channels.ok()) return NotLowered(std::string(channels.status().message()));
  shape.clamp_output = false;  // the exact stage clamps to the activation range itself
  auto kernel = std::make_unique<DenseConvKernel>(
      shape, weights, ExactOutputProgram(*channels, quant.output_zero_point, quant.activation),
      pad_3_to_4);
  Lowering l;
  l.kernel = absl::StrCat(kernel_name, kernel->direct() ? " (direct" : " (im2col", ", exact)");
  l.reason = kExactLoweringReason;
  l.op = std::move(kernel);
  return l;
}

// Output bytes per pixel must be whole words for the VPU stores (xformer's
// precondition), unless there is a single output pixel.
bool OutputWordAligned(const WindowGeometry& g) {
  return g.out_c % 4 == 0 || static_cast<int64_t>(g.batches) * g.out_h * g.out_w == 1;
}

}  // namespace

Lowering LowerConv2D(const Model& model, const Operator& op, LoweringMode mode) {
  const ConvData* prepared = OpDataAs<ConvData>(model.op_data(op.index));
  if (prepared == nullptr) return WrongPreparedData(op, "ConvData");
  const ConvData& data = *prepared;
  const WindowGeometry& g = data.geometry;
  if (data.filter_c != g.in_c) return NotLowered("grouped convolution has no XS3 kernel");
  if (!OutputWordAligned(g)) return NotLowered("output channels not a multiple of 4");
  const TensorInfo& filter = model.tensor(op.inputs[kConvFilterTensor]);
  const auto weights = absl::MakeConstSpan(filter.constant_data<int8_t>(),
                                           static_cast<size_t>(filter.num_elements()));
  const int depth = g.filter_h * g.filter_w * g.in_c;
  const int32_t* bias = op.inputs.size() > 2 && op.inputs[2] != kOptionalTensor
                            ? model.tensor(op.inputs[2]).constant_data<int32_t>()
                            : nullptr;
  if (mode == LoweringMode::kExact) {
    return FinishExact(MakeConvShape(g, data.quant.input_zero_point, data.quant.activation),
                       weights, depth, bias, data.quant, "conv2d", /*pad_3_to_4=*/true);
  }
  const Quantization& fq = filter.quantization;
  const auto affines = DenseAffines(
      model, op, weights, g.out_c, depth,
      [&](int c) { return fq.scales[fq.per_channel() ? c : 0]; },
      [&](int c) { return bias ? bias[c] : 0; });
  return Finish(MakeConvShape(g, data.quant.input_zero_point, data.quant.activation), weights,
                affines, "conv2d", /*pad_3_to_4=*/true);
}

Lowering LowerFullyConnected(const Model& model, const Operator& op, LoweringMode mode) {
  const FullyConnectedData* prepared = OpDataAs<FullyConnectedData>(model.op_data(op.index));
  if (prepared == nullptr) return WrongPreparedData(op, "FullyConnectedData");
  const FullyConnectedData& data = *prepared;
  WindowGeometry g;
  g.batches = data.batches;
  g.in_h = g.in_w = g.out_h = g.out_w = 1;
  g.in_c = data.depth;
  g.out_c = data.units;
  g.filter_h = g.filter_w = 1;
  if (!OutputWordAligned(g)) return NotLowered("units not a multiple of 4 with several batches");
  const TensorInfo& w = model.tensor(op.inputs[kFullyConnectedWeightsTensor]);
  const auto weights =
      absl::MakeConstSpan(w.constant_data<int8_t>(), static_cast<size_t>(w.num_elements()));
  const int32_t* bias = op.inputs.size() > 2 && op.inputs[2] != kOptionalTensor
                            ? model.tensor(op.inputs[2]).constant_data<int32_t>()
                            : nullptr;
  if (mode == LoweringMode::kExact) {
    return FinishExact(MakeConvShape(g, data.quant.input_zero_point, data.quant.activation),
                       weights, data.depth, bias, data.quant, "fully_connected as 1x1 conv2d");
  }
  const Quantization& wq = w.quantization;
  const auto affines = DenseAffines(
      model, op, weights, data.units, data.depth,
      [&](int c) { return wq.scales[wq.per_channel() ? c : 0]; },
      [&](int c) { return bias ? bias[c] : 0; });
  return Finish(MakeConvShape(g, data.quant.input_zero_point, data.quant.activation), weights,
                affines, "fully_connected as 1x1 conv2d");
}

// One input channel: output channel m of the depthwise conv is a dense conv
// filter [m][kh][kw][1].
Lowering LowerSingleChannelDepthwise(const Model& model, const Operator& op,
                                     LoweringMode mode) {
  const DepthwiseConvData* prepared = OpDataAs<DepthwiseConvData>(model.op_data(op.index));
  if (prepared == nullptr) return WrongPreparedData(op, "DepthwiseConvData");
  const DepthwiseConvData& data = *prepared;
  const WindowGeometry& g = data.geometry;
  if (!OutputWordAligned(g)) return NotLowered("output channels not a multiple of 4");
  const TensorInfo& filter = model.tensor(op.inputs[kDepthwiseFilterTensor]);
  const int taps = g.filter_h * g.filter_w;
  const int8_t* f = filter.constant_data<int8_t>();
  std::vector<int8_t> transposed(static_cast<size_t>(taps) * g.out_c);
  for (int t = 0; t < taps; ++t) {
    for (int c = 0; c < g.out_c; ++c) transposed[static_cast<size_t>(c) * taps + t] = f[t * g.out_c + c];
  }
  const int32_t* bias = op.inputs.size() > 2 && op.inputs[2] != kOptionalTensor
                            ? model.tensor(op.inputs[2]).constant_data<int32_t>()
                            : nullptr;
  if (mode == LoweringMode::kExact) {
    return FinishExact(MakeConvShape(g, data.quant.input_zero_point, data.quant.activation),
                       transposed, taps, bias, data.quant,
                       "depthwise with 1 input channel as conv2d");
  }
  const Quantization& fq = filter.quantization;
  const auto affines = DenseAffines(
      model, op, transposed, g.out_c, taps,
      [&](int c) { return fq.scales[fq.per_channel() ? c : 0]; },
      [&](int c) { return bias ? bias[c] : 0; });
  return Finish(MakeConvShape(g, data.quant.input_zero_point, data.quant.activation), transposed,
                affines, "depthwise with 1 input channel as conv2d");
}

}  // namespace tinyserve::xs3
