// The per-ISA primitives behind the `host` device's CONV_2D, FULLY_CONNECTED
// and DEPTHWISE_CONV_2D kernels. Every ISA computes the same wrapping int32
// sums and the same double-rounding requantization, so results are identical
// across targets (and to the engine's reference kernels).
//
// Padding never reaches a kernel as a special case: a tap outside the image
// reads the input zero point (from a zero-point row or a gathered patch), so
// its term w * (x - zp) vanishes and one folded bias serves every pixel.
//
// Conv weights ("row" layout): a window is filter_h rows of row_k = filter_w *
// in_c contiguous input bytes. Row k-steps of `k_step` bytes (2: int16 pairs for
// vpmaddwd; 4: int8 quads for vpdpbusd) are padded with zero weights:
//   w[block][ky][group][lane < oc_block][k_step]
// block stride = filter_h * groups * oc_block * k_step elements.
#ifndef TINYSERVE_DEVICES_HOST_HOST_KERNELS_H_
#define TINYSERVE_DEVICES_HOST_HOST_KERNELS_H_

#include <cstdint>

namespace tinyserve::host {

// Per-channel arrays are padded to a multiple of this (one 512-bit load of 16
// int32 lanes past any channel block stays inside).
inline constexpr int kChannelPad = 64;
// Most output pixels one register tile covers; a ConvTileFn call may take
// any number (it walks them in tiles, reusing each block's weights from L1).
inline constexpr int kMaxTilePixels = 8;
// Depthwise channels per chunk on every ISA.
inline constexpr int kDepthwiseChunk = 16;

// Requantization of output channel c (all arrays [padded channels]):
//   out = clamp(RDBPOT(SRDHM((acc + bias[c]) << lshift[c], mult[c]), rshift[c]) + zp).
// `simd` is false when some channel needs a case the vector code does not
// cover (a multiplier of INT32_MIN, a shift outside [-31, 31]): then every ISA
// uses the scalar definition.
struct RequantTable {
  const int32_t* bias = nullptr;  // bias with the input zero-point term folded in
  const int32_t* mult = nullptr;
  const int32_t* lshift = nullptr;
  const int32_t* rshift = nullptr;
  const int32_t* rmask = nullptr;  // (1 << rshift) - 1
  int32_t out_zp = 0, act_min = -128, act_max = 127;
  bool simd = true;
  bool any_lshift = true;  // false: every lshift is 0 (the vector code skips the shift)
  bool clamp_lo = true, clamp_hi = true;  // act_min > -128, act_max < 127
};

// CONV_2D / FULLY_CONNECTED: npix output pixels, every output channel. Pixel
// p's filter row ky is rows[p * filter_h + ky], or, when rows is null,
// x_base[ky] + p * x_pix_step (pixels evenly spaced); row_k readable bytes.
struct ConvTileArgs {
  const int8_t* const* rows;
  const int8_t* const* x_base;
  int64_t x_pix_step;
  int npix, filter_h, row_k, groups;  // groups = ceil(row_k / k_step)
  const void* w;
  int64_t block_stride;  // in weight elements
  int out_c;
  const RequantTable* rq;
  int8_t* out;  // pixel p at out + p * out_c
  bool x_offset;  // the rows already hold x + zp_offset (as bytes: x ^ 0x80)
  // out_c == 8 on a 16-lane ISA: lanes 8..15 of every weight block and of the
  // requant table repeat lanes 0..7, and one vector computes two pixels.
  bool pixel_pairs;
  // The window row's true length (row_k may be rounded up to whole k-steps);
  // 0 when unknown. Lets the VNNI pixel-pair path tell padding from data.
  int row_k_exact;
};
using ConvTileFn = void (*)(const ConvTileArgs& a);

// DEPTHWISE_CONV_2D (multiplier 1): npix pixels of `channels` channels.
// Pixel p, tap (ky, kx) reads rows[ky] + p * pix_step + kx * tap_step + c.
// Weights: int32 w[tap * w_tap_stride + chunk * w_chunk_step + lane], chunks of
// kDepthwiseChunk channels; requant arrays likewise advance rq_chunk_step per chunk (0 when
// the caller flattened a stride-1 run of few channels into one wide pixel
// with lane-periodic weights and parameters).
struct DepthwiseArgs {
  const int8_t* const* rows;
  int filter_h, filter_w, channels, npix;
  int64_t pix_step, tap_step;
  const int32_t* w;
  int w_tap_stride, w_chunk_step, rq_chunk_step;
  const RequantTable* rq;
  int8_t* out;  // pixel p at out + p * channels
  bool x_offset;  // the rows already hold x + zp_offset (as bytes: x ^ 0x80)
};
using DepthwiseFn = void (*)(const DepthwiseArgs& a);

struct IsaKernels {
  const char* name;
  int oc_block;         // output channels per weight block
  int k_step;           // 2 (int16 pairs) or 4 (int8 quads)
  int zp_offset;        // added to x before the products (128 for u8 x s8)
  ConvTileFn conv_tile;
  DepthwiseFn depthwise;
};

namespace {  // NOLINT: internal linkage, as every ISA file includes this

// Pixel p's filter row ky (see ConvTileArgs).
inline const int8_t* PixelRow(const ConvTileArgs& a, int p, int ky) {
  return a.rows != nullptr ? a.rows[p * a.filter_h + ky] : a.x_base[ky] + p * a.x_pix_step;
}

}  // namespace

const IsaKernels& PortableKernels();
#if defined(TINYSERVE_HOST_X86)
const IsaKernels& Avx2Kernels();
const IsaKernels& Avx512bwKernels();
const IsaKernels& Avx512vnniKernels();
#endif

}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_KERNELS_H_
