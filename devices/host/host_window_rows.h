// How the host kernels see an input window: border windows gathered into a
// patch, or whole input rows copied once into a small padded row cache so
// that every window is an interior one (see RowCache). Shared by the conv and
// depthwise drivers; everything here runs on the baseline ISA.
#ifndef TINYSERVE_DEVICES_HOST_HOST_WINDOW_ROWS_H_
#define TINYSERVE_DEVICES_HOST_HOST_WINDOW_ROWS_H_

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "devices/host/host_packing.h"
#include "engine/kernels/window_geometry.h"

namespace tinyserve::host {

// A border window is gathered into a stack patch (the zero point where the
// window leaves the image), so windows larger than this run the reference kernel.
inline constexpr int kMaxPatchBytes = 16384;
inline constexpr int kMaxFilterRows = 64;

// Input rows of one output row: rows[ky] points at column 0 of the input row
// the filter row ky reads, or is null when that row lies in the padding.
struct RowSet {
  const int8_t* base[kMaxFilterRows];
};

inline void RowsFor(const WindowGeometry& g, const int8_t* input, int b, int oy, RowSet& r) {
  const int in_y0 = oy * g.stride_h - g.pad_top;
  for (int ky = 0; ky < g.filter_h; ++ky) {
    const int iy = in_y0 + ky * g.dilation_h;
    r.base[ky] = (iy >= 0 && iy < g.in_h)
                     ? input + (static_cast<int64_t>(b) * g.in_h + iy) * g.in_w * g.in_c
                     : nullptr;
  }
}

// Output columns [lo, hi) whose window lies inside the image horizontally.
inline void InteriorColumns(const WindowGeometry& g, int& lo, int& hi) {
  const int span = (g.filter_w - 1) * g.dilation_w + 1;
  lo = 0;
  while (lo < g.out_w && lo * g.stride_w - g.pad_left < 0) ++lo;
  hi = lo;
  while (hi < g.out_w && hi * g.stride_w - g.pad_left + span <= g.in_w) ++hi;
}

// The window at column `in_x0` as filter_h rows of filter_w * channels bytes,
// the zero point where it leaves the image.
inline void GatherPatch(const WindowGeometry& g, const RowSet& r, int in_x0, int channels,
                        int8_t zp, int8_t* patch) {
  const int row_k = g.filter_w * channels;
  for (int ky = 0; ky < g.filter_h; ++ky) {
    for (int kx = 0; kx < g.filter_w; ++kx) {
      int8_t* dst = patch + ky * row_k + kx * channels;
      const int ix = in_x0 + kx * g.dilation_w;
      if (r.base[ky] != nullptr && ix >= 0 && ix < g.in_w) {
        std::memcpy(dst, r.base[ky] + static_cast<int64_t>(ix) * channels, channels);
      } else {
        std::memset(dst, zp, channels);
      }
    }
  }
}

// Padded copies of the input rows an output row reads: [pad_left | in_w |
// pad_right] pixels with the zero point in the padding, so every window is
// an interior one; stored as x ^ 0x80 (x + 128 as a byte) when the ISA
// multiplies unsigned inputs. The rows live in a small cache on Eval's stack
// that keeps the rows the next output row still reads (stride 1: one new
// row per output row).
inline constexpr int kRowCacheBytes = 49152;
inline constexpr int kMaxCacheSlots = 64;
inline constexpr int kMaxRowPtrs = 256;  // filter_h * output rows per Rows() call

struct PaddedRowsPlan {
  bool usable = false;
  int width_px = 0;       // padded row width in pixels
  int64_t row_bytes = 0;  // width_px * channels + 4 bytes of slack, rounded up to 64
  uint8_t flip = 0;       // 0x80 when rows hold x + 128
  int slots = 0;          // cached rows; input row iy lives in slot iy % slots
  int out_rows = 1;       // output rows served per Rows() call
};

// Input rows [first, last] that output rows oy0 .. oy0 + n - 1 read (dense in y
// only for dilation 1; the span bounds the slots needed either way).
inline int64_t RowSpan(const WindowGeometry& g, int n) {
  return static_cast<int64_t>(n - 1) * g.stride_h + static_cast<int64_t>(g.filter_h - 1) * g.dilation_h + 1;
}

// `max_out_rows` > 1 lets narrow outputs fill pixel tiles across output rows.
inline PaddedRowsPlan PlanPaddedRows(const WindowGeometry& g, int channels, int zp_offset,
                              int max_out_rows) {
  PaddedRowsPlan plan;
  const int64_t need = static_cast<int64_t>(g.out_w - 1) * g.stride_w +
                       static_cast<int64_t>(g.filter_w - 1) * g.dilation_w + 1;
  const int64_t width = std::max<int64_t>(need, static_cast<int64_t>(g.pad_left) + g.in_w);
  plan.row_bytes = RoundUp(width * channels + 4, 64);
  plan.width_px = static_cast<int>(width);
  plan.flip = zp_offset == 128 ? 0x80 : 0;
  const int64_t fit = std::min<int64_t>(kMaxCacheSlots, kRowCacheBytes / plan.row_bytes - 1);
  if (g.filter_h > kMaxFilterRows || RowSpan(g, 1) > fit) return plan;
  plan.usable = true;
  plan.slots = static_cast<int>(fit);
  while (plan.out_rows < max_out_rows && plan.out_rows < g.out_h &&
         (plan.out_rows + 1) * g.filter_h <= kMaxRowPtrs && RowSpan(g, plan.out_rows + 1) <= fit) {
    ++plan.out_rows;
  }
  return plan;
}

class RowCache {
 public:
  RowCache(const WindowGeometry& g, const PaddedRowsPlan& plan, int channels, int8_t zp,
           int8_t* storage)
      : g_(g), plan_(plan), channels_(channels), zp_(static_cast<int8_t>(zp ^ plan.flip)),
        storage_(storage) {
    for (int i = 0; i < plan.slots; ++i) tags_[i] = -1;
    zero_row_ = storage + static_cast<int64_t>(plan.slots) * plan.row_bytes;
    std::memset(zero_row_, zp_, static_cast<size_t>(plan.row_bytes));
  }

  // rows[r * filter_h + ky] = the padded input row that filter row ky reads for
  // output row (b, oy0 + r), r < n <= plan.out_rows. The rows one call asks for
  // span at most `slots` input rows, so their slots iy % slots are distinct.
  void Rows(const int8_t* input, int b, int oy0, int n, const int8_t** rows) {
    for (int r = 0; r < n; ++r) {
      const int in_y0 = (oy0 + r) * g_.stride_h - g_.pad_top;
      for (int ky = 0; ky < g_.filter_h; ++ky) {
        const int iy = in_y0 + ky * g_.dilation_h;
        const int8_t*& row = rows[r * g_.filter_h + ky];
        if (iy < 0 || iy >= g_.in_h) {
          row = zero_row_;
          continue;
        }
        const int64_t tag = static_cast<int64_t>(b) * g_.in_h + iy;
        const int slot = iy % plan_.slots;
        int8_t* dst = storage_ + slot * plan_.row_bytes;
        if (tags_[slot] != tag) {
          Fill(input + tag * g_.in_w * channels_, dst);
          tags_[slot] = tag;
        }
        row = dst;
      }
    }
  }

 private:
  void Fill(const int8_t* src, int8_t* dst) {
    const int64_t left = static_cast<int64_t>(g_.pad_left) * channels_;
    const int64_t n = static_cast<int64_t>(g_.in_w) * channels_;
    std::memset(dst, zp_, static_cast<size_t>(left));
    if (plan_.flip != 0) {
      for (int64_t i = 0; i < n; ++i) dst[left + i] = static_cast<int8_t>(src[i] ^ 0x80);
    } else {
      std::memcpy(dst + left, src, static_cast<size_t>(n));
    }
    const int64_t right = plan_.row_bytes - left - n;  // padding and slack
    std::memset(dst + left + n, zp_, static_cast<size_t>(right));
  }

  const WindowGeometry& g_;
  const PaddedRowsPlan& plan_;
  int channels_;
  int8_t zp_;
  int8_t* storage_;
  int8_t* zero_row_;
  int64_t tags_[kMaxCacheSlots];
};

}  // namespace tinyserve::host

#endif  // TINYSERVE_DEVICES_HOST_HOST_WINDOW_ROWS_H_
