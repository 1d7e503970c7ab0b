// Lowering of same-shape int8 ADD / SUB onto AddKernel (XC_add).
#include "devices/xs3/add_kernel.h"
#include "devices/xs3/lowering.h"
#include "engine/kernels/add_sub.h"

namespace tinyserve::xs3 {

Lowering LowerAddSub(const Model& model, const Operator& op) {
  const AddSubData* prepared = OpDataAs<AddSubData>(model.op_data(op.index));
  if (prepared == nullptr) return WrongPreparedData(op, "AddSubData");
  const AddSubData& data = *prepared;
  if (!data.broadcast.same_shape) return NotLowered("broadcasting ADD/SUB has no XS3 kernel");
  const TensorInfo& in1 = model.tensor(op.inputs[0]);
  const TensorInfo& in2 = model.tensor(op.inputs[1]);
  const TensorInfo& out = model.tensor(op.outputs[0]);
  if (in1.type != DataType::kInt8) return NotLowered("only int8 ADD/SUB has an XS3 kernel");
  const bool subtract = op.type == OpType::kSub;
  const auto params = DeriveAddParams(
      in1.quantization.scale(), in1.quantization.zero_point(), in2.quantization.scale(),
      in2.quantization.zero_point(), out.quantization.scale(), out.quantization.zero_point(),
      subtract);
  if (!params) return NotLowered("scale ratio outside the XC_add shift range");
  const ActivationRange act = data.activation;
  std::optional<ActivationRange> clamp;
  if (act.min > -128 || act.max < 127) clamp = act;
  Lowering l;
  l.op = std::make_unique<AddKernel>(out.num_elements(), *params, clamp);
  l.kernel = subtract ? "sub (XC_add with negated m2)" : "add (XC_add)";
  l.reason = "element-wise with 16-bit multipliers and a 32-bit bias";
  return l;
}

}  // namespace tinyserve::xs3
