// Decoded options of XMOS's data-movement operators (xcore-opt output): pads,
// slices and the free reshape. Each is a plan of byte copies and fills fixed at
// load, validated against the op's tensors so running it can never leave them.
#ifndef TINYSERVE_ENGINE_XCORE_OPS_XCORE_DATA_MOVEMENT_H_
#define TINYSERVE_ENGINE_XCORE_OPS_XCORE_DATA_MOVEMENT_H_

#include <cstdint>

#include "engine/kernels/kernel.h"

namespace tinyserve {

// XC_pad: `start` fill bytes, then `copies` times (a row of `row_bytes` input
// bytes, `gap_bytes` fill bytes), a last row and `end` fill bytes. Output byte
// k of a fill is byte k % 4 of `pad_word` (lib_nn fills from a word repeated
// over a vector, phased by the output address). `vpu`: rows move with the
// word-aligned VPU copy rather than memmove (same bytes, different cost).
// Options: s, l, n, p, e, z, v.
struct XcPadData : OpData {
  int64_t start = 0;
  int64_t row_bytes = 0;
  int64_t copies = 0;
  int64_t gap_bytes = 0;
  int64_t end = 0;
  uint32_t pad_word = 0;
  bool vpu = false;
};

// XC_pad_3_to_4 and XC_pad_1_to_4: every input pixel of `channels` (3 or 1)
// bytes becomes a 4-byte output word, the rest filled from `pad_word` (option
// pv). Which byte of pad_word lands where is lib_nn's host C path:
// 3-to-4 writes the low byte; 1-to-4 writes bytes 1..3 of pad_word for the
// pixels of whole groups of 4 and the low byte three times for the rest.
struct XcPadTo4Data : OpData {
  int channels = 3;
  int64_t pixels = 0;
  uint32_t pad_word = 0;
};

// XC_slice: `copies` runs of `run_bytes` bytes, the i-th read from input byte
// start + i * stride, written one after another. Options: s, o, l, n, v.
struct XcSliceData : OpData {
  int64_t start = 0;
  int64_t stride = 0;
  int64_t run_bytes = 0;
  int64_t copies = 0;
  bool vpu = false;
};

// XC_no_op: a reshape xcore-opt makes free by planning its input and output at
// the same arena offset; the runtime's kernel does nothing. Where the output
// has its own buffer the bytes are copied.
struct XcNoOpData : OpData {
  int64_t bytes = 0;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_XCORE_OPS_XCORE_DATA_MOVEMENT_H_
