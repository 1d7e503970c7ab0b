// XC_pad_3_to_4 and XC_pad_1_to_4 on xs3 (XcPadTo4Kernel).
#include "devices/xs3/xc/xc_data_movement_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {
namespace {

Lowering LowerPadTo4(const Model& model, const Operator& op, const char* kernel) {
  const auto* data = OpDataAs<XcPadTo4Data>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, "XcPadTo4Data");
  Lowering l;
  l.op = std::make_unique<XcPadTo4Kernel>(*data);
  l.kernel = kernel;
  l.reason = "exact: data movement";
  return l;
}

}  // namespace

Lowering LowerXcPad3To4(const Model& model, const Operator& op) {
  return LowerPadTo4(model, op, "XC_pad_3_to_4 (lib_nn pad_3_to_4)");
}

Lowering LowerXcPad1To4(const Model& model, const Operator& op) {
  return LowerPadTo4(model, op, "XC_pad_1_to_4 (lib_nn pad_1_to_4)");
}

}  // namespace tinyserve::xs3
