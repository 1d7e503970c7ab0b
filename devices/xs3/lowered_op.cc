#include "devices/xs3/lowered_op.h"

#include <cstdlib>

namespace tinyserve::xs3 {
namespace {
thread_local KernelContext* current_context = nullptr;
}  // namespace

ScopedKernelContext::ScopedKernelContext(KernelContext* ctx) : previous_(current_context) {
  current_context = ctx;
}

ScopedKernelContext::~ScopedKernelContext() { current_context = previous_; }

void EvalLoweredOp(const OpData& data, const void* const* inputs, void* const* outputs) {
  // Only an xs3 session binds this function, always inside a ScopedKernelContext.
  if (current_context == nullptr) std::abort();
  static_cast<const LoweredOp&>(data).Run(*current_context, inputs, outputs);
}

}  // namespace tinyserve::xs3
