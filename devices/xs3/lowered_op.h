// One operator as the xs3 device runs it (a VPU kernel or the scalar
// reference fallback), and the per-session state a kernel runs against.
//
// Every lowered op is bound as a ContextEvalFn (EvalLoweredOp): the session
// constructs its Executor with its KernelContext, and the Executor hands it to
// each op explicitly.
#ifndef TINYSERVE_DEVICES_XS3_LOWERED_OP_H_
#define TINYSERVE_DEVICES_XS3_LOWERED_OP_H_

#include <cstddef>
#include <cstdint>

#include "devices/xs3/vpu.h"
#include "engine/kernels/kernel.h"

namespace tinyserve::xs3 {

// A session's working state for kernels: its VPU, its scratch memory (im2col
// patches, spilled accumulators; 32-byte aligned, sized for the largest op)
// and the scalar issue slots counted so far.
struct KernelContext : InvokeContext {
  Vpu* vpu = nullptr;
  uint8_t* scratch = nullptr;
  size_t scratch_bytes = 0;
  int64_t scalar_slots = 0;
  // 16-bit saturations that are part of a comparison trick rather than a
  // clamped value (the -128 detection's VLADD 0x7F80): the session subtracts
  // them from the reported saturation events.
  int64_t comparison_saturations = 0;
  // An op whose thread split is fixed by its file (an xcore-opt op with
  // per-thread parameters) runs its regions one after another and records the
  // issue slots of each here (VPU instructions + scalar slots of that region;
  // region_count = 0 for every other op). The cycle estimate takes the busiest
  // region as the op's multi-thread time. The session resets both per op.
  static constexpr int kMaxRegions = 8;
  int region_count = 0;
  int64_t region_slots[kMaxRegions] = {};
};

class LoweredOp : public OpData {
 public:
  virtual void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const = 0;
  // Scratch bytes Run needs (a multiple of 32).
  virtual size_t scratch_bytes() const { return 0; }
  // Equal units of work the op can be split into across threads (output rows
  // or channel groups); 1 when it runs on one thread only.
  virtual int64_t work_units() const { return 1; }
};

// The ContextEvalFn every lowered op is bound to: runs `data` (a LoweredOp)
// against `context` (the session's KernelContext).
void EvalLoweredOp(const OpData& data, InvokeContext& context, const void* const* inputs,
                   void* const* outputs);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_LOWERED_OP_H_
