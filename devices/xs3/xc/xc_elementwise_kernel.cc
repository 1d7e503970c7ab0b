#include "devices/xs3/xc/xc_elementwise_kernel.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "devices/xs3/cycle_model.h"
#include "devices/xs3/xc/xc_thread_split.h"

namespace tinyserve::xs3 {
namespace {

AddParams ToAddParams(const XcAddData& data) {
  AddParams p;
  p.m1 = data.m1;
  p.m2 = data.m2;
  p.bias = data.bias;
  p.shift = data.shift;
  return p;
}

// lib_nn's softmax output: roundf, minus 128, clamped, then the host's
// float-to-int conversion (a NaN becomes 0x80000000, whose low byte is 0).
int8_t SoftmaxOutput(float exp_value, float inv_sum) {
  const float v = std::round(exp_value * inv_sum) - 128.0f;
  if (v > 127.0f) return 127;
  if (v < -128.0f) return -128;
  if (std::isnan(v)) return 0;
  return static_cast<int8_t>(static_cast<int32_t>(v));
}

// lib_tflite_micro keeps one partial sum per thread in a float[5]; each
// region's own work is counted here, forking and joining is the estimate's.
constexpr int kMaxSoftmaxThreads = 5;  // lib_tflite_micro's sums[5]

}  // namespace

XcAddKernel::XcAddKernel(const XcAddData& data)
    : add_(data.elements, ToAddParams(data), std::nullopt) {}

void XcAddKernel::Run(KernelContext& ctx, const void* const* inputs,
                      void* const* outputs) const {
  const int64_t before = IssuedSlots(ctx);
  add_.Run(ctx, inputs, outputs);  // charges XC_add's Eval itself
  RecordRegion(ctx, 0, IssuedSlots(ctx) - before);
}

void XcLookupKernel::Run(KernelContext& ctx, const void* const* inputs,
                         void* const* outputs) const {
  const auto* in = static_cast<const uint8_t*>(inputs[0]);
  auto* out = static_cast<uint8_t*>(outputs[0]);
  // TM xcore_lookup.cc: the Eval and thread_call on the calling thread, then
  // per thread the worker and lookup8.S over its range.
  ctx.scalar_slots += cost::kElementwiseEval + cost::kThreadCall;
  const std::vector<ElementRange> split = AlignedThreadSplit(threads_, data_.elements);
  for (size_t t = 0; t < split.size(); ++t) {
    for (int64_t i = split[t].begin; i < split[t].end; ++i) out[i] = data_.table[in[i]];
    const int64_t slots = cost::kFunctionCall + Lookup8Slots(split[t].end - split[t].begin);
    ctx.scalar_slots += slots;
    RecordRegion(ctx, static_cast<int>(t), slots);
  }
}

void XcSoftmaxKernel::Run(KernelContext& ctx, const void* const* inputs,
                          void* const* outputs) const {
  const auto* in = static_cast<const int8_t*>(inputs[0]);
  auto* out = static_cast<int8_t*>(outputs[0]);
  const std::vector<ElementRange> split =
      AlignedThreadSplit(std::min(threads_, kMaxSoftmaxThreads), data_.elements);
  // TM xcore_softmax.cc: the Eval, two thread_calls (exp-sum, then exp-div)
  // and softmax_calculate_inv_sum between them on the calling thread; per
  // thread its two workers over its range (lib_nn softmax.c).
  ctx.scalar_slots += cost::kElementwiseEval + 2 * cost::kThreadCall + cost::kSoftmaxInvSum;
  float sums[kMaxSoftmaxThreads] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  for (size_t t = 0; t < split.size(); ++t) {
    float sum = 0.0f;
    for (int64_t i = split[t].begin; i < split[t].end; ++i) sum += data_.table[in[i] + 128];
    sums[t] = sum;
  }
  const float inv_sum = 1.0f / (sums[0] + sums[1] + sums[2] + sums[3] + sums[4]) * 256.0f;
  for (size_t t = 0; t < split.size(); ++t) {
    for (int64_t i = split[t].begin; i < split[t].end; ++i) {
      out[i] = SoftmaxOutput(data_.table[in[i] + 128], inv_sum);
    }
    const int64_t slots =
        2 * cost::kFunctionCall + (split[t].end - split[t].begin) *
                                      (cost::kSoftmaxSumElement + cost::kSoftmaxDivElement);
    ctx.scalar_slots += slots;
    RecordRegion(ctx, static_cast<int>(t), slots);
  }
}

}  // namespace tinyserve::xs3
