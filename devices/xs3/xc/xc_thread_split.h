// How XMOS's runtime splits an element-wise XC op (XC_lookup, XC_softmax)
// over the threads an xformed model was compiled for, and the per-region slot
// accounting every XC kernel reports (KernelContext::region_*).
#ifndef TINYSERVE_DEVICES_XS3_XC_XC_THREAD_SPLIT_H_
#define TINYSERVE_DEVICES_XS3_XC_XC_THREAD_SPLIT_H_

#include <cstdint>
#include <vector>

#include "devices/xs3/lowered_op.h"
#include "engine/model.h"

namespace tinyserve::xs3 {

struct ElementRange {
  int64_t begin = 0;
  int64_t end = 0;
};

// lib_nn's aligned thread split (facts from lib_nn nn_operator.c,
// calculateThreadSplit with alignment 4): at most ceil(size / 4) threads, as
// even a split as possible, then every region but the first starts at a
// multiple of 4 (rounded up when the remainder exceeds 1, else down) and the
// previous region ends there. Always at least one region (empty for size 0).
std::vector<ElementRange> AlignedThreadSplit(int threads, int64_t size);

// The thread count `model` was compiled for: what xcore-opt recorded in the
// file's "xcoreSharedConfig" metadata (Graph::xcore_thread_count). A file
// without that metadata (older xformer) gets the most per-thread regions any
// XC_conv2d_v2 has (every such op is split over the model's threads where its
// output allows), 1 when there is none.
int XmosModelThreadCount(const Model& model);

// Issue slots this thread has used so far (VPU instructions + scalar slots).
inline int64_t IssuedSlots(const KernelContext& ctx) {
  return ctx.vpu->counters().vpu_instructions + ctx.scalar_slots;
}

// Records `slots` as region `region`'s (region_count becomes at least
// region + 1): an XC op's split is fixed by its file, so it reports each
// thread's work rather than letting the estimate split it. An op that runs on
// one thread records one region.
void RecordRegion(KernelContext& ctx, int region, int64_t slots);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XC_XC_THREAD_SPLIT_H_
