// XC_slice on xs3 (XcSliceKernel).
#include "devices/xs3/xc/xc_data_movement_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"

namespace tinyserve::xs3 {

Lowering LowerXcSlice(const Model& model, const Operator& op) {
  return LowerFromPreparedData<XcSliceKernel, XcSliceData>(
      model, op, "XcSliceData", "XC_slice (strided row copies)", "exact: data movement");
}

}  // namespace tinyserve::xs3
