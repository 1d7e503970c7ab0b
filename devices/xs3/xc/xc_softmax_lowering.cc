// XC_softmax on xs3 (XcSoftmaxKernel).
#include "devices/xs3/xc/xc_elementwise_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"
#include "devices/xs3/xc/xc_thread_split.h"

namespace tinyserve::xs3 {

Lowering LowerXcSoftmax(const Model& model, const Operator& op) {
  const auto* data = OpDataAs<XcSoftmaxData>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, "XcSoftmaxData");
  Lowering l;
  l.op = std::make_unique<XcSoftmaxKernel>(*data, XmosModelThreadCount(model));
  l.kernel = "XC_softmax (lib_nn float exp table)";
  l.reason = "the file's exp table, float arithmetic in lib_nn's order";
  return l;
}

}  // namespace tinyserve::xs3
