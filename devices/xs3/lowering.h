// Lowering: which xs3 kernel runs an operator, with what parameters, and why.
// Each Lower* function returns either a VPU kernel, or `op == nullptr` and a
// reason (the caller then runs the engine's reference kernel).
#ifndef TINYSERVE_DEVICES_XS3_LOWERING_H_
#define TINYSERVE_DEVICES_XS3_LOWERING_H_

#include <memory>
#include <optional>
#include <string>

#include "devices/xs3/lowered_op.h"
#include "devices/xs3/lowering_mode.h"
#include "devices/xs3/output_transform.h"
#include "engine/model.h"

namespace tinyserve::xs3 {

struct Lowering {
  std::unique_ptr<LoweredOp> op;  // nullptr: not lowered, see reason
  std::string kernel;             // e.g. "conv2d (im2col)"
  std::string reason;
  std::optional<OutputTransformKind> output_transform;
  std::optional<double> estimated_error;  // of the output transform, in LSBs
};

// CONV_2D and FULLY_CONNECTED (as a 1x1 conv), and DEPTHWISE_CONV_2D with one
// input channel (a dense conv whose output channels are the multiplier's).
Lowering LowerConv2D(const Model& model, const Operator& op,
                     LoweringMode mode = LoweringMode::kXmos);
Lowering LowerFullyConnected(const Model& model, const Operator& op,
                             LoweringMode mode = LoweringMode::kXmos);
Lowering LowerSingleChannelDepthwise(const Model& model, const Operator& op,
                                     LoweringMode mode = LoweringMode::kXmos);
// DEPTHWISE_CONV_2D (multiplier 1, or one input channel via LowerConv2D's
// kernel) and AVERAGE_POOL_2D without padding (a depthwise conv with unit
// weights and 1/(kh*kw) folded into the float multiplier, as xformer does).
Lowering LowerDepthwiseConv2D(const Model& model, const Operator& op,
                              LoweringMode mode = LoweringMode::kXmos);
Lowering LowerAveragePool2D(const Model& model, const Operator& op);
// ADD and SUB of same-shape int8 tensors (XC_add).
Lowering LowerAddSub(const Model& model, const Operator& op);
// MAX_POOL_2D with word-aligned channels (XC_maxpool2d): exact.
Lowering LowerMaxPool2D(const Model& model, const Operator& op);

// Dispatches on op.type; ops without an XS3 kernel get a reason only.
// In exact mode conv-like ops use the bit-exact output stage and the ops
// without one (AVERAGE_POOL_2D, ADD, SUB) stay on the reference kernel.
Lowering LowerOperator(const Model& model, const Operator& op,
                       LoweringMode mode = LoweringMode::kXmos);

// "not lowered: <why>" results.
inline Lowering NotLowered(std::string reason) {
  Lowering l;
  l.reason = std::move(reason);
  return l;
}

// An op whose prepared data is not the kind its lowering reads: a broken
// build, reported instead of misreading the data.
inline Lowering WrongPreparedData(const Operator& op, const std::string& expected) {
  return NotLowered("internal error: operator #" + std::to_string(op.index) +
                    "'s prepared data is not " + expected + "; left on the reference kernel");
}

// The output transform `choice` picked (kind, estimated error, reason), for a
// lowering whose kernel the caller adds when choice.chosen.
inline Lowering OutputTransformLowering(const OutputTransformChoice& choice) {
  Lowering l;
  l.output_transform = choice.params.kind;
  l.estimated_error = choice.params.estimated_error;
  l.reason = choice.reason;
  return l;
}

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_LOWERING_H_
