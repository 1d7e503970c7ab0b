#include "devices/host/host_device.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "devices/cpu/cpu_executable.h"
#include "devices/host/host_isa.h"
#include "engine/compiled_model.h"
#include "engine/kernels/conv.h"
#include "engine/kernels/depthwise_conv.h"
#include "engine/kernels/fully_connected.h"
#include "engine/util/status_macros.h"

namespace tinyserve {
namespace {

// Filters with more taps than this run the reference kernel (the per-pixel tap
// list lives on the stack).
constexpr int kMaxTaps = 256;

// What the dot-product kernels share: weights packed for the ISA's gemv, the
// bias with the input-zero-point term folded in for windows fully inside the
// image, and, for windows that overlap the padding, 2-D prefix sums of each
// output channel's per-tap weight sums: TFLite skips padded taps, so a border
// window's zero-point term covers only the taps inside the image.
//   acc = sum_valid w * x + bias - zp_in * sum_valid w     (wrapping int32)
struct PackedWeights {
  const host::IsaKernels* isa = nullptr;
  int out_c = 0, fc = 0, pairs = 0, taps = 0, filter_w = 1, nblocks = 0;
  int64_t block_stride = 0;
  std::vector<int16_t> packed;
  std::vector<int32_t> bias;     // [out_c], 0 when the op has none
  std::vector<int32_t> folded;   // bias - zp_in * (sum of all the channel's weights)
  std::vector<int32_t> prefix;   // [(fh + 1) * (fw + 1)][out_c]
};

const int32_t* BiasData(const Model& model, const Operator& op, int index) {
  if (static_cast<int>(op.inputs.size()) <= index || op.inputs[index] == kOptionalTensor) {
    return nullptr;
  }
  return model.graph().tensors[op.inputs[index]].constant_data<int32_t>();
}

const int8_t* WeightData(const Model& model, const Operator& op, int index) {
  return model.graph().tensors[op.inputs[index]].constant_data<int8_t>();
}

// tap_weight(oc, t) = sum of channel oc's weights at tap t; fills bias, folded, prefix.
template <typename TapWeight>
void FoldZeroPoint(PackedWeights& p, int filter_h, int filter_w, int32_t zp_in,
                   const int32_t* bias, TapWeight tap_weight) {
  const int oc_n = p.out_c;
  p.filter_w = filter_w;
  p.bias.assign(oc_n, 0);
  p.folded.assign(oc_n, 0);
  p.prefix.assign(static_cast<size_t>(filter_h + 1) * (filter_w + 1) * oc_n, 0);
  auto at = [&](int i, int j, int oc) -> int32_t& {
    return p.prefix[(static_cast<size_t>(i) * (filter_w + 1) + j) * oc_n + oc];
  };
  for (int oc = 0; oc < oc_n; ++oc) {
    for (int i = 1; i <= filter_h; ++i) {
      for (int j = 1; j <= filter_w; ++j) {
        at(i, j, oc) = at(i - 1, j, oc) + at(i, j - 1, oc) - at(i - 1, j - 1, oc) +
                       tap_weight(oc, (i - 1) * filter_w + (j - 1));
      }
    }
    p.bias[oc] = bias != nullptr ? bias[oc] : 0;
    p.folded[oc] = static_cast<int32_t>(
        static_cast<uint32_t>(p.bias[oc]) -
        static_cast<uint32_t>(static_cast<int64_t>(zp_in) * at(filter_h, filter_w, oc)));
  }
}

// weights[oc][tap][ic] (OHWI, or [units][depth] with one tap).
void PackGemvWeights(PackedWeights& p, const int8_t* weights) {
  const int ob = p.isa->oc_block;
  p.pairs = (p.fc + 1) / 2;
  p.nblocks = (p.out_c + ob - 1) / ob;
  p.block_stride = static_cast<int64_t>(p.taps) * p.pairs * ob * 2;
  p.packed.assign(static_cast<size_t>(p.nblocks * p.block_stride), 0);
  for (int oc = 0; oc < p.out_c; ++oc) {
    const int block = oc / ob, lane = oc % ob;
    for (int t = 0; t < p.taps; ++t) {
      for (int ic = 0; ic < p.fc; ++ic) {
        p.packed[block * p.block_stride + (static_cast<int64_t>(t) * p.pairs + ic / 2) * ob * 2 +
                 lane * 2 + ic % 2] = weights[(static_cast<int64_t>(oc) * p.taps + t) * p.fc + ic];
      }
    }
  }
}

inline int8_t Requantize(uint32_t acc, const ConvQuantization& q, int oc) {
  int32_t v = MultiplyByQuantizedMultiplier(static_cast<int32_t>(acc), q.multipliers[oc]);
  v += q.output_zero_point;
  return static_cast<int8_t>(Clamp(v, q.activation));
}

// Valid taps [k0, k1) along one axis for a window starting at `start`.
inline void ValidRange(int start, int filter, int dilation, int in, int& k0, int& k1) {
  k0 = 0;
  while (k0 < filter && start + k0 * dilation < 0) ++k0;
  k1 = filter;
  while (k1 > k0 && start + (k1 - 1) * dilation >= in) --k1;
}

inline uint32_t BorderBias(const PackedWeights& p, int32_t zp_in, int oc, int ky0, int ky1,
                           int kx0, int kx1) {
  const int stride = p.filter_w + 1;
  auto at = [&](int i, int j) {
    return static_cast<uint32_t>(p.prefix[(static_cast<size_t>(i) * stride + j) * p.out_c + oc]);
  };
  const uint32_t rect = at(ky1, kx1) - at(ky0, kx1) - at(ky1, kx0) + at(ky0, kx0);
  return static_cast<uint32_t>(p.bias[oc]) - static_cast<uint32_t>(zp_in) * rect;
}

// ---------------------------------------------------------------------------
// CONV_2D (one group) and FULLY_CONNECTED: packed dot products.

struct HostConvData : OpData {
  const ConvData* base = nullptr;
  PackedWeights w;
};

struct HostFullyConnectedData : OpData {
  const FullyConnectedData* base = nullptr;
  PackedWeights w;
};

// Computes all output channels of one output pixel.
inline void GemvPixel(const PackedWeights& p, const ConvQuantization& q, const int8_t* const* xs,
                      const int32_t* ids, int n, bool border, int ky0, int ky1, int kx0, int kx1,
                      int8_t* out) {
  int32_t acc[host::kMaxAccumulators];
  const int ob = p.isa->oc_block;
  for (int blk = 0; blk < p.nblocks; blk += host::kMaxGemvBlocks) {
    const int nb = std::min(host::kMaxGemvBlocks, p.nblocks - blk);
    p.isa->gemv(xs, ids, n, p.fc, p.pairs, p.packed.data() + blk * p.block_stride,
                p.block_stride, nb, acc);
    const int oc0 = blk * ob;
    const int oc1 = std::min(p.out_c, (blk + nb) * ob);
    if (!border) {
      for (int oc = oc0; oc < oc1; ++oc) {
        out[oc] = Requantize(static_cast<uint32_t>(acc[oc - oc0]) +
                                 static_cast<uint32_t>(p.folded[oc]), q, oc);
      }
    } else {
      for (int oc = oc0; oc < oc1; ++oc) {
        out[oc] = Requantize(static_cast<uint32_t>(acc[oc - oc0]) +
                                 BorderBias(p, q.input_zero_point, oc, ky0, ky1, kx0, kx1),
                             q, oc);
      }
    }
  }
}

// The in-image taps of every output position of a window op, in output order:
// calls f(xs, ids, n, border, ky0, ky1, kx0, kx1) with the input pixel of each
// of the n taps (xs), its tap index (ids), and whether the window overlaps the
// padding ([ky0, ky1) x [kx0, kx1) are the taps inside the image).
template <typename F>
void ForEachWindow(const WindowGeometry& g, const int8_t* input, F f) {
  const int8_t* xs[kMaxTaps];
  int32_t ids[kMaxTaps];
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int in_y0 = oy * g.stride_h - g.pad_top;
      int ky0, ky1;
      ValidRange(in_y0, g.filter_h, g.dilation_h, g.in_h, ky0, ky1);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int in_x0 = ox * g.stride_w - g.pad_left;
        int kx0, kx1;
        ValidRange(in_x0, g.filter_w, g.dilation_w, g.in_w, kx0, kx1);
        int n = 0;
        for (int ky = ky0; ky < ky1; ++ky) {
          const int iy = in_y0 + ky * g.dilation_h;
          for (int kx = kx0; kx < kx1; ++kx) {
            const int ix = in_x0 + kx * g.dilation_w;
            xs[n] = input + ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.in_c;
            ids[n] = ky * g.filter_w + kx;
            ++n;
          }
        }
        const bool border = ky0 != 0 || ky1 != g.filter_h || kx0 != 0 || kx1 != g.filter_w;
        f(xs, ids, n, border, ky0, ky1, kx0, kx1);
      }
    }
  }
}

void EvalHostConv(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const HostConvData&>(op_data);
  const WindowGeometry& g = d.base->geometry;
  const ConvQuantization& q = d.base->quant;
  const auto* input = static_cast<const int8_t*>(inputs[kConvInputTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  ForEachWindow(g, input, [&](const int8_t* const* xs, const int32_t* ids, int n, bool border,
                              int ky0, int ky1, int kx0, int kx1) {
    GemvPixel(d.w, q, xs, ids, n, border, ky0, ky1, kx0, kx1, output);
    output += g.out_c;
  });
}

void EvalHostFullyConnected(const OpData& op_data, const void* const* inputs,
                            void* const* outputs) {
  const auto& d = static_cast<const HostFullyConnectedData&>(op_data);
  const auto* input = static_cast<const int8_t*>(inputs[kFullyConnectedInputTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  const int32_t id = 0;
  for (int b = 0; b < d.base->batches; ++b) {
    const int8_t* x = input + static_cast<int64_t>(b) * d.base->depth;
    GemvPixel(d.w, d.base->quant, &x, &id, 1, false, 0, 1, 0, 1,
              output + static_cast<int64_t>(b) * d.base->units);
  }
}

// ---------------------------------------------------------------------------
// DEPTHWISE_CONV_2D, depth multiplier 1: weights widened to int16 [tap][channel].

struct HostDepthwiseData : OpData {
  const DepthwiseConvData* base = nullptr;
  PackedWeights w;  // packed = int16 [tap][channel]
};

void EvalHostDepthwise(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const HostDepthwiseData&>(op_data);
  const WindowGeometry& g = d.base->geometry;
  const ConvQuantization& q = d.base->quant;
  const PackedWeights& p = d.w;
  const auto* input = static_cast<const int8_t*>(inputs[kDepthwiseInputTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  int32_t acc[host::kMaxAccumulators];
  ForEachWindow(g, input, [&](const int8_t* const* xs, const int32_t* ids, int n, bool border,
                              int ky0, int ky1, int kx0, int kx1) {
    for (int c0 = 0; c0 < g.out_c; c0 += host::kMaxAccumulators) {
      const int cn = std::min(host::kMaxAccumulators, g.out_c - c0);
      p.isa->depthwise(xs, ids, n, c0, cn, p.packed.data(), g.out_c, acc);
      for (int c = c0; c < c0 + cn; ++c) {
        const uint32_t bias = border ? BorderBias(p, q.input_zero_point, c, ky0, ky1, kx0, kx1)
                                     : static_cast<uint32_t>(p.folded[c]);
        output[c] = Requantize(static_cast<uint32_t>(acc[c - c0]) + bias, q, c);
      }
    }
    output += g.out_c;
  });
}

// ---------------------------------------------------------------------------

// The host kernel for `op`, or {nullptr, nullptr} to use the reference kernel.
BoundKernel SelectHostKernel(const Model& model, const Operator& op, const host::IsaKernels* isa,
                             std::vector<std::unique_ptr<const OpData>>& owned) {
  const OpData& base = model.op_data(op.index);
  switch (op.type) {
    case OpType::kConv2D: {
      const auto& c = static_cast<const ConvData&>(base);
      const WindowGeometry& g = c.geometry;
      if (c.filter_c != g.in_c || g.filter_h * g.filter_w > kMaxTaps) return {};
      auto d = std::make_unique<HostConvData>();
      d->base = &c;
      PackedWeights& p = d->w;
      p.isa = isa;
      p.out_c = g.out_c;
      p.fc = c.filter_c;
      p.taps = g.filter_h * g.filter_w;
      const int8_t* w = WeightData(model, op, kConvFilterTensor);
      PackGemvWeights(p, w);
      FoldZeroPoint(p, g.filter_h, g.filter_w, c.quant.input_zero_point,
                    BiasData(model, op, kConvBiasTensor), [&](int oc, int t) {
                      int32_t s = 0;
                      for (int ic = 0; ic < p.fc; ++ic) {
                        s += w[(static_cast<int64_t>(oc) * p.taps + t) * p.fc + ic];
                      }
                      return s;
                    });
      BoundKernel k{&EvalHostConv, d.get()};
      owned.push_back(std::move(d));
      return k;
    }
    case OpType::kFullyConnected: {
      const auto& f = static_cast<const FullyConnectedData&>(base);
      auto d = std::make_unique<HostFullyConnectedData>();
      d->base = &f;
      PackedWeights& p = d->w;
      p.isa = isa;
      p.out_c = f.units;
      p.fc = f.depth;
      p.taps = 1;
      const int8_t* w = WeightData(model, op, kFullyConnectedWeightsTensor);
      PackGemvWeights(p, w);
      FoldZeroPoint(p, 1, 1, f.quant.input_zero_point,
                    BiasData(model, op, kFullyConnectedBiasTensor), [&](int oc, int) {
                      int32_t s = 0;
                      for (int i = 0; i < p.fc; ++i) s += w[static_cast<int64_t>(oc) * p.fc + i];
                      return s;
                    });
      BoundKernel k{&EvalHostFullyConnected, d.get()};
      owned.push_back(std::move(d));
      return k;
    }
    case OpType::kDepthwiseConv2D: {
      const auto& c = static_cast<const DepthwiseConvData&>(base);
      const WindowGeometry& g = c.geometry;
      if (c.depth_multiplier != 1 || g.in_c != g.out_c || g.filter_h * g.filter_w > kMaxTaps) {
        return {};
      }
      auto d = std::make_unique<HostDepthwiseData>();
      d->base = &c;
      PackedWeights& p = d->w;
      p.isa = isa;
      p.out_c = g.out_c;
      p.fc = 1;
      p.taps = g.filter_h * g.filter_w;
      const int8_t* w = WeightData(model, op, kDepthwiseFilterTensor);
      p.packed.assign(w, w + static_cast<size_t>(p.taps) * p.out_c);
      FoldZeroPoint(p, g.filter_h, g.filter_w, c.quant.input_zero_point,
                    BiasData(model, op, kDepthwiseBiasTensor), [&](int oc, int t) {
                      return static_cast<int32_t>(w[static_cast<int64_t>(t) * p.out_c + oc]);
                    });
      BoundKernel k{&EvalHostDepthwise, d.get()};
      owned.push_back(std::move(d));
      return k;
    }
    default:
      return {};
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Device>> HostDevice::Create() {
  TS_ASSIGN_OR_RETURN(std::string isa, SelectedHostIsa());
  TS_ASSIGN_OR_RETURN(const host::IsaKernels* kernels, HostIsaKernels(isa));
  return std::unique_ptr<Device>(new HostDevice(std::move(isa), kernels));
}

DeviceInfo HostDevice::Describe() const {
  return {"host", "cpu-simd",
          absl::StrCat("SIMD int8 kernels for this CPU (", isa_,
                       "), bit-exact with TensorFlow Lite Micro"),
          {"bit-exact-tflm", "per-op-timing"}};
}

absl::StatusOr<std::shared_ptr<const Executable>> HostDevice::Compile(
    std::shared_ptr<const Model> model) const {
  std::vector<std::unique_ptr<const OpData>> owned;
  std::vector<BoundKernel> kernels;
  kernels.reserve(model->operators().size());
  for (const Operator& op : model->operators()) {
    BoundKernel k = SelectHostKernel(*model, op, kernels_, owned);
    if (k.eval == nullptr) k = {ReferenceKernel(op.type)->eval, &model->op_data(op.index)};
    kernels.push_back(k);
  }
  TS_ASSIGN_OR_RETURN(
      auto compiled,
      CompiledModel::Compile(
          std::move(model),
          [&kernels](const Model&, const Operator& op) -> absl::StatusOr<BoundKernel> {
            return kernels[op.index];
          },
          std::move(owned)));
  return std::shared_ptr<const Executable>(std::make_shared<CpuExecutable>(std::move(compiled)));
}

}  // namespace tinyserve
