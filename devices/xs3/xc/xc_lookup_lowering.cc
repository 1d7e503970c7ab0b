// XC_lookup on xs3 (XcLookupKernel).
#include "devices/xs3/xc/xc_elementwise_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"
#include "devices/xs3/xc/xc_thread_split.h"

namespace tinyserve::xs3 {

Lowering LowerXcLookup(const Model& model, const Operator& op) {
  return LowerFromPreparedData<XcLookupKernel, XcLookupData>(
      model, op, "XcLookupData", "XC_lookup (lib_nn lookup8)", "exact: the file's table",
      XmosModelThreadCount(model));
}

}  // namespace tinyserve::xs3
