#include "devices/host/host_conv.h"

#include <algorithm>
#include <cstring>

#include "devices/host/host_op_data.h"
#include "devices/host/host_packing.h"
#include "devices/host/host_window_rows.h"
#include "engine/kernels/conv.h"
#include "engine/kernels/fully_connected.h"

namespace tinyserve::host {
namespace {

// Pixels per conv kernel call (fewer for tall filters: filter_h pointers each).
constexpr int kMaxCallPixels = 64;
constexpr int kMaxCallRowPtrs = 1024;

struct HostConvData : HostOpData {
  const char* inner_loops() const override { return isa->name; }

  const IsaKernels* isa = nullptr;
  WindowGeometry g;
  bool dense_rows = true;  // a window row is filter_w * in_c contiguous bytes
  int row_k = 0, groups = 0;
  int64_t block_stride = 0;
  std::vector<int8_t> packed;
  RequantStorage rq;
  std::vector<int8_t> zp_row;  // row_k bytes of the input zero point
  PaddedRowsPlan rows_plan;    // used when usable and dense_rows
  bool pixel_pairs = false;    // see ConvTileArgs::pixel_pairs
  bool pointwise = false;      // 1x1, stride 1, no padding, same spatial size
};

inline ConvTileArgs TileArgs(const HostConvData& d) {
  ConvTileArgs a{};
  a.filter_h = d.g.filter_h;
  a.row_k = d.row_k;
  a.groups = d.groups;
  a.w = d.packed.data();
  a.block_stride = d.block_stride;
  a.out_c = d.g.out_c;
  a.rq = &d.rq.table;
  a.pixel_pairs = d.pixel_pairs;
  a.row_k_exact = d.row_k;
  return a;
}

// Every window interior thanks to the padded row cache; pixel tiles run on
// across output rows (the output is contiguous in NHWC).
void EvalHostConvPadded(const HostConvData& d, const int8_t* input, int8_t* output) {
  const WindowGeometry& g = d.g;
  const int fh = g.filter_h;
  alignas(64) int8_t cache[kRowCacheBytes];
  RowCache rc(g, d.rows_plan, g.in_c, d.zp_row[0], cache);
  const int8_t* rp[kMaxRowPtrs];
  const int8_t* rows[kMaxCallRowPtrs];
  const int call_pixels = std::min(kMaxCallPixels, kMaxCallRowPtrs / fh);
  ConvTileArgs a = TileArgs(d);
  a.rows = rows;
  a.x_offset = d.rows_plan.flip != 0;
  // The cache rows carry slack, so a row's last k-step may read whole.
  a.row_k = d.groups * d.isa->k_step;
  const int64_t pix_step = static_cast<int64_t>(g.stride_w) * g.in_c;
  for (int b = 0; b < g.batches; ++b) {
    for (int oy0 = 0; oy0 < g.out_h; oy0 += d.rows_plan.out_rows) {
      const int nr = std::min(d.rows_plan.out_rows, g.out_h - oy0);
      rc.Rows(input, b, oy0, nr, rp);
      if (nr == 1) {  // one output row: its pixels are evenly spaced in the cached rows
        a.rows = nullptr;
        a.x_base = rp;
        a.x_pix_step = pix_step;
        a.npix = g.out_w;
        a.out = output;
        d.isa->conv_tile(a);
        a.rows = rows;
        output += static_cast<int64_t>(g.out_w) * g.out_c;
        continue;
      }
      const int total = nr * g.out_w;
      int r = 0, ox = 0;  // output row (within the call) and column of the next pixel
      for (int q0 = 0; q0 < total; q0 += call_pixels) {
        const int n = std::min(call_pixels, total - q0);
        for (int p = 0; p < n; ++p) {
          const int8_t* const* rr = rp + r * fh;
          const int64_t off = ox * pix_step;
          for (int ky = 0; ky < fh; ++ky) rows[p * fh + ky] = rr[ky] + off;
          if (++ox == g.out_w) {
            ox = 0;
            ++r;
          }
        }
        a.npix = n;
        a.out = output;
        d.isa->conv_tile(a);
        output += static_cast<int64_t>(n) * g.out_c;
      }
    }
  }
}

void EvalHostConv(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const HostConvData&>(op_data);
  const WindowGeometry& g = d.g;
  const auto* input = static_cast<const int8_t*>(inputs[kConvInputTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  if (d.pointwise) {  // 1x1, stride 1, no padding: a GEMM over the contiguous pixels
    ConvTileArgs a = TileArgs(d);
    a.rows = nullptr;
    a.x_base = &input;
    a.x_pix_step = g.in_c;
    a.x_offset = false;
    a.npix = g.batches * g.out_h * g.out_w;
    a.out = output;
    d.isa->conv_tile(a);
    return;
  }
  if (d.rows_plan.usable && d.dense_rows) return EvalHostConvPadded(d, input, output);
  const int8_t zp = d.zp_row[0];
  const int fh = g.filter_h;
  alignas(64) int8_t patch[kMaxPatchBytes];
  const int8_t* rows[kMaxTilePixels * kMaxFilterRows];
  ConvTileArgs a = TileArgs(d);
  a.rows = rows;
  a.x_offset = false;
  int lo = 0, hi = 0;
  InteriorColumns(g, lo, hi);
  if (!d.dense_rows) lo = hi = 0;
  RowSet r;
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      RowsFor(g, input, b, oy, r);
      int ox = 0;
      while (ox < g.out_w) {
        if (ox >= lo && ox < hi) {
          const int n = std::min(kMaxTilePixels, hi - ox);
          for (int p = 0; p < n; ++p) {
            const int64_t x_off = static_cast<int64_t>((ox + p) * g.stride_w - g.pad_left) * g.in_c;
            for (int ky = 0; ky < fh; ++ky) {
              rows[p * fh + ky] = r.base[ky] != nullptr ? r.base[ky] + x_off : d.zp_row.data();
            }
          }
          a.npix = n;
          a.out = output;
          d.isa->conv_tile(a);
          ox += n;
          output += static_cast<int64_t>(n) * g.out_c;
        } else {
          GatherPatch(g, r, ox * g.stride_w - g.pad_left, g.in_c, zp, patch);
          for (int ky = 0; ky < fh; ++ky) rows[ky] = patch + ky * d.row_k;
          a.npix = 1;
          a.out = output;
          d.isa->conv_tile(a);
          ++ox;
          output += g.out_c;
        }
      }
    }
  }
}

struct HostFullyConnectedData : HostOpData {
  const char* inner_loops() const override { return conv.isa->name; }

  HostConvData conv;
  int batches = 0;
};

void EvalHostFullyConnected(const OpData& op_data, const void* const* inputs,
                            void* const* outputs) {
  const auto& d = static_cast<const HostFullyConnectedData&>(op_data);
  const auto* input = static_cast<const int8_t*>(inputs[kFullyConnectedInputTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  const int8_t* rows[kMaxCallPixels];
  ConvTileArgs a = TileArgs(d.conv);
  a.rows = rows;
  a.x_offset = false;
  for (int b = 0; b < d.batches; b += kMaxCallPixels) {
    const int n = std::min(kMaxCallPixels, d.batches - b);
    for (int p = 0; p < n; ++p) rows[p] = input + static_cast<int64_t>(b + p) * d.conv.row_k;
    a.npix = n;
    a.out = output + static_cast<int64_t>(b) * d.conv.g.out_c;
    d.conv.isa->conv_tile(a);
  }
}

// Fills everything but the geometry-specific fields; w is [out_c][filter_h][row_k].
void PrepareConvData(HostConvData& d, const IsaKernels* isa, const int8_t* w, const int32_t* bias,
                     const ConvQuantization& q) {
  d.isa = isa;
  d.packed = PackConvWeights(w, d.g.out_c, d.g.filter_h, d.row_k, *isa, &d.groups, &d.block_stride);
  d.pixel_pairs = isa->oc_block == 16 && d.g.out_c == 8;
  if (d.pixel_pairs) {  // lanes 8..15 repeat lanes 0..7 (int8 quads or int16 pairs)
    const int64_t lane_bytes = isa->k_step * (isa->k_step == 4 ? 1 : 2);
    for (int64_t off = 0; off < d.block_stride * (isa->k_step == 4 ? 1 : 2); off += 16 * lane_bytes) {
      std::memcpy(&d.packed[off + 8 * lane_bytes], &d.packed[off], 8 * lane_bytes);
    }
  }
  std::vector<int32_t> wsum(d.g.out_c, 0);
  const int64_t per_oc = static_cast<int64_t>(d.g.filter_h) * d.row_k;
  for (int oc = 0; oc < d.g.out_c; ++oc) {
    for (int64_t k = 0; k < per_oc; ++k) wsum[oc] += w[oc * per_oc + k];
  }
  BuildRequant(q, bias, wsum, q.input_zero_point + isa->zp_offset, d.pixel_pairs ? 8 : 0, &d.rq);
  d.zp_row.assign(d.row_k + 64, static_cast<int8_t>(q.input_zero_point));
}

}  // namespace

BoundKernel CompileConv(const Model& model, const Operator& op, const IsaKernels* isa,
                        std::vector<std::unique_ptr<const OpData>>& owned) {
  const ConvData* c_data = OpDataAs<ConvData>(model.op_data(op.index));
  if (c_data == nullptr) return {};  // not the data this kernel expects: the reference kernel runs it
  const ConvData& c = *c_data;
  const WindowGeometry& g = c.geometry;
  const bool pointwise = g.filter_h == 1 && g.filter_w == 1 && g.stride_h == 1 &&
                        g.stride_w == 1 && g.pad_top == 0 && g.pad_left == 0 &&
                        g.out_h == g.in_h && g.out_w == g.in_w;
  // Only the gathering paths bound the window (pointwise reads the input in place).
  if (c.filter_c != g.in_c || g.filter_h > kMaxFilterRows ||
      (!pointwise && static_cast<int64_t>(g.filter_h) * g.filter_w * g.in_c > kMaxPatchBytes)) {
    return {};
  }
  auto d = std::make_unique<HostConvData>();
  d->g = g;
  d->dense_rows = g.dilation_w == 1 || g.filter_w == 1;
  d->pointwise = pointwise;
  d->row_k = g.filter_w * g.in_c;
  // Several output rows per call when the output is narrow.
  d->rows_plan = PlanPaddedRows(g, g.in_c, isa->zp_offset,
                                std::max(1, kMaxCallPixels / std::max(1, g.out_w)));
  PrepareConvData(*d, isa, WeightData(model, op, kConvFilterTensor),
                  BiasData(model, op, kConvBiasTensor), c.quant);
  BoundKernel k{&EvalHostConv, d.get()};
  owned.push_back(std::move(d));
  return k;
}

BoundKernel CompileFullyConnected(const Model& model, const Operator& op, const IsaKernels* isa,
                                  std::vector<std::unique_ptr<const OpData>>& owned) {
  const FullyConnectedData* f_data = OpDataAs<FullyConnectedData>(model.op_data(op.index));
  if (f_data == nullptr) return {};  // not the data this kernel expects: the reference kernel runs it
  const FullyConnectedData& f = *f_data;
  auto d = std::make_unique<HostFullyConnectedData>();
  d->batches = f.batches;
  WindowGeometry& g = d->conv.g;
  g.batches = 1;
  g.filter_h = g.filter_w = 1;
  g.in_c = f.depth;
  g.out_c = f.units;
  d->conv.row_k = f.depth;
  PrepareConvData(d->conv, isa, WeightData(model, op, kFullyConnectedWeightsTensor),
                  BiasData(model, op, kFullyConnectedBiasTensor), f.quant);
  BoundKernel k{&EvalHostFullyConnected, d.get()};
  owned.push_back(std::move(d));
  return k;
}

}  // namespace tinyserve::host
