#include "devices/xs3/xc/xc_data_movement_kernel.h"

#include <algorithm>
#include <cstring>

#include "devices/xs3/cycle_model.h"
#include "devices/xs3/vector_memory.h"
#include "devices/xs3/xc/xc_thread_split.h"

namespace tinyserve::xs3 {
namespace {

bool WordAligned(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 3) == 0; }

uint32_t LowBytesMask(int64_t bytes) {
  return bytes >= 32 ? 0xFFFFFFFFu : (uint32_t{1} << bytes) - 1;
}

// vpu_memset_256: byte k of the destination gets byte (address + k) % 4 of the
// pattern word (the pattern vector is the word repeated, phased by address).
void Fill(KernelContext& ctx, const Vector32& pattern, uint8_t* dst, int64_t count) {
  if (count <= 0) return;
  ctx.scalar_slots += cost::kFunctionCall;
  if (WordAligned(dst)) {
    Vpu& vpu = *ctx.vpu;
    vpu.Vldr(pattern.bytes);
    for (int64_t i = 0; i < count; i += 32) {
      ctx.scalar_slots += cost::kChunkLoop;
      vpu.Vstrpv(dst + i, LowBytesMask(count - i));
    }
    return;
  }
  const auto phase = static_cast<int64_t>(reinterpret_cast<uintptr_t>(dst) & 3);
  for (int64_t i = 0; i < count; ++i) dst[i] = pattern.bytes[(phase + i) & 3];
  ctx.scalar_slots += count * cost::kWordFill;
}

// vpu_memmove_word_aligned when `vpu` and both addresses allow it (32-byte
// loads, masked stores), else memmove a word at a time. Source bytes past
// src_end are never read (LoadableVector).
void Copy(KernelContext& ctx, bool vpu_copy, uint8_t* dst, const uint8_t* src,
          const uint8_t* src_end, int64_t count, Vector32& spill) {
  if (count <= 0) return;
  ctx.scalar_slots += cost::kFunctionCall;
  if (vpu_copy && WordAligned(dst) && WordAligned(src)) {
    Vpu& vpu = *ctx.vpu;
    for (int64_t i = 0; i < count; i += 32) {
      ctx.scalar_slots += cost::kChunkLoop;
      vpu.Vldr(LoadableVector(src + i, src_end, spill));
      vpu.Vstrpv(dst + i, LowBytesMask(count - i));
    }
    return;
  }
  std::memcpy(dst, src, static_cast<size_t>(count));
  ctx.scalar_slots += (count + 3) / 4 * cost::kWordCopy;
}

}  // namespace

XcPadKernel::XcPadKernel(const XcPadData& data, int64_t input_bytes)
    : data_(data), input_bytes_(input_bytes) {
  for (int i = 0; i < 8; ++i) std::memcpy(pattern_.bytes + 4 * i, &data_.pad_word, 4);
}

size_t XcPadKernel::scratch_bytes() const { return sizeof(Vector32); }

void XcPadKernel::Run(KernelContext& ctx, const void* const* inputs,
                      void* const* outputs) const {
  const int64_t before = IssuedSlots(ctx);
  auto& spill = *reinterpret_cast<Vector32*>(ctx.scratch);
  const auto* in = static_cast<const uint8_t*>(inputs[0]);
  const uint8_t* in_end = in + input_bytes_;
  auto* out = static_cast<uint8_t*>(outputs[0]);
  ctx.scalar_slots += cost::kFunctionCall;
  Fill(ctx, pattern_, out, data_.start);
  out += data_.start;
  for (int64_t i = 0; i < data_.copies; ++i) {
    Copy(ctx, data_.vpu, out, in, in_end, data_.row_bytes, spill);
    out += data_.row_bytes;
    in += data_.row_bytes;
    Fill(ctx, pattern_, out, data_.gap_bytes);
    out += data_.gap_bytes;
  }
  Copy(ctx, data_.vpu, out, in, in_end, data_.row_bytes, spill);
  out += data_.row_bytes;
  Fill(ctx, pattern_, out, data_.end);
  RecordRegion(ctx, 0, IssuedSlots(ctx) - before);
}

void XcPadTo4Kernel::Run(KernelContext& ctx, const void* const* inputs,
                         void* const* outputs) const {
  const int64_t before = IssuedSlots(ctx);
  const auto* in = static_cast<const uint8_t*>(inputs[0]);
  auto* out = static_cast<uint8_t*>(outputs[0]);
  uint8_t pad[4];
  std::memcpy(pad, &data_.pad_word, 4);
  if (data_.channels == 3) {
    // lib_nn pad_3_to_4 (C path): three bytes, then the pad word's low byte.
    for (int64_t p = 0; p < data_.pixels; ++p) {
      std::memcpy(out + 4 * p, in + 3 * p, 3);
      out[4 * p + 3] = pad[0];
    }
  } else {
    // lib_nn pad_1_to_4 on whole groups of 4 pixels: the byte in the low lane
    // of the pad word (its own low byte masked off); the runtime's loop for the
    // remaining pixels: the pad word's low byte three times.
    const int64_t grouped = data_.pixels / 4 * 4;
    for (int64_t p = 0; p < data_.pixels; ++p) {
      out[4 * p] = in[p];
      for (int k = 1; k < 4; ++k) out[4 * p + k] = p < grouped ? pad[k] : pad[0];
    }
  }
  ctx.scalar_slots += cost::kFunctionCall + data_.pixels * cost::kPad3To4Pixel;
  RecordRegion(ctx, 0, IssuedSlots(ctx) - before);
}

size_t XcSliceKernel::scratch_bytes() const { return sizeof(Vector32); }

void XcSliceKernel::Run(KernelContext& ctx, const void* const* inputs,
                        void* const* outputs) const {
  const int64_t before = IssuedSlots(ctx);
  auto& spill = *reinterpret_cast<Vector32*>(ctx.scratch);
  const auto* in = static_cast<const uint8_t*>(inputs[0]);
  const uint8_t* in_end = in + input_bytes_;
  auto* out = static_cast<uint8_t*>(outputs[0]);
  ctx.scalar_slots += cost::kFunctionCall;
  for (int64_t i = 0; i < data_.copies; ++i) {
    Copy(ctx, data_.vpu, out + i * data_.run_bytes, in + data_.start + i * data_.stride, in_end,
         data_.run_bytes, spill);
  }
  RecordRegion(ctx, 0, IssuedSlots(ctx) - before);
}

void XcNoOpKernel::Run(KernelContext& ctx, const void* const* inputs,
                       void* const* outputs) const {
  if (outputs[0] != inputs[0] && bytes_ > 0) {
    std::memmove(outputs[0], inputs[0], static_cast<size_t>(bytes_));
  }
  RecordRegion(ctx, 0, 0);
}

}  // namespace tinyserve::xs3
