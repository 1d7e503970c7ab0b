// XC_pad_3_to_4 and XC_pad_1_to_4 on xs3 (XcPadTo4Kernel).
#include "devices/xs3/xc/xc_data_movement_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcPad3To4(const Model& model, const Operator& op) {
  return LowerFromPreparedData<XcPadTo4Kernel, XcPadTo4Data>(
      model, op, "XcPadTo4Data", "XC_pad_3_to_4 (lib_nn pad_3_to_4)", "exact: data movement");
}

Lowering LowerXcPad1To4(const Model& model, const Operator& op) {
  return LowerFromPreparedData<XcPadTo4Kernel, XcPadTo4Data>(
      model, op, "XcPadTo4Data", "XC_pad_1_to_4 (lib_nn pad_1_to_4)", "exact: data movement");
}

}  // namespace tinyserve::xs3
