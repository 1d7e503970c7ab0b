// One operator as the xs3 device runs it (a VPU kernel or the scalar
// reference fallback), and the per-session state a kernel runs against.
//
// The engine's Executor calls kernels through EvalFn(OpData, inputs, outputs),
// which has no room for a session. The session therefore publishes its
// KernelContext in a thread_local for the duration of Invoke, and every
// lowered op is bound to EvalLoweredOp, which forwards to LoweredOp::Run.
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
struct KernelContext {
  Vpu* vpu = nullptr;
  uint8_t* scratch = nullptr;
  size_t scratch_bytes = 0;
  int64_t scalar_slots = 0;
  // 16-bit saturations that are part of a comparison trick rather than a
  // clamped value (the -128 detection's VLADD 0x7F80): the session subtracts
  // them from the reported saturation events.
  int64_t comparison_saturations = 0;
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

// Sets the current thread's context for the lifetime of the guard.
class ScopedKernelContext {
 public:
  explicit ScopedKernelContext(KernelContext* ctx);
  ~ScopedKernelContext();
  ScopedKernelContext(const ScopedKernelContext&) = delete;
  ScopedKernelContext& operator=(const ScopedKernelContext&) = delete;

 private:
  KernelContext* previous_;
};

// The EvalFn every lowered op is bound to: runs `data` (a LoweredOp) against
// the current thread's context.
void EvalLoweredOp(const OpData& data, const void* const* inputs, void* const* outputs);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_LOWERED_OP_H_
