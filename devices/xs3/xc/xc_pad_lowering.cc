// XC_pad on xs3 (XcPadKernel).
#include "devices/xs3/xc/xc_data_movement_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcPad(const Model& model, const Operator& op) {
  return LowerFromPreparedData<XcPadKernel, XcPadData>(
      model, op, "XcPadData", "XC_pad (lib_nn vpu_memset_256 + row copies)",
      "exact: data movement");
}

}  // namespace tinyserve::xs3
