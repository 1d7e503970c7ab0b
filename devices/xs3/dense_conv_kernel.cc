#include "devices/xs3/dense_conv_kernel.h"

#include <algorithm>
#include <cstring>

#include "devices/xs3/cycle_model.h"
#include "devices/xs3/vector_memory.h"

namespace tinyserve::xs3 {
namespace {

// Scratch layout: the output stage's vectors, a spill vector for loads at the
// end of the input, then the im2col patch (whole chunks).
struct Scratch {
  OutputStageScratch stage;
  Vector32 spill;
};

// xformer needs whole words per input pixel and pads a 3-channel input to 4
// (XC_pad_3_to_4, xs3.md §2.1): the conv then reads 4-byte taps whose 4th
// weight is 0 (the arithmetic is unchanged, K grows from 27 to 36 for a 3x3).
int TapChannels(const ConvShape& shape, bool pad_3_to_4) {
  return pad_3_to_4 && shape.geometry.in_c == 3 ? 4 : shape.geometry.in_c;
}

DenseWeights ReorderPadded(const ConvShape& shape, absl::Span<const int8_t> weights, int tap_c) {
  const WindowGeometry& g = shape.geometry;
  const int taps = g.filter_h * g.filter_w;
  if (tap_c == g.in_c) return ReorderDenseWeights(weights, g.out_c, taps * g.in_c);
  std::vector<int8_t> padded(static_cast<size_t>(g.out_c) * taps * tap_c, 0);
  for (int o = 0; o < g.out_c; ++o) {
    for (int t = 0; t < taps; ++t) {
      for (int c = 0; c < g.in_c; ++c) {
        padded[(static_cast<size_t>(o) * taps + t) * tap_c + c] =
            weights[(static_cast<size_t>(o) * taps + t) * g.in_c + c];
      }
    }
  }
  return ReorderDenseWeights(padded, g.out_c, taps * tap_c);
}

// A 1x1 conv reads its patches straight from the input when each pixel is
// whole words: VLDC needs 4-byte-aligned operands (xformer requires input bytes
// per pixel to be a multiple of 4 for the same reason). Otherwise im2col copies
// each patch into the aligned scratch.
bool ReadsInputDirectly(const ConvShape& shape, int tap_c) {
  const WindowGeometry& g = shape.geometry;
  return g.filter_h == 1 && g.filter_w == 1 && tap_c == g.in_c && g.in_c % 4 == 0;
}

}  // namespace

DenseConvKernel::DenseConvKernel(const ConvShape& shape, absl::Span<const int8_t> weights,
                                 const OutputTransformParams& output_transform, bool pad_3_to_4)
    : shape_(shape),
      tap_c_(TapChannels(shape, pad_3_to_4)),
      weights_(ReorderPadded(shape, weights, tap_c_)),
      output_transform_(output_transform),
      direct_(ReadsInputDirectly(shape, tap_c_)) {}

DenseConvKernel::DenseConvKernel(const ConvShape& shape, absl::Span<const int8_t> weights,
                                 ExactOutputProgram exact, bool pad_3_to_4)
    : shape_(shape),
      tap_c_(TapChannels(shape, pad_3_to_4)),
      weights_(ReorderPadded(shape, weights, tap_c_)),
      exact_(std::move(exact)),
      direct_(ReadsInputDirectly(shape, tap_c_)) {}

size_t DenseConvKernel::exact_scratch_bytes() const {
  return exact_ ? sizeof(ExactStageScratch) : 0;
}

size_t DenseConvKernel::scratch_bytes() const {
  return sizeof(Scratch) + exact_scratch_bytes() +
         (direct_ ? 0 : static_cast<size_t>(weights_.chunks) * 32);
}

int64_t DenseConvKernel::work_units() const {
  return ConvWorkUnits(shape_.geometry, weights_.groups);
}

void DenseConvKernel::Im2col(KernelContext& /*ctx*/, const int8_t* input, int b, int oy, int ox,
                             int8_t* patch) const {
  // Its slots (lib_nn's memcpy_fn_valid.S) are charged per pixel in Run.
  const WindowGeometry& g = shape_.geometry;
  const int64_t tap_bytes = tap_c_;
  for (int ky = 0; ky < g.filter_h; ++ky) {
    const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
    const int ix0 = ox * g.stride_w - g.pad_left;
    const int ix_last = ix0 + (g.filter_w - 1) * g.dilation_w;
    const bool row_inside = iy >= 0 && iy < g.in_h && ix0 >= 0 && ix_last < g.in_w;
    if (row_inside && g.dilation_w == 1 && tap_c_ == g.in_c) {
      // The whole row of taps is one contiguous copy.
      const int64_t bytes = g.filter_w * tap_bytes;
      std::memcpy(patch, input + ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix0) * g.in_c,
                  bytes);
      patch += bytes;
      continue;
    }
    for (int kx = 0; kx < g.filter_w; ++kx) {
      const int ix = ix0 + kx * g.dilation_w;
      if (iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w) {
        std::memcpy(patch, input + ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.in_c,
                    g.in_c);
        if (tap_bytes > g.in_c) std::memset(patch + g.in_c, 0, tap_bytes - g.in_c);
      } else {
        std::memset(patch, shape_.input_zero_point, tap_bytes);
      }
      patch += tap_bytes;
    }
  }
}

void DenseConvKernel::Run(KernelContext& ctx, const void* const* inputs,
                          void* const* outputs) const {
  const WindowGeometry& g = shape_.geometry;
  Vpu& vpu = *ctx.vpu;
  auto& scratch = *reinterpret_cast<Scratch*>(ctx.scratch);
  auto& exact_scratch = *reinterpret_cast<ExactStageScratch*>(ctx.scratch + sizeof(Scratch));
  auto* patch_buffer =
      reinterpret_cast<int8_t*>(ctx.scratch + sizeof(Scratch) + exact_scratch_bytes());
  const auto* input = static_cast<const int8_t*>(inputs[0]);
  const int8_t* input_end = input + static_cast<int64_t>(g.batches) * g.in_h * g.in_w * g.in_c;
  auto* output = static_cast<int8_t*>(outputs[0]);

  ctx.scalar_slots += cost::kFunctionCall + cost::kConvEval;
  if (tap_c_ != g.in_c) {
    // The XC_pad_3_to_4 op xformer runs before this conv.
    ctx.scalar_slots += Pad3To4Slots(static_cast<int64_t>(g.batches) * g.in_h * g.in_w);
  }
  // The XC_pad xformer runs before a padded conv, whose valid-window kernel
  // then never meets the image border.
  ctx.scalar_slots += ImplicitPadSlots(g.batches, g.in_h, g.in_w, tap_c_, g.out_h, g.out_w,
                                       g.filter_h, g.filter_w, g.stride_h, g.stride_w,
                                       g.dilation_h, g.dilation_w, g.pad_top, g.pad_left);
  // What lib_nn runs per pixel and per channel group (xs3.md "NN"): whole
  // 32-byte input chunks per tap take the direct aggregate straight from the
  // input (Conv2DValidDirect); anything else gathers the patch with
  // memcpy_fn_valid.S and runs the generic aggregate (Conv2DValidIndirect).
  const bool xmos_direct = tap_c_ == g.in_c && g.in_c % 32 == 0;
  const int64_t taps = static_cast<int64_t>(g.filter_h) * g.filter_w;
  const int64_t tap_chunks = (tap_c_ + 31) / 32;
  const int64_t pixel_slots =
      cost::kPixelLoop +
      (xmos_direct ? cost::kDerefCall
                   : cost::kIm2colCall + g.filter_h * cost::kKernelRowLoop +
                         taps * (cost::kIm2colTap + 3 * (tap_chunks - 1)));
  const int64_t group_slots =
      cost::kChannelGroupLoop + cost::kAggregateCall +
      (xmos_direct ? g.filter_h * (2 + 2 * static_cast<int64_t>(g.filter_w)) - 4
                   : cost::kGenericAggregateExtra);
  if (exact_) ClearExactStageScratch(ctx, exact_scratch);
  if (!direct_) {
    // The patch tail past K meets zero weights; clear it once (lib_nn's
    // memcpy_fn_valid.S stores the zero tail in its exit, in kIm2colCall).
    std::memset(patch_buffer, 0, static_cast<size_t>(weights_.chunks) * 32);
  }
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        ctx.scalar_slots += pixel_slots;
        const int8_t* patch;
        const int8_t* patch_end;
        if (direct_) {
          const int iy = oy * g.stride_h, ix = ox * g.stride_w;
          patch = input + ((static_cast<int64_t>(b) * g.in_h + iy) * g.in_w + ix) * g.in_c;
          patch_end = input_end;
        } else {
          Im2col(ctx, input, b, oy, ox, patch_buffer);
          patch = patch_buffer;
          patch_end = patch_buffer + static_cast<int64_t>(weights_.chunks) * 32;
        }
        int8_t* out_pixel = output + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * g.out_c;
        for (int group = 0; group < weights_.groups; ++group) {
          ctx.scalar_slots += group_slots;
          BeginGroupAccumulation(vpu, exact_, group);
          for (int chunk = 0; chunk < weights_.chunks; ++chunk) {
            ctx.scalar_slots += cost::kChunkLoop;
            vpu.Vldc(LoadableVector(patch + chunk * 32, patch_end, scratch.spill));
            for (int r = 0; r < kChannelsPerGroup; ++r) vpu.Vlmaccr(weights_.row(group, chunk, r)->bytes);
          }
          const int first = group * kChannelsPerGroup;
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
