// The per-ISA primitives behind the `host` device's kernels. Every ISA computes
// the same wrapping int32 sums, so results are identical across targets.
//
// Packed weight layout for the dot-product kernels (CONV_2D, FULLY_CONNECTED):
// output channels in blocks of `oc_block`; within a block, taps (ky, kx) in
// order, each tap's input channels in pairs (an odd count padded with a zero
// weight), each pair stored as [oc_block][2] int16:
//   w[block][tap][pair][lane][2], block stride = taps * pairs * oc_block * 2.
// Depthwise weights are int16 [tap][channels].
#ifndef TINYSERVE_DEVICES_HOST_HOST_KERNELS_H_
#define TINYSERVE_DEVICES_HOST_HOST_KERNELS_H_

#include <cstdint>

namespace tinyserve::host {

// Most output-channel blocks one GemvFn call handles (so acc holds at most
// kMaxGemvBlocks * oc_block values).
inline constexpr int kMaxGemvBlocks = 4;
inline constexpr int kMaxOcBlock = 16;
inline constexpr int kMaxAccumulators = kMaxGemvBlocks * kMaxOcBlock;

// acc[b * oc_block + lane] = sum over t < ntaps of the dot product of xs[t][0, fc)
// with the weights of tap tap_ids[t] in block b (b < nblocks <= kMaxGemvBlocks),
// wrapping int32. `w` points at the first block; `pairs` = ceil(fc / 2).
using GemvFn = void (*)(const int8_t* const* xs, const int32_t* tap_ids, int ntaps, int fc,
                        int pairs, const int16_t* w, int64_t block_stride, int nblocks,
                        int32_t* acc);
// acc[c - c0] = sum over t of w[tap_ids[t] * channels + c] * xs[t][c], c in [c0, c0 + n),
// n <= kMaxAccumulators.
using DepthwiseFn = void (*)(const int8_t* const* xs, const int32_t* tap_ids, int ntaps,
                             int c0, int n, const int16_t* w, int channels, int32_t* acc);

struct IsaKernels {
  const char* name;
  int oc_block;
  GemvFn gemv;
  DepthwiseFn depthwise;
};

const IsaKernels& PortableKernels();
#if defined(TINYSERVE_HOST_X86)
const IsaKernels& Avx2Kernels();
const IsaKernels& Avx512bwKernels();
#endif

}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_KERNELS_H_
