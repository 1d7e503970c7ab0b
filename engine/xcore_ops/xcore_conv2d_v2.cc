// XC_conv2d_v2: decodes the op's packed lib_nn parameter structs field by
// field (little-endian) and checks every field against the tensors, so that
// the kernel that runs it (xs3) never reads or writes outside a tensor.
#include "engine/xcore_ops/xcore_conv2d_v2.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/util/status_macros.h"
#include "engine/xcore_ops/xcore_ops.h"
#include "engine/xcore_ops/xcore_options_reader.h"

namespace tinyserve {

std::string XcConvKernelTypeName(int32_t type) {
  static constexpr std::array<const char*, kXcConvKernelTypeCount> kNames = {
      "Conv2DValidDirect",          "Conv2DValidIndirect",
      "Conv2DPaddedIndirect",       "DepthwiseConv2DValidDirect",
      "DepthwiseConv2DPaddedIndirect", "BNNConv2DValidDirectBinary",
      "BNNConv2DValidIndirectBinary", "BNNConv2DValidDirectInt8",
      "BNNConv2DValidIndirectInt8", "Conv2DValidDirectI16"};
  if (type < 0 || type >= kXcConvKernelTypeCount) return absl::StrCat("unknown (", type, ")");
  return absl::StrCat(kNames[type], " (", type, ")");
}

namespace {

// Loop counts and strides are bounded so that every extent below fits in
// int64 with room to spare: |stride| < 2^31, count <= 2^16, at most 8 terms.
constexpr int64_t kMaxCount = 1 << 16;
constexpr int kVector = 32;  // bytes per VPU vector
constexpr int kGroup = 16;   // output channels per accumulator group

// Little-endian fields of one packed struct, named for messages.
class StructReader {
 public:
  StructReader(const XcoreOptionsReader& options, std::string key, absl::Span<const uint8_t> bytes)
      : options_(options), key_(std::move(key)), bytes_(bytes) {}

  // The blob must hold at least `size` bytes (the struct's C size).
  absl::Status NeedSize(size_t size) const {
    if (bytes_.size() < size) {
      return options_.Invalid(key_, absl::StrCat("is ", bytes_.size(), " bytes, the ", what_,
                                                 " struct needs ", size));
    }
    return absl::OkStatus();
  }
  void set_what(std::string what) { what_ = std::move(what); }
  int32_t I32(size_t offset) const {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | bytes_[offset + i];
    return static_cast<int32_t>(v);
  }
  uint32_t U32(size_t offset) const { return static_cast<uint32_t>(I32(offset)); }
  int16_t I16(size_t offset) const {
    return static_cast<int16_t>(static_cast<uint16_t>(bytes_[offset] | (bytes_[offset + 1] << 8)));
  }
  absl::Status Invalid(const std::string& message) const { return options_.Invalid(key_, message); }
  absl::Status Check(bool ok, const std::string& message) const {
    return ok ? absl::OkStatus() : Invalid(message);
  }

 private:
  const XcoreOptionsReader& options_;
  std::string key_;
  absl::Span<const uint8_t> bytes_;
  std::string what_;
};

// min and max of base + sum(stride_i * k_i) over 0 <= k_i < count_i (count_i >= 1).
struct Extent {
  int64_t min, max;
};
Extent AffineExtent(int64_t base, std::initializer_list<std::pair<int64_t, int64_t>> terms) {
  Extent e{base, base};
  for (const auto& [stride, count] : terms) {
    const int64_t span = stride * (count - 1);
    e.min += std::min<int64_t>(0, span);
    e.max += std::max<int64_t>(0, span);
  }
  return e;
}

bool InRange(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

absl::StatusOr<XcRegionParams> DecodeRegion(const XcoreOptionsReader& options, size_t index,
                                            absl::Span<const uint8_t> blob) {
  StructReader r(options, absl::StrCat("p"), blob);
  r.set_what(absl::StrCat("abstract_kernel_params_t (element ", index, ")"));
  TS_RETURN_IF_ERROR(r.NeedSize(40));
  XcRegionParams p;
  p.h_begin = r.I32(0);
  p.h_end = r.I32(4);
  p.w_begin = r.I32(8);
  p.w_end = r.I32(12);
  p.output_channel_group_begin = r.I32(16);
  p.output_channel_group_end = r.I32(20);
  p.output_channel_slice_offset = r.I32(24);
  p.output_h_mem_stride = r.I32(28);
  p.output_w_mem_stride = r.I32(32);
  p.input_offset = r.I32(36);
  return p;
}

class Conv2dV2Decoder {
 public:
  Conv2dV2Decoder(const PrepareContext& ctx, const XcoreOptionsReader& options, XcConv2dV2Data& d)
      : ctx_(ctx), options_(options), d_(d) {}

  absl::Status Decode();

 private:
  absl::Status DecodeMemcpy(absl::Span<const uint8_t> blob);
  absl::Status DecodeAggregate(absl::Span<const uint8_t> blob);
  absl::Status DecodeOutputTransform(absl::Span<const uint8_t> blob);
  absl::Status CheckRegion(size_t index, const XcRegionParams& p) const;
  absl::Status CheckWeights() const;
  absl::Status CheckMultipliersAndBiases() const;
  absl::Status RegionError(size_t index, const std::string& message) const {
    return options_.Invalid("p", absl::StrCat("element ", index, ": ", message));
  }

  const PrepareContext& ctx_;
  const XcoreOptionsReader& options_;
  XcConv2dV2Data& d_;
  int32_t out_h_ = 0, out_w_ = 0, out_c_ = 0;
  int32_t max_group_end_ = 0;
};

absl::Status Conv2dV2Decoder::DecodeMemcpy(absl::Span<const uint8_t> blob) {
  StructReader r(options_, "mp", blob);
  switch (d_.kernel_type) {
    case XcConvKernelType::kValidDirect:
    case XcConvKernelType::kDepthwiseValidDirect: {
      r.set_what("memcpyfn_deref_params_t");
      TS_RETURN_IF_ERROR(r.NeedSize(8));
      d_.deref.bytes_per_h_line = r.I32(0);
      d_.deref.bytes_per_pixel = r.I32(4);
      return absl::OkStatus();
    }
    case XcConvKernelType::kValidIndirect: {
      r.set_what("memcpyfn_imtocol_valid_params_t");
      TS_RETURN_IF_ERROR(r.NeedSize(40));
      XcImToColValidParams& p = d_.im2col;
      p.bytes_per_h_line = r.I32(0);
      p.bytes_per_pixel = r.I32(4);
      p.input_height = r.I32(8);
      p.input_width = r.I32(12);
      p.input_channel_groups = r.I32(16);
      p.t_rewind = r.I32(20);
      p.horizontal_mem_stride = r.I32(24);
      p.vertical_mem_stride = r.I32(28);
      p.t_vstrpv_mask = r.U32(32);
      p.t_dontzero = r.U32(36);
      d_.deref.bytes_per_h_line = p.bytes_per_h_line;
      d_.deref.bytes_per_pixel = p.bytes_per_pixel;
      TS_RETURN_IF_ERROR(r.Check(InRange(p.input_height, 0, 255) && InRange(p.input_width, 0, 255),
                                 absl::StrCat("filter taps ", p.input_height + 1, "x",
                                              p.input_width + 1, " outside 1..256")));
      TS_RETURN_IF_ERROR(r.Check(InRange(p.input_channel_groups, 0, 4095),
                                 absl::StrCat("input_channel_groups ", p.input_channel_groups,
                                              " outside 0..4095")));
      // Each tap adds 32 * groups - T_rewind bytes to the patch: positive, and
      // word-aligned (the VPU stores the next tap there).
      const int64_t tap = p.tap_bytes();
      TS_RETURN_IF_ERROR(r.Check(tap > 32LL * p.input_channel_groups &&
                                     tap <= 32LL * (p.input_channel_groups + 1) && tap % 4 == 0,
                                 absl::StrCat("T_rewind ", p.t_rewind, " gives ", tap,
                                              " patch bytes per tap; expected a multiple of 4 in (",
                                              32 * p.input_channel_groups, ", ",
                                              32 * (p.input_channel_groups + 1), "]")));
      TS_RETURN_IF_ERROR(r.Check(p.t_vstrpv_mask != 0, "T_vstrpv_mask is 0"));
      TS_RETURN_IF_ERROR(r.Check(p.t_dontzero <= 1,
                                 absl::StrCat("T_dontzero ", p.t_dontzero, " is not 0 or 1")));
      return absl::OkStatus();
    }
    default:
      return ctx_.Unimplemented(absl::StrCat("kernel type ", XcConvKernelTypeName(static_cast<int32_t>(d_.kernel_type))));
  }
}

absl::Status Conv2dV2Decoder::DecodeAggregate(absl::Span<const uint8_t> blob) {
  StructReader r(options_, "a", blob);
  switch (d_.kernel_type) {
    case XcConvKernelType::kValidDirect: {
      r.set_what("mat_mul_direct_params_t");
      TS_RETURN_IF_ERROR(r.NeedSize(24));
      XcMatMulDirectParams& p = d_.direct;
      p.bytes_per_kernel_channel = r.I32(0);
      p.k_height_loop_counter = r.I32(4);
      p.k_width_loop_counter = r.I32(8);
      p.input_channel_loop_counter = r.I32(12);
      p.inner_x_h_step = r.I32(16);
      p.inner_x_v_step = r.I32(20);
      TS_RETURN_IF_ERROR(r.Check(InRange(p.k_height_loop_counter, 0, 255) &&
                                     InRange(p.k_width_loop_counter, 0, 255) &&
                                     InRange(p.input_channel_loop_counter, 0, 4095),
                                 absl::StrCat("loop counters ", p.k_height_loop_counter, ", ",
                                              p.k_width_loop_counter, ", ",
                                              p.input_channel_loop_counter,
                                              " outside 0..255, 0..255, 0..4095")));
      // 16 rows of 32 bytes per (tap, input chunk): the layout VLMACCR reads.
      const int64_t expected = (int64_t{p.k_height_loop_counter} + 1) *
                               (p.k_width_loop_counter + 1) * (p.input_channel_loop_counter + 1) *
                               kVector * kGroup;
      TS_RETURN_IF_ERROR(r.Check(p.bytes_per_kernel_channel == expected,
                                 absl::StrCat("bytes_per_kernel_channel ", p.bytes_per_kernel_channel,
                                              ", the loop counters make ", expected)));
      return absl::OkStatus();
    }
    case XcConvKernelType::kValidIndirect: {
      r.set_what("mat_mul_generic_params_t");
      TS_RETURN_IF_ERROR(r.NeedSize(8));
      d_.generic.output_slice_channel_count = r.I32(0);
      d_.generic.bytes_per_kernel_channel = r.I32(4);
      const int64_t patch = d_.im2col.taps() * d_.im2col.tap_bytes();
      TS_RETURN_IF_ERROR(r.Check(d_.generic.bytes_per_kernel_channel == patch,
                                 absl::StrCat("bytes_per_kernel_channel ",
                                              d_.generic.bytes_per_kernel_channel,
                                              " is not the im2col patch size ", patch)));
      TS_RETURN_IF_ERROR(r.Check(InRange(d_.generic.output_slice_channel_count, 1, kMaxCount),
                                 absl::StrCat("output_slice_channel_count ",
                                              d_.generic.output_slice_channel_count,
                                              " outside 1..", kMaxCount)));
      return absl::OkStatus();
    }
    case XcConvKernelType::kDepthwiseValidDirect: {
      r.set_what("mat_mul_dw_direct_params_t");
      TS_RETURN_IF_ERROR(r.NeedSize(20));
      XcMatMulDepthwiseParams& p = d_.depthwise;
      p.bytes_per_kernel_channel_group = r.I32(0);
      p.k_height_loop_counter = r.I32(4);
      p.k_width_loop_counter = r.I32(8);
      p.inner_x_h_step = r.I32(12);
      p.inner_x_v_step = r.I32(16);
      TS_RETURN_IF_ERROR(r.Check(InRange(p.k_height_loop_counter, 0, 255) &&
                                     InRange(p.k_width_loop_counter, 0, 255),
                                 absl::StrCat("loop counters ", p.k_height_loop_counter, ", ",
                                              p.k_width_loop_counter, " outside 0..255")));
      const int64_t expected =
          (int64_t{p.k_height_loop_counter} + 1) * (p.k_width_loop_counter + 1) * kGroup;
      TS_RETURN_IF_ERROR(r.Check(p.bytes_per_kernel_channel_group == expected,
                                 absl::StrCat("bytes_per_kernel_channel_group ",
                                              p.bytes_per_kernel_channel_group,
                                              ", the loop counters make ", expected)));
      return absl::OkStatus();
    }
    default:
      return ctx_.Unimplemented(absl::StrCat("kernel type ", XcConvKernelTypeName(static_cast<int32_t>(d_.kernel_type))));
  }
}

absl::Status Conv2dV2Decoder::DecodeOutputTransform(absl::Span<const uint8_t> blob) {
  StructReader r(options_, "o", blob);
  XcOutputTransformParams& p = d_.output_transform;
  if (d_.output_transform_type == XcOutputTransformType::kGroup) {
    r.set_what("otfn_int8_params_t");
    TS_RETURN_IF_ERROR(r.NeedSize(8));
    p.output_slice_channel_count = r.I32(0);
    p.initial_shift = r.I16(4);
    p.final_shr = r.I16(6);
    // A positive initial shift is VLSAT's (rhu); a non-positive one a
    // saturating VLASHR left shift: lib_nn's C model and the VPU agree for
    // shifts in these ranges.
    TS_RETURN_IF_ERROR(r.Check(InRange(p.initial_shift, -16, 31),
                               absl::StrCat("initial_shift ", p.initial_shift, " outside -16..31")));
  } else {
    r.set_what("otfn_int8_channelwise_params_t");
    TS_RETURN_IF_ERROR(r.NeedSize(6));
    p.output_slice_channel_count = r.I32(0);
    p.final_shr = r.I16(4);
  }
  // lib_nn's C model gives the sign for VLASHR shifts >= 15 and wraps left
  // shifts past 16 bits; neither is a shift xcore-opt computes.
  if (!InRange(p.final_shr, -16, 14)) {
    return ctx_.Unimplemented(absl::StrCat("option 'o': final_shr ", p.final_shr,
                                           " outside -16..14"));
  }
  TS_RETURN_IF_ERROR(r.Check(InRange(p.output_slice_channel_count, 1, out_c_),
                             absl::StrCat("output_slice_channel_count ", p.output_slice_channel_count,
                                          " outside 1..", out_c_, " (output channels)")));
  return absl::OkStatus();
}

absl::Status Conv2dV2Decoder::CheckRegion(size_t index, const XcRegionParams& p) const {
  if (!(0 <= p.h_begin && p.h_begin < p.h_end && p.h_end <= out_h_ && 0 <= p.w_begin &&
        p.w_begin < p.w_end && p.w_end <= out_w_)) {
    return RegionError(index, absl::StrCat("rows [", p.h_begin, ", ", p.h_end, ") x columns [",
                                           p.w_begin, ", ", p.w_end, ") not a non-empty part of the ",
                                           out_h_, "x", out_w_, " output"));
  }
  const int32_t groups = d_.output_groups();
  if (!(0 <= p.output_channel_group_begin &&
        p.output_channel_group_begin < p.output_channel_group_end &&
        p.output_channel_group_end <= groups)) {
    return RegionError(index, absl::StrCat("channel groups [", p.output_channel_group_begin, ", ",
                                           p.output_channel_group_end,
                                           ") not a non-empty part of the ", groups, " groups"));
  }
  const int64_t nh = p.h_end - p.h_begin, nw = p.w_end - p.w_begin;
  const int64_t ng = p.output_channel_group_end - p.output_channel_group_begin;
  const int64_t ows = p.output_w_mem_stride;
  // Output: lib_nn's execute() starts at h_begin * (h stride + width * w
  // stride) + w_begin * w stride + slice offset and writes each group's
  // channels one after another.
  const int64_t row = p.output_h_mem_stride + nw * ows;
  const int64_t osc = d_.output_transform.output_slice_channel_count;
  int64_t pixel_bytes = 0;
  for (int32_t g = p.output_channel_group_begin; g < p.output_channel_group_end; ++g) {
    pixel_bytes += std::min<int64_t>(kGroup, osc - int64_t{g} * kGroup);
  }
  const Extent out = AffineExtent(p.h_begin * row + p.w_begin * ows + p.output_channel_slice_offset,
                                  {{row, nh}, {ows, nw}});
  if (out.min < 0 || out.max + pixel_bytes > d_.output_bytes) {
    return RegionError(index, absl::StrCat("writes output bytes [", out.min, ", ",
                                           out.max + pixel_bytes, ") of ", d_.output_bytes));
  }
  // Input: the first byte of every 32-byte load must lie in the input (a
  // load may run past its end: the chip over-reads, lanes past the data meet
  // zero weights or are not stored).
  const XcDerefParams& m = d_.deref;
  const int64_t base = int64_t{p.input_offset} + int64_t{p.h_begin} * m.bytes_per_h_line +
                       int64_t{p.w_begin} * m.bytes_per_pixel;
  // A dense window: per pixel, kh rows of kw taps of `chunks` vectors, each
  // tap followed by h_step bytes and each row by v_step.
  const auto dense_window = [&](int64_t chunks, int64_t kh, int64_t kw, int64_t h_step,
                                int64_t v_step) {
    const int64_t kw_stride = chunks * kVector + h_step;
    const int64_t kh_stride = kw * kw_stride + v_step;
    return AffineExtent(base, {{m.bytes_per_h_line, nh},
                               {m.bytes_per_pixel, nw},
                               {kh_stride, kh},
                               {kw_stride, kw},
                               {kVector, chunks}});
  };
  Extent in{0, 0};
  switch (d_.kernel_type) {
    case XcConvKernelType::kValidDirect: {
      const XcMatMulDirectParams& a = d_.direct;
      in = dense_window(int64_t{a.input_channel_loop_counter} + 1,
                        int64_t{a.k_height_loop_counter} + 1, int64_t{a.k_width_loop_counter} + 1,
                        a.inner_x_h_step, a.inner_x_v_step);
      break;
    }
    case XcConvKernelType::kValidIndirect: {
      const XcImToColValidParams& c = d_.im2col;
      in = dense_window(int64_t{c.input_channel_groups} + 1, int64_t{c.input_height} + 1,
                        int64_t{c.input_width} + 1, c.horizontal_mem_stride,
                        c.vertical_mem_stride);
      break;
    }
    case XcConvKernelType::kDepthwiseValidDirect: {
      const XcMatMulDepthwiseParams& a = d_.depthwise;
      const int64_t nkw = a.k_width_loop_counter + 1;
      const int64_t kh_stride = nkw * a.inner_x_h_step + a.inner_x_v_step;
      in = AffineExtent(base + int64_t{p.output_channel_group_begin} * kGroup,
                        {{m.bytes_per_h_line, nh},
                         {m.bytes_per_pixel, nw},
                         {kGroup, ng},
                         {kh_stride, a.k_height_loop_counter + 1},
                         {a.inner_x_h_step, nkw}});
      break;
    }
    default:
      break;
  }
  if (in.min < 0 || in.max >= d_.input_bytes) {
    return RegionError(index, absl::StrCat("reads input vectors starting at [", in.min, ", ",
                                           in.max, "] of ", d_.input_bytes, " input bytes"));
  }
  return absl::OkStatus();
}

absl::Status Conv2dV2Decoder::CheckWeights() const {
  int64_t end = 0;  // one past the last weight byte a group reads
  switch (d_.kernel_type) {
    case XcConvKernelType::kValidDirect:
      end = int64_t{d_.direct.bytes_per_kernel_channel} * max_group_end_;
      break;
    case XcConvKernelType::kDepthwiseValidDirect:
      end = int64_t{d_.depthwise.bytes_per_kernel_channel_group} * max_group_end_;
      break;
    case XcConvKernelType::kValidIndirect: {
      // mat_mul_generic's walk: per full 32-byte input chunk 16 loads (the
      // last steps back when the group has n < 16 channels), then n tail
      // loads of the remaining bytes.
      const int64_t bpkc = d_.generic.bytes_per_kernel_channel;
      const int64_t osc = d_.generic.output_slice_channel_count;
      int64_t chunks = bpkc / kVector;
      if (bpkc % kVector == 0) --chunks;
      for (int32_t g = 0; g < max_group_end_; ++g) {
        const int64_t n = std::min<int64_t>(kGroup, osc - int64_t{g} * kGroup);
        const int64_t start = bpkc * g * kGroup;
        const int64_t per_chunk = 32 * n;  // 15 x 32 + the step 32 x (n - 15)
        const int64_t tail_start = start + chunks * per_chunk;
        const int64_t tail_bytes = bpkc - chunks * kVector;
        // The tail's n loads advance by tail_bytes; each reads tail_bytes.
        end = std::max(end, tail_start + (n - 1) * tail_bytes + tail_bytes);
        if (chunks > 0) end = std::max(end, start + (chunks - 1) * per_chunk + 15 * kVector + kVector);
      }
      break;
    }
    default:
      break;
  }
  if (end > d_.weights_bytes) {
    return ctx_.InvalidInput(1, absl::StrCat("has ", d_.weights_bytes, " bytes; the op's ",
                                             max_group_end_, " channel groups read ", end));
  }
  return absl::OkStatus();
}

absl::Status Conv2dV2Decoder::CheckMultipliersAndBiases() const {
  const int64_t osc = d_.output_transform.output_slice_channel_count;
  const int ppc = d_.params_per_channel();
  const int32_t groups = d_.output_groups();
  // Group g's parameters start at g * 16 * ppc: [shifts], multipliers,
  // biases, each `n` long (n = channels in the group).
  const int64_t n_last = osc - int64_t{groups - 1} * kGroup;
  const int64_t needed = int64_t{groups - 1} * kGroup * ppc + ppc * n_last;
  if (needed > d_.multipliers_and_biases_count) {
    return ctx_.InvalidInput(2, absl::StrCat("has ", d_.multipliers_and_biases_count,
                                             " int16 values; ", osc, " channels need ", needed));
  }
  if (d_.output_transform_type == XcOutputTransformType::kChannelwise) {
    const auto* values = ctx_.input(2)->constant_data<uint8_t>();
    for (int32_t g = 0; g < groups; ++g) {
      const int64_t n = std::min<int64_t>(kGroup, osc - int64_t{g} * kGroup);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t at = (int64_t{g} * kGroup * ppc + i) * 2;
        const int16_t shift = static_cast<int16_t>(values[at] | (values[at + 1] << 8));
        if (shift < 0 || shift > 31) {
          return ctx_.Unimplemented(absl::StrCat("input 2: channel ", g * kGroup + i,
                                                 "'s initial shift ", shift,
                                                 " outside 0..31"));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Conv2dV2Decoder::Decode() {
  TS_RETURN_IF_ERROR(ctx_.CheckArity(3, 5, 1));
  TS_RETURN_IF_ERROR(ctx_.CheckInputType(0, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx_.CheckInputType(1, DataType::kInt8));
  TS_RETURN_IF_ERROR(ctx_.CheckInputType(2, DataType::kInt16));
  TS_RETURN_IF_ERROR(ctx_.CheckConstantInput(1));
  TS_RETURN_IF_ERROR(ctx_.CheckConstantInput(2));
  TS_RETURN_IF_ERROR(ctx_.CheckOutputType(0, DataType::kInt8));
  const TensorInfo& out = ctx_.output(0);
  // An image [1, H, W, C], or [1, C] (xcore-opt's fully connected layers).
  if (out.rank() == 4 && out.shape[0] == 1) {
    out_h_ = out.shape[1];
    out_w_ = out.shape[2];
    out_c_ = out.shape[3];
  } else if (out.rank() == 2 && out.shape[0] == 1) {
    out_h_ = out_w_ = 1;
    out_c_ = out.shape[1];
  } else {
    return ctx_.InvalidOutput(0, "expected shape [1, height, width, channels] or [1, channels]");
  }
  if (out_h_ > kMaxCount || out_w_ > kMaxCount || out_c_ > kMaxCount) {
    return ctx_.InvalidOutput(0, absl::StrCat("dimensions above ", kMaxCount));
  }
  d_.input_bytes = static_cast<int64_t>(ctx_.input(0)->bytes);
  d_.output_bytes = static_cast<int64_t>(out.bytes);
  d_.weights_bytes = static_cast<int64_t>(ctx_.input(1)->bytes);
  d_.multipliers_and_biases_count = ctx_.input(2)->num_elements();
  if (const TensorInfo* partial = ctx_.input(3); partial != nullptr) {
    TS_RETURN_IF_ERROR(ctx_.CheckInputType(3, DataType::kInt8));
    if (partial->bytes != out.bytes) {
      return ctx_.InvalidInput(3, absl::StrCat("the partial output has ", partial->bytes,
                                               " bytes, the output ", out.bytes));
    }
    d_.has_partial_output = true;
  }

  TS_ASSIGN_OR_RETURN(const int64_t k, options_.Int("k", 0, kXcConvKernelTypeCount - 1));
  d_.kernel_type = static_cast<XcConvKernelType>(k);
  if (d_.kernel_type != XcConvKernelType::kValidDirect &&
      d_.kernel_type != XcConvKernelType::kValidIndirect &&
      d_.kernel_type != XcConvKernelType::kDepthwiseValidDirect) {
    return ctx_.Unimplemented(absl::StrCat("kernel type ", XcConvKernelTypeName(static_cast<int32_t>(k)),
                                           " (xcore-opt 1.4.2 writes 0, 1 and 3 for int8 models)"));
  }
  TS_ASSIGN_OR_RETURN(const int64_t t, options_.Int("t", 0, 1));
  d_.output_transform_type = static_cast<XcOutputTransformType>(t);
  TS_ASSIGN_OR_RETURN(const int64_t s, options_.Int("s", 0, int64_t{1} << 24));
  d_.scratch_bytes_per_thread = static_cast<int32_t>(s);

  TS_ASSIGN_OR_RETURN(const auto mp, options_.Bytes("mp"));
  TS_RETURN_IF_ERROR(DecodeMemcpy(mp));
  TS_ASSIGN_OR_RETURN(const auto a, options_.Bytes("a"));
  TS_RETURN_IF_ERROR(DecodeAggregate(a));
  TS_ASSIGN_OR_RETURN(const auto o, options_.Bytes("o"));
  TS_RETURN_IF_ERROR(DecodeOutputTransform(o));
  if (d_.kernel_type == XcConvKernelType::kValidIndirect &&
      d_.generic.output_slice_channel_count != d_.output_transform.output_slice_channel_count) {
    return options_.Invalid("a", absl::StrCat("output_slice_channel_count ",
                                              d_.generic.output_slice_channel_count,
                                              " differs from the output transform's ",
                                              d_.output_transform.output_slice_channel_count));
  }
  if (d_.kernel_type == XcConvKernelType::kValidIndirect) {
    // The patch lives in the op's scratch: "s" must hold it and its zero tail.
    const int64_t need = d_.im2col.taps() * d_.im2col.tap_bytes() + kVector;
    if (s < need) {
      return options_.Invalid("s", absl::StrCat(s, " scratch bytes; the im2col patch needs ", need));
    }
  }

  TS_ASSIGN_OR_RETURN(const auto p, options_.BytesVector("p"));
  if (p.empty() || p.size() > kXcMaxRegions) {
    return options_.Invalid("p", absl::StrCat(p.size(), " thread regions; expected 1..", kXcMaxRegions));
  }
  for (size_t i = 0; i < p.size(); ++i) {
    TS_ASSIGN_OR_RETURN(XcRegionParams region, DecodeRegion(options_, i, p[i]));
    d_.regions.push_back(region);
  }
  for (size_t i = 0; i < d_.regions.size(); ++i) {
    TS_RETURN_IF_ERROR(CheckRegion(i, d_.regions[i]));
    max_group_end_ = std::max(max_group_end_, d_.regions[i].output_channel_group_end);
  }
  TS_RETURN_IF_ERROR(CheckWeights());
  return CheckMultipliersAndBiases();
}

}  // namespace

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcConv2dV2(const PrepareContext& ctx) {
  XcoreOptionsReader options(ctx);
  auto data = std::make_unique<XcConv2dV2Data>();
  TS_RETURN_IF_ERROR(Conv2dV2Decoder(ctx, options, *data).Decode());
  return std::unique_ptr<const OpData>(std::move(data));
}

}  // namespace tinyserve
