// XC_pad on xs3 (XcPadKernel).
#include "devices/xs3/xc/xc_data_movement_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcPad(const Model& model, const Operator& op) {
  const auto* data = OpDataAs<XcPadData>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, "XcPadData");
  Lowering l;
  l.op = std::make_unique<XcPadKernel>(*data,
                                       static_cast<int64_t>(model.tensor(op.inputs[0]).bytes));
  l.kernel = "XC_pad (lib_nn vpu_memset_256 + row copies)";
  l.reason = "exact: data movement";
  return l;
}

}  // namespace tinyserve::xs3
