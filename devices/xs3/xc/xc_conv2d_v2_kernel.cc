#include "devices/xs3/xc/xc_conv2d_v2_kernel.h"

#include <algorithm>
#include <cstring>

#include "devices/xs3/cycle_model.h"
#include "devices/xs3/output_stage.h"

namespace tinyserve::xs3 {
namespace {

constexpr int kVector = 32;
constexpr int kGroup = 16;

// The vector at base + offset when all 32 bytes lie in [base, base + size)
// and it is word-aligned; otherwise a zero-padded copy of the part inside.
const uint8_t* VectorAt(const uint8_t* base, int64_t size, int64_t offset, Vector32& spill) {
  if (offset >= 0 && offset <= size - kVector &&
      (reinterpret_cast<uintptr_t>(base + offset) & 3) == 0) {
    return base + offset;
  }
  std::memset(spill.bytes, 0, sizeof(spill.bytes));
  const int64_t lo = std::max<int64_t>(offset, 0);
  const int64_t hi = std::min<int64_t>(offset + kVector, size);
  if (lo < hi) std::memcpy(spill.bytes + (lo - offset), base + lo, static_cast<size_t>(hi - lo));
  return spill.bytes;
}

// 16 int16 lanes from `values` (count elements) starting at `first`; lanes
// past `lanes` or past the data are 0.
Vector32 Int16Lanes(absl::Span<const uint8_t> values, int64_t count, int64_t first, int lanes) {
  Vector32 v;
  for (int i = 0; i < lanes; ++i) {
    const int64_t at = first + i;
    if (at < 0 || at >= count) continue;
    v.bytes[2 * i] = values[2 * at];
    v.bytes[2 * i + 1] = values[2 * at + 1];
  }
  return v;
}

Vector32 Int16Splat(int16_t value) {
  Vector32 v;
  for (int i = 0; i < kGroup; ++i) std::memcpy(v.bytes + 2 * i, &value, 2);
  return v;
}

const Vector32 kZeroShifts{};

}  // namespace

struct XcConv2dV2Kernel::Scratch {
  Vector32 spill;            // bounded loads
  Vector32 out;              // the staged int8 store
  Vector32 group_shift;      // the group transform's VLSAT operand
  OutputStageScratch stage;  // the accumulator ring and the transform's temporaries
};

XcConv2dV2Kernel::XcConv2dV2Kernel(const XcConv2dV2Data& data, absl::Span<const uint8_t> weights,
                                   absl::Span<const uint8_t> multipliers_and_biases)
    : data_(data), weights_size_(static_cast<int64_t>(weights.size()) + 2 * kVector) {
  weights_.resize(static_cast<size_t>((weights.size() + kVector - 1) / kVector) + 2);
  if (!weights.empty()) std::memcpy(weights_.data(), weights.data(), weights.size());
  const int64_t count = static_cast<int64_t>(multipliers_and_biases.size() / 2);
  const int ppc = data_.params_per_channel();
  const bool channelwise = data_.output_transform_type == XcOutputTransformType::kChannelwise;
  for (int g = 0; g < data_.output_groups(); ++g) {
    const int n = ChannelsInGroup(g);
    int64_t at = static_cast<int64_t>(g) * kGroup * ppc;
    if (channelwise) {
      // lib_nn's C model zeroes the shifts of lanes past the group's channels.
      shifts_.push_back(Int16Lanes(multipliers_and_biases, count, at, n));
      at += n;
    }
    multipliers_.push_back(Int16Lanes(multipliers_and_biases, count, at, kGroup));
    biases_.push_back(Int16Lanes(multipliers_and_biases, count, at + n, kGroup));
  }
}

int XcConv2dV2Kernel::ChannelsInGroup(int group) const {
  return std::min(kGroup, data_.output_transform.output_slice_channel_count - group * kGroup);
}

size_t XcConv2dV2Kernel::patch_bytes() const {
  if (data_.kernel_type != XcConvKernelType::kValidIndirect) return 0;
  // The patch, its zero tail, and room for a last VSTRPV's full vector.
  const int64_t bytes = data_.im2col.taps() * data_.im2col.tap_bytes() + 2 * kVector;
  return static_cast<size_t>((bytes + kVector - 1) / kVector * kVector);
}

size_t XcConv2dV2Kernel::scratch_bytes() const {
  return (sizeof(Scratch) + kVector - 1) / kVector * kVector + patch_bytes();
}

void XcConv2dV2Kernel::Run(KernelContext& ctx, const void* const* inputs,
                           void* const* outputs) const {
  auto* output = static_cast<uint8_t*>(outputs[0]);
  const Memory input{static_cast<const uint8_t*>(inputs[0]), data_.input_bytes};
  if (data_.has_partial_output && inputs[3] != nullptr) {
    std::memcpy(output, inputs[3], static_cast<size_t>(data_.output_bytes));
    ctx.scalar_slots += ScalarCopySlots(data_.output_bytes);  // TM's memcpy
  }
  // TM xcore_conv2d_v2.cc's Eval, as our lowering's conv charges it, less
  // the part every thread runs itself (RunRegion).
  ctx.scalar_slots += cost::kFunctionCall + cost::kConvEval - cost::kConvThreadEntry;
  const int regions = std::min<int>(static_cast<int>(data_.regions.size()),
                                     KernelContext::kMaxRegions);
  ctx.region_count = regions;
  for (int r = 0; r < regions; ++r) {
    const int64_t vpu_before = ctx.vpu->counters().vpu_instructions;
    const int64_t scalar_before = ctx.scalar_slots;
    RunRegion(ctx, data_.regions[static_cast<size_t>(r)], input, output);
    ctx.region_slots[r] = (ctx.vpu->counters().vpu_instructions - vpu_before) * cost::kVpuInstruction +
                          (ctx.scalar_slots - scalar_before);
  }
}

void XcConv2dV2Kernel::RunRegion(KernelContext& ctx, const XcRegionParams& p, Memory input,
                                 uint8_t* output) const {
  auto& s = *reinterpret_cast<Scratch*>(ctx.scratch);
  uint8_t* patch = ctx.scratch + (sizeof(Scratch) + kVector - 1) / kVector * kVector;
  // The thread's worker and lib_nn's execute(): entry and output pointer setup.
  ctx.scalar_slots += cost::kConvThreadEntry;
  const int64_t nw = p.w_end - p.w_begin;
  const int64_t row = int64_t{p.output_h_mem_stride} + nw * p.output_w_mem_stride;
  int64_t y = p.h_begin * row + int64_t{p.w_begin} * p.output_w_mem_stride +
              p.output_channel_slice_offset;
  const XcDerefParams& m = data_.deref;
  const int64_t pixel_slots = cost::kPixelLoop + MemcpySlots();
  const int64_t group_slots = cost::kChannelGroupLoop + AggregateCallSlots();
  for (int32_t h = p.h_begin; h < p.h_end; ++h) {
    for (int32_t w = p.w_begin; w < p.w_end; ++w) {
      ctx.scalar_slots += pixel_slots;
      const int64_t x = int64_t{p.input_offset} + int64_t{h} * m.bytes_per_h_line +
                        int64_t{w} * m.bytes_per_pixel;
      int64_t y_group = y;
      // One memcpy per pixel (all input channels), then every group.
      if (data_.kernel_type == XcConvKernelType::kValidIndirect) Im2colValid(ctx, input, x, patch, s);
      for (int32_t g = p.output_channel_group_begin; g < p.output_channel_group_end; ++g) {
        ctx.scalar_slots += group_slots;
        switch (data_.kernel_type) {
          case XcConvKernelType::kValidDirect:
            AggregateDirect(ctx, input, x, g, s);
            break;
          case XcConvKernelType::kValidIndirect:
            AggregateGeneric(ctx, patch, g, s);
            break;
          default:
            // Depthwise: a memcpy per group, at the group's first channel.
            AggregateDepthwise(ctx, input, x + int64_t{g} * kGroup, g, s);
            break;
        }
        const int count = ChannelsInGroup(g);
        OutputTransform(ctx, g, count, s, output, y_group);
        y_group += count;
      }
      y += p.output_w_mem_stride;
    }
    y += p.output_h_mem_stride;
  }
}

int64_t XcConv2dV2Kernel::MemcpySlots() const {
  switch (data_.kernel_type) {
    case XcConvKernelType::kValidDirect:
      return cost::kDerefCall;
    case XcConvKernelType::kValidIndirect:
      // Its rows and taps are charged as Im2colValid runs them.
      return cost::kIm2colCall - cost::kIm2colZeroTailVpu;
    default:
      return 0;  // depthwise: a deref per group, in AggregateCallSlots
  }
}

int64_t XcConv2dV2Kernel::AggregateCallSlots() const {
  switch (data_.kernel_type) {
    case XcConvKernelType::kValidDirect: {
      // kAggregateCall holds a 1x1 window's kh/kw loop bundles (4); each
      // further kernel row adds its kh loop (2), each tap its kw loop (2).
      const int64_t kh = int64_t{data_.direct.k_height_loop_counter} + 1;
      const int64_t kw = int64_t{data_.direct.k_width_loop_counter} + 1;
      return cost::kAggregateCall + kh * (2 + 2 * kw) - 4;
    }
    case XcConvKernelType::kValidIndirect:
      return cost::kAggregateCall + cost::kGenericAggregateExtra;
    default:
      return DepthwiseGroupSlots(data_.depthwise.k_height_loop_counter + 1,
                                 data_.depthwise.k_width_loop_counter + 1);
  }
}

void XcConv2dV2Kernel::Im2colValid(KernelContext& ctx, Memory input, int64_t x, uint8_t* patch,
                                   Scratch& s) const {
  Vpu& vpu = *ctx.vpu;
  const XcImToColValidParams& c = data_.im2col;
  int64_t t = 0;  // patch offset
  // memcpy_fn_valid.S's loops, less the VPU instructions emulated here.
  for (int32_t i = c.input_height; i >= 0; --i) {
    ctx.scalar_slots += cost::kKernelRowLoop;
    for (int32_t j = c.input_width; j >= 0; --j) {
      ctx.scalar_slots += cost::kIm2colTap - cost::kIm2colTapVpu;
      for (int32_t k = c.input_channel_groups; k > 0; --k) {
        ctx.scalar_slots += 3 - cost::kIm2colChunkVpu;
        vpu.Vldd(VectorAt(input.base, input.size, x, s.spill));
        x += kVector;
        vpu.Vstd(patch + t);
        t += kVector;
      }
      vpu.Vldr(VectorAt(input.base, input.size, x, s.spill));
      x += kVector;
      vpu.Vstrpv(patch + t, c.t_vstrpv_mask);
      t -= c.t_rewind;
      x += c.horizontal_mem_stride;
    }
    x += c.vertical_mem_stride;
  }
  if (c.t_dontzero == 0) {
    vpu.Vclrdr();  // the zero tail the aggregate's last vector reads
    vpu.Vstd(patch + t);
  }
}

void XcConv2dV2Kernel::AggregateDirect(KernelContext& ctx, Memory input, int64_t x, int group,
                                       Scratch& s) const {
  Vpu& vpu = *ctx.vpu;
  const XcMatMulDirectParams& a = data_.direct;
  const auto* weights = reinterpret_cast<const uint8_t*>(weights_.data());
  vpu.Vsetc(VpuMode::kInt8);
  vpu.Vclrdr();
  int64_t k = int64_t{a.bytes_per_kernel_channel} * group;
  for (int32_t kh = a.k_height_loop_counter; kh >= 0; --kh) {
    for (int32_t kw = a.k_width_loop_counter; kw >= 0; --kw) {
      for (int32_t ic = a.input_channel_loop_counter; ic >= 0; --ic) {
        ctx.scalar_slots += cost::kChunkLoop;
        vpu.Vldc(VectorAt(input.base, input.size, x, s.spill));
        x += kVector;
        for (int l = 0; l < kGroup; ++l) {
          vpu.Vlmaccr(VectorAt(weights, weights_size_, k, s.spill));
          k += kVector;
        }
      }
      x += a.inner_x_h_step;
    }
    x += a.inner_x_v_step;
  }
  SaveAccumulators(vpu, s.stage);
}

void XcConv2dV2Kernel::AggregateGeneric(KernelContext& ctx, const uint8_t* patch, int group,
                                        Scratch& s) const {
  Vpu& vpu = *ctx.vpu;
  const XcMatMulGenericParams& a = data_.generic;
  const auto* weights = reinterpret_cast<const uint8_t*>(weights_.data());
  const int64_t patch_size = static_cast<int64_t>(patch_bytes());
  vpu.Vsetc(VpuMode::kInt8);
  vpu.Vclrdr();
  const int64_t first_channel = int64_t{group} * kGroup;
  int64_t k = a.bytes_per_kernel_channel * first_channel;
  // A group of n < 16 channels: the 16th load of each chunk steps back so the
  // next chunk starts 32 x n bytes on, and the tail runs n loads.
  int64_t step = kVector;
  const int64_t t = a.output_slice_channel_count - first_channel - (kGroup - 1);
  if (t <= 0) step *= t;
  int64_t tail_step = a.bytes_per_kernel_channel % kVector;
  int64_t chunks = a.bytes_per_kernel_channel / kVector;
  if (tail_step == 0) {
    --chunks;
    tail_step = kVector;
  }
  int64_t d = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    ctx.scalar_slots += cost::kChunkLoop;
    vpu.Vldc(VectorAt(patch, patch_size, d, s.spill));
    d += kVector;
    for (int l = 0; l < kGroup - 1; ++l) {
      vpu.Vlmaccr(VectorAt(weights, weights_size_, k, s.spill));
      k += kVector;
    }
    vpu.Vlmaccr(VectorAt(weights, weights_size_, k, s.spill));
    k += step;
  }
  ctx.scalar_slots += cost::kChunkLoop;
  vpu.Vldc(VectorAt(patch, patch_size, d, s.spill));
  const int64_t tail_loads = kGroup - 1 + step / kVector;
  for (int64_t l = 0; l < tail_loads; ++l) {
    vpu.Vlmaccr(VectorAt(weights, weights_size_, k, s.spill));
    k += tail_step;
  }
  SaveAccumulators(vpu, s.stage);
}

void XcConv2dV2Kernel::AggregateDepthwise(KernelContext& ctx, Memory input, int64_t x, int group,
                                          Scratch& s) const {
  Vpu& vpu = *ctx.vpu;
  const XcMatMulDepthwiseParams& a = data_.depthwise;
  const auto* weights = reinterpret_cast<const uint8_t*>(weights_.data());
  vpu.Vsetc(VpuMode::kInt8);
  vpu.Vclrdr();
  int64_t k = int64_t{a.bytes_per_kernel_channel_group} * group;
  for (int32_t kh = a.k_height_loop_counter; kh >= 0; --kh) {
    for (int32_t kw = a.k_width_loop_counter; kw >= 0; --kw) {
      ctx.scalar_slots += cost::kDepthwiseTap;
      vpu.Vldc(VectorAt(input.base, input.size, x, s.spill));
      vpu.Vlmacc(VectorAt(weights, weights_size_, k, s.spill));
      k += kGroup;
      x += a.inner_x_h_step;
    }
    x += a.inner_x_v_step;
  }
  SaveAccumulators(vpu, s.stage);
}

void XcConv2dV2Kernel::OutputTransform(KernelContext& ctx, int group, int count, Scratch& s,
                                       uint8_t* output, int64_t y) const {
  Vpu& vpu = *ctx.vpu;
  const XcOutputTransformParams& o = data_.output_transform;
  ctx.scalar_slots += cost::kFunctionCall + cost::kOutputTransformScalar;
  vpu.Vsetc(VpuMode::kInt16);
  vpu.Vldr(s.stage.ring_vr.bytes);
  vpu.Vldd(s.stage.ring_vd.bytes);
  if (data_.output_transform_type == XcOutputTransformType::kChannelwise) {
    vpu.Vlsat(shifts_[static_cast<size_t>(group)].bytes);
  } else if (o.initial_shift > 0) {
    s.group_shift = Int16Splat(o.initial_shift);
    vpu.Vlsat(s.group_shift.bytes);
  } else {
    // To 16 bits unshifted, then a saturating left shift.
    vpu.Vlsat(kZeroShifts.bytes);
    vpu.Vstr(s.stage.shifted.bytes);
    vpu.Vlashr(s.stage.shifted.bytes, o.initial_shift);
  }
  vpu.Vlmul(multipliers_[static_cast<size_t>(group)].bytes);
  vpu.Vladd(biases_[static_cast<size_t>(group)].bytes);
  vpu.Vstr(s.stage.shifted.bytes);
  vpu.Vlashr(s.stage.shifted.bytes, o.final_shr);
  // lib_nn's VDEPTH8_FIXED: clamp(rhu(v, 8), -128, 127).
  StoreInt8WithMinus128(ctx, s.stage, reinterpret_cast<int8_t*>(s.out.bytes), count);
  if (y >= 0 && y + count <= data_.output_bytes) {
    std::memcpy(output + y, s.out.bytes, static_cast<size_t>(count));
  }
}

}  // namespace tinyserve::xs3
