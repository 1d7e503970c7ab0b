// XC_add on xs3 (XcAddKernel).
#include "devices/xs3/xc/xc_elementwise_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcAdd(const Model& model, const Operator& op) {
  const auto* data = OpDataAs<XcAddData>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, "XcAddData");
  Lowering l;
  l.op = std::make_unique<XcAddKernel>(*data);
  l.kernel = "XC_add (lib_nn add_elementwise)";
  l.reason = "the file's 16-bit multipliers, bias and shift";
  return l;
}

}  // namespace tinyserve::xs3
