// XMOS's custom operators (xcore-opt output) on the xs3 device: each runs as
// the chip runs it (lib_nn's arithmetic through the emulated VPU, and its
// cycle cost), from the data its engine prepare decoded (engine/xcore_ops).
// An XMOS op has no reference fallback, so a lowering that fails here makes
// the model fail to compile for xs3, naming the op and the reason.
#ifndef TINYSERVE_DEVICES_XS3_XC_XC_LOWERING_H_
#define TINYSERVE_DEVICES_XS3_XC_XC_LOWERING_H_

#include <memory>

#include "devices/xs3/lowering.h"

namespace tinyserve::xs3 {

// Dispatches on op.type (an IsXcoreOp type).
Lowering LowerXcoreOp(const Model& model, const Operator& op);

Lowering LowerXcConv2dV2(const Model& model, const Operator& op);
Lowering LowerXcPad(const Model& model, const Operator& op);
Lowering LowerXcPad3To4(const Model& model, const Operator& op);
Lowering LowerXcPad1To4(const Model& model, const Operator& op);
Lowering LowerXcSlice(const Model& model, const Operator& op);
Lowering LowerXcNoOp(const Model& model, const Operator& op);
Lowering LowerXcAdd(const Model& model, const Operator& op);
Lowering LowerXcLookup(const Model& model, const Operator& op);
Lowering LowerXcSoftmax(const Model& model, const Operator& op);

// An op whose kernel is built from its prepared data `Data` (and `extra`
// constructor arguments, e.g. the model's thread count): `data_name` names
// Data in the error when the prepared data is of another kind.
template <typename Kernel, typename Data, typename... Extra>
Lowering LowerFromPreparedData(const Model& model, const Operator& op, const char* data_name,
                               const char* kernel, const char* reason, Extra... extra) {
  const auto* data = OpDataAs<Data>(model.op_data(op.index));
  if (data == nullptr) return WrongPreparedData(op, data_name);
  Lowering l;
  l.op = std::make_unique<Kernel>(*data, extra...);
  l.kernel = kernel;
  l.reason = reason;
  return l;
}

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XC_XC_LOWERING_H_
