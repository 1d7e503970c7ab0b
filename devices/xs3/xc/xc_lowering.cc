#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcoreOp(const Model& model, const Operator& op) {
  switch (op.type) {
    case OpType::kXcConv2dV2: return LowerXcConv2dV2(model, op);
    case OpType::kXcPad: return LowerXcPad(model, op);
    case OpType::kXcPad3To4: return LowerXcPad3To4(model, op);
    case OpType::kXcPad1To4: return LowerXcPad1To4(model, op);
    case OpType::kXcSlice: return LowerXcSlice(model, op);
    case OpType::kXcNoOp: return LowerXcNoOp(model, op);
    case OpType::kXcAdd: return LowerXcAdd(model, op);
    case OpType::kXcLookup: return LowerXcLookup(model, op);
    case OpType::kXcSoftmax: return LowerXcSoftmax(model, op);
    default: return NotLowered("not an XMOS operator");
  }
}

}  // namespace tinyserve::xs3
