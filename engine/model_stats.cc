#include "engine/model_stats.h"

#include "engine/kernels/conv.h"
#include "engine/kernels/depthwise_conv.h"
#include "engine/kernels/fully_connected.h"

namespace tinyserve {
namespace {

int64_t OutputPositions(const WindowGeometry& g) {
  return static_cast<int64_t>(g.batches) * g.out_h * g.out_w;
}

int64_t OpMacs(const Model& model, const Operator& op) {
  const OpData& data = model.op_data(op.index);
  switch (op.type) {
    case OpType::kConv2D: {
      const auto& d = static_cast<const ConvData&>(data);
      const WindowGeometry& g = d.geometry;
      return OutputPositions(g) * g.out_c * g.filter_h * g.filter_w * d.filter_c;
    }
    case OpType::kDepthwiseConv2D: {
      const WindowGeometry& g = static_cast<const DepthwiseConvData&>(data).geometry;
      return OutputPositions(g) * g.out_c * g.filter_h * g.filter_w;
    }
    case OpType::kFullyConnected: {
      const auto& d = static_cast<const FullyConnectedData&>(data);
      return static_cast<int64_t>(d.batches) * d.units * d.depth;
    }
    default:
      return 0;
  }
}

}  // namespace

ModelStats ComputeModelStats(const Model& model) {
  ModelStats stats;
  for (const Operator& op : model.operators()) {
    stats.op_macs.push_back(OpMacs(model, op));
    stats.total_macs += stats.op_macs.back();
  }
  for (const TensorInfo& t : model.graph().tensors) {
    if (t.is_constant()) stats.weight_bytes += static_cast<int64_t>(t.bytes);
  }
  return stats;
}

}  // namespace tinyserve
