// Lowering of MAX_POOL_2D onto MaxPoolKernel (XC_maxpool2d).
#include "devices/xs3/lowering.h"
#include "devices/xs3/max_pool_kernel.h"
#include "engine/kernels/pooling.h"

namespace tinyserve::xs3 {

Lowering LowerMaxPool2D(const Model& model, const Operator& op) {
  const PoolData* prepared = OpDataAs<PoolData>(model.op_data(op.index));
  if (prepared == nullptr) return WrongPreparedData(op, "PoolData");
  const PoolData& data = *prepared;
  // VPU loads of 32 channels at pixel * C need word-aligned pixels.
  if (data.geometry.in_c % 4 != 0) return NotLowered("channels not a multiple of 4");
  Lowering l;
  l.op = std::make_unique<MaxPoolKernel>(data.geometry, data.activation);
  l.kernel = "maxpool2d (XC_maxpool2d)";
  l.reason = "exact: a per-lane int8 max, no output transform";
  return l;
}

}  // namespace tinyserve::xs3
