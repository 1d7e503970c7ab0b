// The reference kernel of every op the engine runs.
#include "engine/kernels/add_sub.h"
#include "engine/kernels/conv.h"
#include "engine/kernels/depthwise_conv.h"
#include "engine/kernels/fully_connected.h"
#include "engine/kernels/kernel.h"
#include "engine/kernels/pooling.h"
#include "engine/kernels/reshape.h"
#include "engine/kernels/softmax.h"

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
};

}  // namespace

const KernelRegistration* ReferenceKernel(OpType op) {
  for (const KernelRegistration& k : kReferenceKernels) {
    if (k.op == op) return &k;
  }
  return nullptr;
}

}  // namespace tinyserve
