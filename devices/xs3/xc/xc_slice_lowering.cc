// XC_slice on xs3 (XcSliceKernel).
#include "devices/xs3/xc/xc_data_movement_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcSlice(const Model& model, const Operator& op) {
  const auto* data = OpDataAs<XcSliceData>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, "XcSliceData");
  Lowering l;
  l.op = std::make_unique<XcSliceKernel>(*data,
                                         static_cast<int64_t>(model.tensor(op.inputs[0]).bytes));
  l.kernel = "XC_slice (strided row copies)";
  l.reason = "exact: data movement";
  return l;
}

}  // namespace tinyserve::xs3
