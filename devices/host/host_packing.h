// Work the host kernels need done once, at compile: requantization tables with
// the input zero point folded into the bias, and weights packed in the order
// each ISA's inner loop reads them (see host_kernels.h for the layouts).
#ifndef TINYSERVE_DEVICES_HOST_HOST_PACKING_H_
#define TINYSERVE_DEVICES_HOST_HOST_PACKING_H_

#include <cstdint>
#include <vector>

#include "devices/host/host_kernels.h"
#include "engine/kernels/conv_quantization.h"
#include "engine/model.h"

namespace tinyserve::host {

inline int64_t RoundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// The op's constant bias (null when absent) and weights.
inline const int32_t* BiasData(const Model& model, const Operator& op, int index) {
  if (static_cast<int>(op.inputs.size()) <= index || op.inputs[index] == kOptionalTensor) {
    return nullptr;
  }
  return model.graph().tensors[op.inputs[index]].constant_data<int32_t>();
}

inline const int8_t* WeightData(const Model& model, const Operator& op, int index) {
  return model.graph().tensors[op.inputs[index]].constant_data<int8_t>();
}

// The arrays behind a RequantTable; `table` points into them (keep the object
// where it is once Bind() ran).
struct RequantStorage {
  std::vector<int32_t> bias, mult, lshift, rshift, rmask;
  RequantTable table;
};

// Channel c: bias[c] - zp * wsum[c] (wrapping), with zp = input zero point + the
// ISA's zp_offset, and q's multiplier c. `period` > 0 makes a lane-periodic
// table instead (lane l holds channel l % period), for flattened depthwise runs.
void BuildRequant(const ConvQuantization& q, const int32_t* bias, const std::vector<int32_t>& wsum,
                  int32_t zp, int period, RequantStorage* s);

// CONV_2D / FULLY_CONNECTED weights w[oc][ky][k], k < row_k (OHWI: k = kx * in_c + ic),
// packed in the row layout of `isa`; returns the groups per row and the block stride.
std::vector<int8_t> PackConvWeights(const int8_t* w, int out_c, int filter_h, int row_k,
                                    const IsaKernels& isa, int* groups, int64_t* block_stride);

}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_PACKING_H_
