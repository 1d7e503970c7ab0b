// Decoded options and tables of XMOS's element-wise operators (xcore-opt
// output): XC_add, XC_lookup and XC_softmax.
#ifndef TINYSERVE_ENGINE_XCORE_OPS_XCORE_ELEMENTWISE_H_
#define TINYSERVE_ENGINE_XCORE_OPS_XCORE_ELEMENTWISE_H_

#include <array>
#include <cstdint>

#include "engine/kernels/kernel.h"

namespace tinyserve {

// XC_add of two same-size int8 tensors: acc = bias + x1 * m1 + x2 * m2 (32
// bits), out = clamp(rhu(acc, shift), -128, 127). Options m1, m2, bias, shift;
// ranges are checked so that neither lib_nn path (VPU for 16 elements at a
// time, scalar for the rest) overflows.
struct XcAddData : OpData {
  int16_t m1 = 0;
  int16_t m2 = 0;
  int32_t bias = 0;
  int shift = 1;
  int64_t elements = 0;
};

// XC_lookup on int8: out[i] = table[(uint8_t)in[i]], a constant [256] table
// (input 1), copied here.
struct XcLookupData : OpData {
  std::array<uint8_t, 256> table{};
  int64_t elements = 0;
};

// XC_softmax over the whole int8 input (its flat size, as lib_nn does): a
// constant [256] float32 table of exp values indexed by in + 128 (input 1),
// copied here.
struct XcSoftmaxData : OpData {
  std::array<float, 256> table{};
  int64_t elements = 0;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_XCORE_OPS_XCORE_ELEMENTWISE_H_
