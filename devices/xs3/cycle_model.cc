#include "devices/xs3/cycle_model.h"

#include <algorithm>

namespace tinyserve::xs3 {

int64_t FetchStalls(int64_t bundles, int64_t memory_bundles) {
  return std::max<int64_t>(0, memory_bundles - bundles / 2);
}

int64_t MemmoveSlots(int64_t bytes) {
  const int64_t vectors = bytes / 32;
  return cost::kMemmoveCall + 3 * vectors + FetchStalls(3 * vectors, 2 * vectors);
}
int64_t MemsetSlots(int64_t bytes) {
  return bytes <= 0 ? 0 : cost::kMemsetCall + 2 * (bytes / 32);
}

int64_t ScalarCopySlots(int64_t bytes) {
  return cost::kFunctionCall + (bytes + 3) / 4 * cost::kWordCopy;
}

int64_t RowCopySlots(bool vpu_copy, int64_t bytes) {
  return vpu_copy ? MemmoveSlots(bytes) : ScalarCopySlots(bytes);
}

int64_t XcSliceEvalSlots(int64_t copies, int64_t run_bytes, bool vpu_copy) {
  return cost::kSliceEval + copies * (cost::kSliceCopyLoop + RowCopySlots(vpu_copy, run_bytes));
}

int64_t XcPadEvalSlots(int64_t start, int64_t copies, int64_t size, int64_t pad_size,
                       int64_t end, bool vpu_copy) {
  const int64_t row = RowCopySlots(vpu_copy, size);
  // vpu_memset_256 of 0 bytes still runs its entry, masked store and exit.
  const auto memset_call = [](int64_t bytes) {
    return std::max(cost::kMemsetCall, MemsetSlots(bytes));
  };
  return cost::kPadEval + MemsetSlots(start) +
         copies * (row + memset_call(pad_size) + cost::kPadRowLoop) + row + memset_call(end);
}

int64_t PadOpSlots(int64_t rows, int64_t row_bytes, int64_t row_gap, int64_t start,
                   int64_t end) {
  if (rows <= 0) return cost::kOpDispatch + cost::kPadEval;
  // The last row's gap is part of the final fill.
  return cost::kOpDispatch +
         XcPadEvalSlots(start, rows - 1, row_bytes, row_gap, end + row_gap, /*vpu_copy=*/true);
}

int64_t ImplicitPadSlots(int batches, int in_h, int in_w, int bytes_per_pixel, int out_h,
                         int out_w, int filter_h, int filter_w, int stride_h, int stride_w,
                         int dilation_h, int dilation_w, int pad_top, int pad_left) {
  // The padded image the valid-window kernel then reads.
  const int64_t padded_h = static_cast<int64_t>(out_h - 1) * stride_h +
                           static_cast<int64_t>(filter_h - 1) * dilation_h + 1;
  const int64_t padded_w = static_cast<int64_t>(out_w - 1) * stride_w +
                           static_cast<int64_t>(filter_w - 1) * dilation_w + 1;
  if (pad_top == 0 && pad_left == 0 && padded_h <= in_h && padded_w <= in_w) return 0;
  const int64_t h = std::max<int64_t>(padded_h, in_h);
  const int64_t w = std::max<int64_t>(padded_w, in_w);
  const int64_t row_out = w * bytes_per_pixel;
  const int64_t row_in = static_cast<int64_t>(in_w) * bytes_per_pixel;
  const int64_t start =
      static_cast<int64_t>(pad_top) * row_out + static_cast<int64_t>(pad_left) * bytes_per_pixel;
  const int64_t image = h * row_out;
  const int64_t copied = static_cast<int64_t>(in_h) * row_out;
  const int64_t end = std::max<int64_t>(0, image - copied - start);
  return static_cast<int64_t>(batches) * PadOpSlots(in_h, row_in, row_out - row_in, start, end);
}

int64_t Pad3To4EvalSlots(int64_t pixels) {
  return cost::kPad3To4Call + (pixels + 7) / 8 * cost::kPad3To4Loop;
}

int64_t Pad3To4Slots(int64_t pixels) { return cost::kOpDispatch + Pad3To4EvalSlots(pixels); }

int64_t Lookup8Slots(int64_t elements) {
  const int64_t bundles = elements * cost::kLookup8Element;
  return cost::kLookup8Call + bundles + FetchStalls(bundles, bundles);
}

int64_t DepthwiseGroupSlots(int filter_h, int filter_w) {
  const int64_t taps = static_cast<int64_t>(filter_h) * filter_w;
  // kw_loop: {VLDC}{VLMACC}{BT}, two of three bundles access memory.
  return cost::kDerefCall + cost::kDepthwiseAggregateCall +
         static_cast<int64_t>(filter_h) * cost::kKernelRowLoop + FetchStalls(3 * taps, 2 * taps);
}

int64_t ReferenceSoftmaxSlots(int64_t rows, int64_t depth) {
  return cost::kReferenceEval +
         rows * (cost::kReferenceSoftmaxRow + depth * cost::kReferenceSoftmaxElement);
}

int64_t BusiestThreadSlots(int64_t serial_slots, int64_t parallel_slots, int64_t work_units,
                           int threads) {
  if (threads <= 1 || work_units <= 1) return serial_slots + parallel_slots;
  const int64_t used = std::min<int64_t>(threads, work_units);
  const int64_t units_per_thread = (work_units + used - 1) / used;
  // Work is uniform per unit, so the busiest thread does units_per_thread units.
  const int64_t busiest = (parallel_slots * units_per_thread + work_units - 1) / work_units;
  return serial_slots + busiest + cost::kForkJoin;
}

int64_t RegionThreadSlots(int64_t serial_slots, const int64_t* region_slots, int region_count) {
  int64_t busiest = 0, sum = 0;
  for (int r = 0; r < region_count; ++r) {
    busiest = std::max(busiest, region_slots[r]);
    sum += region_slots[r];
  }
  if (region_count <= 1) return serial_slots + sum;
  return serial_slots + busiest + cost::kForkJoin;
}

}  // namespace tinyserve::xs3
