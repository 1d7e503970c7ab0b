#include "devices/xs3/max_pool_kernel.h"

#include <algorithm>
#include <cstring>

#include "devices/xs3/conv_geometry.h"
#include "devices/xs3/cycle_model.h"
#include "devices/xs3/vector_memory.h"
#include "devices/xs3/weight_layout.h"

namespace tinyserve::xs3 {
namespace {

// Scalar work specific to this kernel, in issue slots (cycle_model.h units).
// VSTRPV takes its mask from a general register: after VDEPTH1 and a VSTR
// (counted by the VPU), one LDW brings the mask word back.
constexpr int64_t kMaskWordLoad = 1;
// Per output pixel: clipping the window to the image (two max, two min).
constexpr int64_t kWindowClip = 4;

struct Scratch {
  Vector32 running_max;
  Vector32 mask;   // VDEPTH1's word, stored for the LDW
  Vector32 spill;  // a zero-padded copy of a load that would leave the tensor
  Vector32 floor;  // 32 x the activation's minimum (-128 without one)
  Vector32 ceiling;  // 32 x the activation's maximum
};

// Lanes of `running_max` where `candidate` is greater take candidate's value
// (`lower` false); with `lower` true, lanes where candidate is smaller do.
void ReplaceWhere(KernelContext& ctx, Scratch& s, const void* candidate, bool lower) {
  Vpu& vpu = *ctx.vpu;
  if (lower) {
    vpu.Vldr(s.running_max.bytes);
    vpu.Vlsub(candidate);  // S8(candidate - max) < 0 where max > candidate
  } else {
    vpu.Vldr(candidate);
    vpu.Vlsub(s.running_max.bytes);  // S8(max - candidate) < 0 where candidate > max
  }
  vpu.Vdepth1();
  vpu.Vstr(s.mask.bytes);
  uint32_t mask;
  std::memcpy(&mask, s.mask.bytes, sizeof(mask));
  ctx.scalar_slots += kMaskWordLoad;
  vpu.Vldr(candidate);
  vpu.Vstrpv(s.running_max.bytes, mask);
}

}  // namespace

MaxPoolKernel::MaxPoolKernel(const WindowGeometry& geometry, ActivationRange activation)
    : geometry_(geometry),
      activation_(activation),
      blocks_(CeilDiv(geometry.in_c, kMaxPoolLanes)) {}

size_t MaxPoolKernel::scratch_bytes() const { return sizeof(Scratch); }

int64_t MaxPoolKernel::work_units() const { return ConvWorkUnits(geometry_, blocks_); }

void MaxPoolKernel::Run(KernelContext& ctx, const void* const* inputs,
                        void* const* outputs) const {
  const WindowGeometry& g = geometry_;
  Vpu& vpu = *ctx.vpu;
  auto& scratch = *reinterpret_cast<Scratch*>(ctx.scratch);
  const auto* input = static_cast<const int8_t*>(inputs[0]);
  const int8_t* input_end = input + static_cast<int64_t>(g.batches) * g.in_h * g.in_w * g.in_c;
  auto* output = static_cast<int8_t*>(outputs[0]);
  const bool raise_to_min = activation_.min > -128;
  const bool lower_to_max = activation_.max < 127;

  ctx.scalar_slots += cost::kFunctionCall;
  std::memset(scratch.floor.bytes, static_cast<int8_t>(activation_.min), sizeof(Vector32));
  std::memset(scratch.ceiling.bytes, static_cast<int8_t>(activation_.max), sizeof(Vector32));
  ctx.scalar_slots += 8 * cost::kWordFill * (int{raise_to_min} + int{lower_to_max});
  vpu.Vsetc(VpuMode::kInt8);
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = oy * g.stride_h - g.pad_top;
      const int y_begin = std::max(0, -y0), y_end = std::min(g.filter_h, g.in_h - y0);
      for (int ox = 0; ox < g.out_w; ++ox) {
        ctx.scalar_slots += cost::kPixelLoop + kWindowClip;
        const int x0 = ox * g.stride_w - g.pad_left;
        const int x_begin = std::max(0, -x0), x_end = std::min(g.filter_w, g.in_w - x0);
        const bool empty = y_begin >= y_end || x_begin >= x_end;
        int8_t* out_pixel =
            output + ((static_cast<int64_t>(b) * g.out_h + oy) * g.out_w + ox) * g.in_c;
        for (int block = 0; block < blocks_; ++block) {
          ctx.scalar_slots += cost::kChannelGroupLoop;
          const int first = block * kMaxPoolLanes;
          // Starting from the first tap saves a step unless the activation's
          // minimum must be part of the max (or no tap lies in the image).
          bool started = false;
          if (raise_to_min || empty) {
            vpu.Vldr(scratch.floor.bytes);
            vpu.Vstr(scratch.running_max.bytes);
            started = true;
          }
          for (int fy = y_begin; fy < y_end; ++fy) {
            for (int fx = x_begin; fx < x_end; ++fx) {
              // The branch, and the fetch stalls of a tap's ~9 bundles of
              // which 6 access memory (VLDR, VLSUB, VSTR, LDW, VLDR, VSTRPV).
              ctx.scalar_slots += cost::kDepthwiseTap + FetchStalls(9, 6);
              const int8_t* tap =
                  input + ((static_cast<int64_t>(b) * g.in_h + y0 + fy) * g.in_w + x0 + fx) * g.in_c +
                  first;
              const uint8_t* vector = LoadableVector(tap, input_end, scratch.spill);
              if (!started) {
                vpu.Vldr(vector);
                vpu.Vstr(scratch.running_max.bytes);
                started = true;
              } else {
                ReplaceWhere(ctx, scratch, vector, /*lower=*/false);
              }
            }
          }
          if (lower_to_max) ReplaceWhere(ctx, scratch, scratch.ceiling.bytes, /*lower=*/true);
          const int lanes = std::min(kMaxPoolLanes, g.in_c - first);
          vpu.Vldr(scratch.running_max.bytes);
          vpu.Vstrpv(out_pixel + first,
                     lanes == kMaxPoolLanes ? 0xFFFFFFFFu : (uint32_t{1} << lanes) - 1);
        }
      }
    }
  }
}

}  // namespace tinyserve::xs3
