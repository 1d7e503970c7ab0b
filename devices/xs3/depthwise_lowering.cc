// Lowering of DEPTHWISE_CONV_2D and AVERAGE_POOL_2D onto DepthwiseKernel.
#include <vector>

#include "devices/xs3/depthwise_kernel.h"
#include "devices/xs3/exact_lowering.h"
#include "devices/xs3/lowering.h"
#include "engine/kernels/depthwise_conv.h"
#include "engine/kernels/pooling.h"

namespace tinyserve::xs3 {
namespace {

Lowering Finish(const ConvShape& shape, absl::Span<const int8_t> weights,
                const std::vector<ChannelAffine>& affines, const char* kernel_name) {
  const OutputTransformChoice choice = ChooseOutputTransform(affines);
  Lowering l = OutputTransformLowering(choice);
  if (!choice.chosen) return l;
  l.op = std::make_unique<DepthwiseKernel>(shape, weights, choice.params);
  l.kernel = kernel_name;
  return l;
}

// VPU loads of 16 channels at pixel * C need word-aligned pixels.
bool ChannelsWordAligned(const WindowGeometry& g) { return g.in_c % 4 == 0 && g.out_c % 4 == 0; }

}  // namespace

Lowering LowerDepthwiseConv2D(const Model& model, const Operator& op, LoweringMode mode) {
  const DepthwiseConvData* prepared = OpDataAs<DepthwiseConvData>(model.op_data(op.index));
  if (prepared == nullptr) return WrongPreparedData(op, "DepthwiseConvData");
  const DepthwiseConvData& data = *prepared;
  const WindowGeometry& g = data.geometry;
  if (g.in_c == 1) return LowerSingleChannelDepthwise(model, op, mode);
  if (data.depth_multiplier != 1) return NotLowered("depth multiplier > 1 has no XS3 kernel");
  if (!ChannelsWordAligned(g)) return NotLowered("channels not a multiple of 4");
  const TensorInfo& filter = model.tensor(op.inputs[kDepthwiseFilterTensor]);
  const int taps = g.filter_h * g.filter_w;
  const int8_t* f = filter.constant_data<int8_t>();
  const int32_t* bias = op.inputs.size() > 2 && op.inputs[2] != kOptionalTensor
                            ? model.tensor(op.inputs[2]).constant_data<int32_t>()
                            : nullptr;
  if (mode == LoweringMode::kExact) {
    // Channel-major weights for the folded biases.
    std::vector<int8_t> by_channel(static_cast<size_t>(taps) * g.out_c);
    for (int c = 0; c < g.out_c; ++c) {
      for (int t = 0; t < taps; ++t) by_channel[static_cast<size_t>(c) * taps + t] = f[t * g.out_c + c];
    }
    auto channels = MakeExactChannels(by_channel, taps, bias, data.quant);
    if (!channels.ok()) return NotLowered(std::string(channels.status().message()));
    ConvShape shape = MakeConvShape(g, data.quant.input_zero_point, data.quant.activation);
    shape.clamp_output = false;  // the exact stage clamps itself
    Lowering l;
    l.op = std::make_unique<DepthwiseKernel>(
        shape, absl::MakeConstSpan(f, static_cast<size_t>(taps) * g.out_c),
        ExactOutputProgram(*channels, data.quant.output_zero_point, data.quant.activation));
    l.kernel = "depthwise_conv2d (exact)";
    l.reason = kExactLoweringReason;
    return l;
  }
  const Quantization& fq = filter.quantization;
  const TensorInfo& in = model.tensor(op.inputs[0]);
  const TensorInfo& out = model.tensor(op.outputs[0]);
  std::vector<ChannelAffine> affines;
  std::vector<int8_t> channel_weights(taps);
  for (int c = 0; c < g.out_c; ++c) {
    for (int t = 0; t < taps; ++t) channel_weights[t] = f[t * g.out_c + c];
    affines.push_back(MakeChannelAffine(channel_weights, in.quantization.scale(),
                                        fq.scales[fq.per_channel() ? c : 0],
                                        out.quantization.scale(), bias ? bias[c] : 0,
                                        data.quant.input_zero_point,
                                        data.quant.output_zero_point));
  }
  return Finish(MakeConvShape(g, data.quant.input_zero_point, data.quant.activation),
                absl::MakeConstSpan(f, static_cast<size_t>(taps) * g.out_c), affines,
                "depthwise_conv2d");
}

Lowering LowerAveragePool2D(const Model& model, const Operator& op) {
  const PoolData* prepared = OpDataAs<PoolData>(model.op_data(op.index));
  if (prepared == nullptr) return WrongPreparedData(op, "PoolData");
  const PoolData& data = *prepared;
  const WindowGeometry& g = data.geometry;
  // With padding TFLite divides by the taps inside the image, which a
  // fixed per-channel multiplier cannot express.
  const bool inside = g.pad_top == 0 && g.pad_left == 0 &&
                      (g.out_h - 1) * g.stride_h + g.filter_h <= g.in_h &&
                      (g.out_w - 1) * g.stride_w + g.filter_w <= g.in_w;
  if (!inside) return NotLowered("average pool with padding: per-pixel divisor");
  if (!ChannelsWordAligned(g)) return NotLowered("channels not a multiple of 4");
  const TensorInfo& in = model.tensor(op.inputs[0]);
  const TensorInfo& out = model.tensor(op.outputs[0]);
  const int taps = g.filter_h * g.filter_w;
  const std::vector<int8_t> ones(static_cast<size_t>(taps) * g.out_c, 1);
  std::vector<ChannelAffine> affines;
  for (int c = 0; c < g.out_c; ++c) {
    ChannelAffine a;
    // 1/(kh*kw) folded into the float multiplier.
    a.multiplier = static_cast<float>(static_cast<double>(in.quantization.scale()) /
                                      (static_cast<double>(out.quantization.scale()) * taps));
    a.bias = -static_cast<double>(in.quantization.zero_point()) * taps * a.multiplier +
             out.quantization.zero_point();
    a.accu_min = -128 * taps;
    a.accu_max = 127 * taps;
    affines.push_back(a);
  }
  return Finish(MakeConvShape(g, in.quantization.zero_point(), data.activation), ones, affines,
                "average_pool2d as depthwise_conv2d");
}

}  // namespace tinyserve::xs3
