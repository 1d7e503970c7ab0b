#include "devices/xs3/reference_op.h"

#include "devices/xs3/cycle_model.h"

namespace tinyserve::xs3 {

int64_t EstimateReferenceSlots(const Model& model, const Operator& op, int64_t macs) {
  const TensorInfo& out = model.tensor(op.outputs[0]);
  const int64_t elements = out.num_elements();
  int64_t slots = cost::kFunctionCall;
  switch (op.type) {
    case OpType::kConv2D:
    case OpType::kDepthwiseConv2D:
    case OpType::kFullyConnected:
      slots += cost::kReferenceEval + macs * cost::kReferenceMac +
               elements * cost::kReferenceElement;
      break;
    case OpType::kSoftmax: {
      // Rows over the last dimension, as TFLM's Softmax walks them.
      const int64_t depth = out.shape.empty() ? 1 : out.shape.back();
      const int64_t rows = depth > 0 ? elements / depth : 0;
      slots += ReferenceSoftmaxSlots(rows, depth);
      break;
    }
    case OpType::kReshape:
      // TFLM's reshape copies the bytes (memcpy: an LDD and an STD per 8 bytes).
      slots += (static_cast<int64_t>(out.bytes) + 7) / 8 * cost::kWordCopy;
      break;
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D: {
      // Per output element, one load-accumulate per window tap.
      const auto& p = std::get<PoolOptions>(op.options);
      slots += cost::kReferenceEval +
               elements * (static_cast<int64_t>(p.filter_h) * p.filter_w * 3 +
                           cost::kReferenceElement);
      break;
    }
    default:
      slots += cost::kReferenceEval + elements * cost::kReferenceElement;
      break;
  }
  return slots;
}

}  // namespace tinyserve::xs3
