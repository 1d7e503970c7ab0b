// An op the xs3 device runs as scalar code: the engine's exact reference
// kernel, charged with an estimate of the issue slots the same kernel would
// take on one xcore thread (TFLite Micro's reference kernels run there when
// xformer leaves an op alone, e.g. after "reverting to reference").
#ifndef TINYSERVE_DEVICES_XS3_REFERENCE_OP_H_
#define TINYSERVE_DEVICES_XS3_REFERENCE_OP_H_

#include <cstdint>

#include "devices/xs3/lowered_op.h"
#include "engine/model.h"

namespace tinyserve::xs3 {

class ReferenceOp : public LoweredOp {
 public:
  ReferenceOp(EvalFn eval, const OpData* data, int64_t slots)
      : eval_(eval), data_(data), slots_(slots) {}

  void Run(KernelContext& ctx, const void* const* inputs, void* const* outputs) const override {
    eval_(*data_, inputs, outputs);
    ctx.scalar_slots += slots_;
  }

 private:
  EvalFn eval_;
  const OpData* data_;  // the model's prepared data (the Model outlives the executable)
  int64_t slots_;
};

// Scalar issue slots of `op`'s reference kernel on one thread: per MAC for
// conv-like ops, per element otherwise (cycle_model.h constants).
int64_t EstimateReferenceSlots(const Model& model, const Operator& op, int64_t macs);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_REFERENCE_OP_H_
