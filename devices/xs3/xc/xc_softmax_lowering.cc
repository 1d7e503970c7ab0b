// XC_softmax on xs3 (XcSoftmaxKernel).
#include "devices/xs3/xc/xc_elementwise_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"
#include "devices/xs3/xc/xc_thread_split.h"

namespace tinyserve::xs3 {

Lowering LowerXcSoftmax(const Model& model, const Operator& op) {
  return LowerFromPreparedData<XcSoftmaxKernel, XcSoftmaxData>(
      model, op, "XcSoftmaxData", "XC_softmax (lib_nn float exp table)",
      "the file's exp table, float arithmetic in lib_nn's order", XmosModelThreadCount(model));
}

}  // namespace tinyserve::xs3
