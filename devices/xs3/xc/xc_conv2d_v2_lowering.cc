// XC_conv2d_v2 on xs3: the op's decoded lib_nn parameters (engine prepare)
// run by XcConv2dV2Kernel.
#include "devices/xs3/xc/xc_conv2d_v2_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"
#include "engine/xcore_ops/xcore_conv2d_v2.h"

namespace tinyserve::xs3 {

Lowering LowerXcConv2dV2(const Model& model, const Operator& op) {
  const auto* data = OpDataAs<XcConv2dV2Data>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, "XcConv2dV2Data");
  if (data->regions.size() > static_cast<size_t>(KernelContext::kMaxRegions)) {
    return NotLowered("more thread regions than the xs3 session records");
  }
  Lowering l;
  l.op = std::make_unique<XcConv2dV2Kernel>(*data, model.tensor(op.inputs[1]).data,
                                            model.tensor(op.inputs[2]).data);
  l.kernel = "XC_conv2d_v2 " + XcConvKernelTypeName(static_cast<int32_t>(data->kernel_type));
  l.output_transform = data->output_transform_type == XcOutputTransformType::kChannelwise
                           ? OutputTransformKind::kChannelwise
                           : OutputTransformKind::kGroup;
  l.reason = "xcore-opt's kernel, run as lib_nn runs it";
  return l;
}

}  // namespace tinyserve::xs3
