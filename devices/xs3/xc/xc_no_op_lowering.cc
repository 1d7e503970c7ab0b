// XC_no_op on xs3 (XcNoOpKernel).
#include "devices/xs3/xc/xc_data_movement_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcNoOp(const Model& model, const Operator& op) {
  const auto* data = OpDataAs<XcNoOpData>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, "XcNoOpData");
  Lowering l;
  l.op = std::make_unique<XcNoOpKernel>(data->bytes);
  l.kernel = "XC_no_op (nothing on the chip; a copy here)";
  l.reason = "exact: a reshape in place";
  return l;
}

}  // namespace tinyserve::xs3
