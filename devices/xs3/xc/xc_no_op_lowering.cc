// XC_no_op on xs3 (XcNoOpKernel).
#include "devices/xs3/xc/xc_data_movement_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcNoOp(const Model& model, const Operator& op) {
  return LowerFromPreparedData<XcNoOpKernel, XcNoOpData>(
      model, op, "XcNoOpData", "XC_no_op (nothing on the chip; a copy here)",
      "exact: a reshape in place");
}

}  // namespace tinyserve::xs3
