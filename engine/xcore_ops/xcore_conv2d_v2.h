// XC_conv2d_v2 as xcore-opt 1.4.2 writes it, decoded and validated.
//
// Facts (formats, not code) from XMOS's lib_nn (AbstractKernel.hpp,
// MemCpyFn.hpp, AggregateFn.hpp, OutputTransformFn.hpp) and
// lib_tflite_micro's xcore_conv2d_v2.cc, the versions xmos-ai-tools 1.4.2
// ships. The op is lib_nn's filter pipeline: per output pixel of each
// thread's region, a "memcpy" step (a pointer into the input, or an im2col
// patch), an "aggregate" step (VLMACCR / VLMACC into 16 accumulators per
// group of 16 output channels) and an "output transform" (accumulators to
// int8). Options (a flexbuffer map): "k" kernel type, "t" output transform
// type, "mp" / "a" / "o" the three steps' parameter structs (little-endian
// int32/int16 fields, stored as flexbuffer strings), "p" one region struct per
// thread (with two "00" bytes xcore-opt appends for alignment), "s" scratch
// bytes per thread. Inputs: input, weights (int8, in lib_nn's order),
// multipliers and biases (int16, per 16-channel group), an optional partial
// output copied into the output first, and the scratch tensor.
#ifndef TINYSERVE_ENGINE_XCORE_OPS_XCORE_CONV2D_V2_H_
#define TINYSERVE_ENGINE_XCORE_OPS_XCORE_CONV2D_V2_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernels/kernel.h"

namespace tinyserve {

// lib_tflite_micro's KernelType ("k"), in its order.
enum class XcConvKernelType : int32_t {
  kValidDirect = 0,          // memcpyfn_deref + mat_mul_direct_int8
  kValidIndirect = 1,        // memcpyfn_imtocol_valid + mat_mul_generic_int8
  kPaddedIndirect = 2,       // memcpyfn_imtocol_padded + mat_mul_generic_int8
  kDepthwiseValidDirect = 3, // memcpyfn_deref (per group) + mat_mul_dw_direct
  kDepthwisePaddedIndirect = 4,
  kBnnValidDirectBinary = 5,
  kBnnValidIndirectBinary = 6,
  kBnnValidDirectInt8 = 7,
  kBnnValidIndirectInt8 = 8,
  kValidDirectInt16 = 9,
};
inline constexpr int32_t kXcConvKernelTypeCount = 10;
// "Conv2DValidDirect" etc.: lib_tflite_micro's names, for messages.
std::string XcConvKernelTypeName(int32_t type);

// "t": otfn_int8 (one initial shift for all channels) or
// otfn_int8_channelwise (a shift per channel, in the multipliers tensor).
enum class XcOutputTransformType : int32_t { kGroup = 0, kChannelwise = 1 };

// memcpyfn_deref_params_t: the patch of output pixel (h, w) is the input at
// h * bytes_per_h_line + w * bytes_per_pixel (+ channel offset, depthwise).
struct XcDerefParams {
  int32_t bytes_per_h_line = 0;
  int32_t bytes_per_pixel = 0;
};

// memcpyfn_imtocol_valid_params_t: copies (input_height + 1) x
// (input_width + 1) taps of input_channel_groups full vectors plus one masked
// vector each into the scratch patch.
struct XcImToColValidParams {
  int32_t bytes_per_h_line = 0;
  int32_t bytes_per_pixel = 0;
  int32_t input_height = 0;  // taps - 1
  int32_t input_width = 0;   // taps - 1
  int32_t input_channel_groups = 0;
  int32_t t_rewind = 0;
  int32_t horizontal_mem_stride = 0;
  int32_t vertical_mem_stride = 0;
  uint32_t t_vstrpv_mask = 0;
  uint32_t t_dontzero = 0;
  // Derived: patch bytes each tap adds (32 * groups - t_rewind).
  int64_t tap_bytes() const { return 32LL * input_channel_groups - t_rewind; }
  int64_t taps() const { return (int64_t{input_height} + 1) * (int64_t{input_width} + 1); }
};

// mat_mul_direct_params_t (int8).
struct XcMatMulDirectParams {
  int32_t bytes_per_kernel_channel = 0;  // per group of 16 output channels
  int32_t k_height_loop_counter = 0;
  int32_t k_width_loop_counter = 0;
  int32_t input_channel_loop_counter = 0;
  int32_t inner_x_h_step = 0;
  int32_t inner_x_v_step = 0;
};

// mat_mul_generic_params_t.
struct XcMatMulGenericParams {
  int32_t output_slice_channel_count = 0;
  int32_t bytes_per_kernel_channel = 0;  // per output channel
};

// mat_mul_dw_direct_params_t.
struct XcMatMulDepthwiseParams {
  int32_t bytes_per_kernel_channel_group = 0;
  int32_t k_height_loop_counter = 0;
  int32_t k_width_loop_counter = 0;
  int32_t inner_x_h_step = 0;
  int32_t inner_x_v_step = 0;
};

// otfn_int8_params_t / otfn_int8_channelwise_params_t (initial_shift only
// in the group kind).
struct XcOutputTransformParams {
  int32_t output_slice_channel_count = 0;
  int16_t initial_shift = 0;
  int16_t final_shr = 0;
};

// abstract_kernel_params_t: one thread's output region.
struct XcRegionParams {
  int32_t h_begin = 0, h_end = 0;
  int32_t w_begin = 0, w_end = 0;
  int32_t output_channel_group_begin = 0;
  int32_t output_channel_group_end = 0;
  int32_t output_channel_slice_offset = 0;
  int32_t output_h_mem_stride = 0;
  int32_t output_w_mem_stride = 0;
  int32_t input_offset = 0;
};

struct XcConv2dV2Data : OpData {
  XcConvKernelType kernel_type = XcConvKernelType::kValidDirect;
  XcOutputTransformType output_transform_type = XcOutputTransformType::kGroup;
  // Which of these is meaningful follows kernel_type.
  XcDerefParams deref;
  XcImToColValidParams im2col;
  XcMatMulDirectParams direct;
  XcMatMulGenericParams generic;
  XcMatMulDepthwiseParams depthwise;
  XcOutputTransformParams output_transform;
  std::vector<XcRegionParams> regions;  // one per thread, run in order
  int32_t scratch_bytes_per_thread = 0;  // "s"
  bool has_partial_output = false;       // input 3 present
  int64_t input_bytes = 0;
  int64_t output_bytes = 0;
  int64_t weights_bytes = 0;
  int64_t multipliers_and_biases_count = 0;  // int16 elements
  // Groups of 16 output channels the output transform covers.
  int32_t output_groups() const { return (output_transform.output_slice_channel_count + 15) / 16; }
  // int16 parameters per group: 2 (multiplier, bias) or 3 (+ shift) per channel.
  int32_t params_per_channel() const {
    return output_transform_type == XcOutputTransformType::kChannelwise ? 3 : 2;
  }
};

// Threads an op may name regions for (lib_tflite_micro allows 5; a little slack).
inline constexpr int kXcMaxRegions = 8;

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_XCORE_OPS_XCORE_CONV2D_V2_H_
