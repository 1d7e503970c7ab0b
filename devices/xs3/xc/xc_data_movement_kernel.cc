#include "devices/xs3/xc/xc_data_movement_kernel.h"

#include <cstring>

#include "devices/xs3/cycle_model.h"
#include "devices/xs3/xc/xc_thread_split.h"

namespace tinyserve::xs3 {
namespace {

// vpu_memset_256: byte k of the destination gets byte (address + k) % 4 of the
// pattern word (the pattern vector is the word repeated, phased by address).
void Fill(const uint8_t pattern[4], uint8_t* dst, int64_t count) {
  const auto phase = static_cast<int64_t>(reinterpret_cast<uintptr_t>(dst) & 3);
  for (int64_t i = 0; i < count; ++i) dst[i] = pattern[(phase + i) & 3];
}

void Copy(uint8_t* dst, const uint8_t* src, int64_t count) {
  if (count > 0) std::memmove(dst, src, static_cast<size_t>(count));
}

// The op's whole cost on its one thread (the chip's fills and copies are
// counted from the plan by cycle_model.h, not emulated on the VPU: they move
// the same bytes).
void ChargeOneThread(KernelContext& ctx, int64_t slots) {
  ctx.scalar_slots += slots;
  RecordRegion(ctx, 0, slots);
}

}  // namespace

XcPadKernel::XcPadKernel(const XcPadData& data) : data_(data) {
  std::memcpy(pattern_, &data_.pad_word, sizeof(pattern_));
}

void XcPadKernel::Run(KernelContext& ctx, const void* const* inputs,
                      void* const* outputs) const {
  const auto* in = static_cast<const uint8_t*>(inputs[0]);
  auto* out = static_cast<uint8_t*>(outputs[0]);
  Fill(pattern_, out, data_.start);
  out += data_.start;
  for (int64_t i = 0; i < data_.copies; ++i) {
    Copy(out, in, data_.row_bytes);
    out += data_.row_bytes;
    in += data_.row_bytes;
    Fill(pattern_, out, data_.gap_bytes);
    out += data_.gap_bytes;
  }
  Copy(out, in, data_.row_bytes);
  out += data_.row_bytes;
  Fill(pattern_, out, data_.end);
  ChargeOneThread(ctx, XcPadEvalSlots(data_.start, data_.copies, data_.row_bytes,
                                      data_.gap_bytes, data_.end, data_.vpu));
}

void XcPadTo4Kernel::Run(KernelContext& ctx, const void* const* inputs,
                         void* const* outputs) const {
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
  // pad_3_to_4.S; pad_1_to_4 (not in the lib_nn we read) is counted as the
  // same word-per-pixel loop.
  ChargeOneThread(ctx, Pad3To4EvalSlots(data_.pixels));
}

void XcSliceKernel::Run(KernelContext& ctx, const void* const* inputs,
                        void* const* outputs) const {
  const auto* in = static_cast<const uint8_t*>(inputs[0]) + data_.start;
  auto* out = static_cast<uint8_t*>(outputs[0]);
  for (int64_t i = 0; i < data_.copies; ++i) {
    Copy(out + i * data_.run_bytes, in + i * data_.stride, data_.run_bytes);
  }
  ChargeOneThread(ctx, XcSliceEvalSlots(data_.copies, data_.run_bytes, data_.vpu));
}

void XcNoOpKernel::Run(KernelContext& ctx, const void* const* inputs,
                       void* const* outputs) const {
  if (outputs[0] != inputs[0] && bytes_ > 0) {
    std::memmove(outputs[0], inputs[0], static_cast<size_t>(bytes_));
  }
  RecordRegion(ctx, 0, 0);
}

}  // namespace tinyserve::xs3
