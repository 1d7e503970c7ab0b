#include "devices/xs3/lowering.h"

#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerOperator(const Model& model, const Operator& op, LoweringMode mode) {
  if (mode == LoweringMode::kExact &&
      (op.type == OpType::kAveragePool2D || op.type == OpType::kAdd || op.type == OpType::kSub)) {
    return NotLowered(
        "exact lowering: no bit-exact XS3 kernel for this op (its rounding is not TFLite's); "
        "the reference kernel is exact");
  }
  // xcore-opt already chose these kernels; both modes run them as the chip does.
  if (IsXcoreOp(op.type)) return LowerXcoreOp(model, op);
  switch (op.type) {
    case OpType::kConv2D:
      return LowerConv2D(model, op, mode);
    case OpType::kFullyConnected:
      return LowerFullyConnected(model, op, mode);
    case OpType::kDepthwiseConv2D:
      return LowerDepthwiseConv2D(model, op, mode);
    case OpType::kAveragePool2D:
      return LowerAveragePool2D(model, op);
    case OpType::kMaxPool2D:
      return LowerMaxPool2D(model, op);
    case OpType::kAdd:
    case OpType::kSub:
      return LowerAddSub(model, op);
    default:
      return NotLowered("no XS3 kernel for this op type");
  }
}

}  // namespace tinyserve::xs3
