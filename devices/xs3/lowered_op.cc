#include "devices/xs3/lowered_op.h"

namespace tinyserve::xs3 {

void EvalLoweredOp(const OpData& data, InvokeContext& context, const void* const* inputs,
                   void* const* outputs) {
  // Only Xs3Executable binds this function, always with LoweredOps, and only
  // Xs3Session runs them, always with its KernelContext: both casts are
  // checked (a mismatch throws std::bad_cast rather than misreading memory).
  dynamic_cast<const LoweredOp&>(data).Run(dynamic_cast<KernelContext&>(context), inputs,
                                           outputs);
}

}  // namespace tinyserve::xs3
