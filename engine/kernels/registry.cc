// The reference kernel of every op the engine runs.
#include "engine/kernels/add_sub.h"
#include "engine/kernels/concatenation.h"
#include "engine/kernels/conv.h"
#include "engine/kernels/depthwise_conv.h"
#include "engine/kernels/dequantize.h"
#include "engine/kernels/fully_connected.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/logistic.h"
#include "engine/kernels/mean.h"
#include "engine/kernels/mul.h"
#include "engine/kernels/pad.h"
#include "engine/kernels/pooling.h"
#include "engine/kernels/quantize.h"
#include "engine/kernels/relu.h"
#include "engine/kernels/reshape.h"
#include "engine/kernels/softmax.h"
#include "engine/kernels/tanh.h"
#include "engine/xcore_ops/xcore_ops.h"

namespace tinyserve {
namespace {

constexpr KernelRegistration kReferenceKernels[] = {
    {OpType::kAdd, PrepareAddSub, EvalAddReference},
    {OpType::kSub, PrepareAddSub, EvalSubReference},
    {OpType::kAveragePool2D, PreparePool, EvalAveragePoolReference},
    {OpType::kMaxPool2D, PreparePool, EvalMaxPoolReference},
    {OpType::kConv2D, PrepareConv, EvalConvReference},
    {OpType::kDepthwiseConv2D, PrepareDepthwiseConv, EvalDepthwiseConvReference},
    {OpType::kFullyConnected, PrepareFullyConnected, EvalFullyConnectedReference},
    {OpType::kReshape, PrepareReshape, EvalReshapeReference},
    {OpType::kSoftmax, PrepareSoftmax, EvalSoftmaxReference},
    {OpType::kConcatenation, PrepareConcatenation, EvalConcatenationReference},
    {OpType::kDequantize, PrepareDequantize, EvalDequantizeReference},
    {OpType::kLogistic, PrepareLogistic, EvalLogisticReference},
    {OpType::kMean, PrepareMean, EvalMeanReference},
    {OpType::kMul, PrepareMul, EvalMulReference},
    {OpType::kPad, PreparePad, EvalPadReference},
    {OpType::kQuantize, PrepareQuantize, EvalQuantizeReference},
    {OpType::kRelu, PrepareRelu, EvalReluReference},
    {OpType::kRelu6, PrepareRelu6, EvalRelu6Reference},
    {OpType::kTanh, PrepareTanh, EvalTanhReference},
    // XMOS operators: decoded and validated at load; no reference kernel.
    {OpType::kXcConv2dV2, PrepareXcConv2dV2, nullptr},
    {OpType::kXcPad, PrepareXcPad, nullptr},
    {OpType::kXcPad3To4, PrepareXcPad3To4, nullptr},
    {OpType::kXcPad1To4, PrepareXcPad1To4, nullptr},
    {OpType::kXcSlice, PrepareXcSlice, nullptr},
    {OpType::kXcNoOp, PrepareXcNoOp, nullptr},
    {OpType::kXcAdd, PrepareXcAdd, nullptr},
    {OpType::kXcLookup, PrepareXcLookup, nullptr},
    {OpType::kXcSoftmax, PrepareXcSoftmax, nullptr},
};

}  // namespace

const KernelRegistration* ReferenceKernel(OpType op) {
  for (const KernelRegistration& k : kReferenceKernels) {
    if (k.op == op) return &k;
  }
  return nullptr;
}

}  // namespace tinyserve
