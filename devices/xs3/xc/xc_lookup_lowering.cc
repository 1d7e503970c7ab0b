// XC_lookup on xs3 (XcLookupKernel).
#include "devices/xs3/xc/xc_elementwise_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"
#include "devices/xs3/xc/xc_thread_split.h"

namespace tinyserve::xs3 {

Lowering LowerXcLookup(const Model& model, const Operator& op) {
  const auto* data = OpDataAs<XcLookupData>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, "XcLookupData");
  Lowering l;
  l.op = std::make_unique<XcLookupKernel>(*data, XmosModelThreadCount(model));
  l.kernel = "XC_lookup (lib_nn lookup8)";
  l.reason = "exact: the file's table";
  return l;
}

}  // namespace tinyserve::xs3
