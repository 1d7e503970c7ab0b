#include "devices/xs3/depthwise_kernel.h"

#include <algorithm>
#include <cstring>

#include "devices/xs3/cycle_model.h"
#include "devices/xs3/vector_memory.h"

namespace tinyserve::xs3 {
namespace {

struct Scratch {
  OutputStageScratch stage;
  Vector32 spill;
  Vector32 padding;  // 32 copies of the input zero point
};

}  // namespace

DepthwiseKernel::DepthwiseKernel(const ConvShape& shape, absl::Span<const int8_t> weights,
                                 const OutputTransformParams& output_transform)
    : shape_(shape),
      weights_(ReorderDepthwiseWeights(weights, shape.geometry.filter_h * shape.geometry.filter_w,
                                       shape.geometry.out_c)),
      output_transform_(output_transform) {}

DepthwiseKernel::DepthwiseKernel(const ConvShape& shape, absl::Span<const int8_t> weights,
                                 ExactOutputProgram exact)
    : shape_(shape),
      weights_(ReorderDepthwiseWeights(weights, shape.geometry.filter_h * shape.geometry.filter_w,
                                       shape.geometry.out_c)),
      exact_(std::move(exact)) {}

bool DepthwiseKernel::padded() const {
  const WindowGeometry& g = shape_.geometry;
  return g.pad_top > 0 || g.pad_left > 0 ||
         (g.out_h - 1) * g.stride_h + (g.filter_h - 1) * g.dilation_h - g.pad_top >= g.in_h ||
         (g.out_w - 1) * g.stride_w + (g.filter_w - 1) * g.dilation_w - g.pad_left >= g.in_w;
}

size_t DepthwiseKernel::patch_offset() const {
  return sizeof(Scratch) + (exact_ ? sizeof(ExactStageScratch) : 0);
}

size_t DepthwiseKernel::scratch_bytes() const {
  const size_t taps = static_cast<size_t>(shape_.geometry.filter_h) * shape_.geometry.filter_w;
  return patch_offset() + (padded() ? taps * sizeof(Vector32) : 0);
}

int64_t DepthwiseKernel::work_units() const {
  return ConvWorkUnits(shape_.geometry, weights_.groups);
}

void DepthwiseKernel::Run(KernelContext& ctx, const void* const* inputs,
                          void* const* outputs) const {
  const WindowGeometry& g = shape_.geometry;
  Vpu& vpu = *ctx.vpu;
  auto& scratch = *reinterpret_cast<Scratch*>(ctx.scratch);
  auto& exact_scratch = *reinterpret_cast<ExactStageScratch*>(ctx.scratch + sizeof(Scratch));
  auto* patch = reinterpret_cast<Vector32*>(ctx.scratch + patch_offset());
  const bool copy_patch = padded();
  const auto* input = static_cast<const int8_t*>(inputs[0]);
  const int8_t* input_end = input + static_cast<int64_t>(g.batches) * g.in_h * g.in_w * g.in_c;
  auto* output = static_cast<int8_t*>(outputs[0]);

  ctx.scalar_slots += cost::kFunctionCall + cost::kConvEval;
  std::memset(scratch.padding.bytes, shape_.input_zero_point, sizeof(scratch.padding.bytes));
  ctx.scalar_slots += 8 * cost::kWordFill;
  if (exact_) ClearExactStageScratch(ctx, exact_scratch);
  // xformer pads a padded depthwise with an XC_pad op and runs it as
  // DepthwiseConv2DValidDirect ("k" = 3 on every vww depthwise): the kernel
  // reads its taps in place (memcpyfn_deref), no patch copy.
  ctx.scalar_slots += ImplicitPadSlots(g.batches, g.in_h, g.in_w, g.in_c, g.out_h, g.out_w,
                                       g.filter_h, g.filter_w, g.stride_h, g.stride_w,
                                       g.dilation_h, g.dilation_w, g.pad_top, g.pad_left);
  const int64_t group_slots =
      cost::kChannelGroupLoop + DepthwiseGroupSlots(g.filter_h, g.filter_w);
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        ctx.scalar_slots += cost::kPixelLoop;
        int8_t* out_pixel = output + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * g.out_c;
        for (int group = 0; group < weights_.groups; ++group) {
          ctx.scalar_slots += group_slots;
          const int first = group * kChannelsPerGroup;
          BeginGroupAccumulation(vpu, exact_, group);
          for (int ky = 0; ky < g.filter_h; ++ky) {
            const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
            for (int kx = 0; kx < g.filter_w; ++kx) {
              const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
              ctx.scalar_slots += cost::kDepthwiseTap;
              const uint8_t* source = scratch.padding.bytes;
              if (iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w) {
                source = LoadableVector(
                    input + ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.in_c + first,
                    input_end, scratch.spill);
              }
              if (copy_patch) {
                // An emulation detail, charged no slots: the chip reads the
                // XC_pad output in place (ImplicitPadSlots above); gathering
                // the border taps here gives the same values.
                Vector32& dst = patch[ky * g.filter_w + kx];
                std::memcpy(dst.bytes, source, kChannelsPerGroup);
                source = dst.bytes;
              }
              vpu.Vldc(source);
              vpu.Vlmacc(weights_.row(group, ky * g.filter_w + kx)->bytes);
            }
          }
          RunGroupOutputStage(ctx, exact_, output_transform_, group, exact_scratch, scratch.stage,
                              out_pixel + first, std::min(kChannelsPerGroup, g.out_c - first));
        }
      }
    }
  }
  ClampOutputs(shape_, output, static_cast<int64_t>(g.batches) * g.out_h * g.out_w * g.out_c,
               ctx.scalar_slots);
}

}  // namespace tinyserve::xs3
