#include "devices/host/host_depthwise.h"

#include <algorithm>
#include <cstring>

#include "devices/host/host_op_data.h"
#include "devices/host/host_packing.h"
#include "devices/host/host_window_rows.h"
#include "engine/kernels/depthwise_conv.h"

namespace tinyserve::host {
namespace {

struct HostDepthwiseData : HostOpData {
  const char* inner_loops() const override { return isa->name; }

  const IsaKernels* isa = nullptr;
  WindowGeometry g;
  std::vector<int32_t> w;       // [tap][channels padded], int16 zero-extended to int32
  std::vector<int32_t> w_flat;  // [tap][kDepthwiseChunk], lane l = channel l % channels
  RequantStorage rq, rq_flat;
  bool flat = false;            // stride-1 runs flattened into one wide pixel
  std::vector<int8_t> zp_row;   // covers the widest run
  PaddedRowsPlan rows_plan;
};

// Every pixel of an output row in one call thanks to the padded row cache.
void EvalHostDepthwisePadded(const HostDepthwiseData& d, const int8_t* input, int8_t* output) {
  const WindowGeometry& g = d.g;
  const int C = g.out_c;
  alignas(64) int8_t cache[kRowCacheBytes];
  RowCache rc(g, d.rows_plan, C, d.zp_row[0], cache);
  const int8_t* rows[kMaxFilterRows];
  DepthwiseArgs a{};
  a.rows = rows;
  a.filter_h = g.filter_h;
  a.filter_w = g.filter_w;
  a.pix_step = static_cast<int64_t>(g.stride_w) * C;
  a.tap_step = static_cast<int64_t>(g.dilation_w) * C;
  a.x_offset = d.rows_plan.flip != 0;
  // Flat: the row's out_w * C outputs as pixels of kDepthwiseChunk lanes
  // (weights and parameters repeat with period C), then a narrower tail.
  const int64_t flat_total = static_cast<int64_t>(g.out_w) * C;
  const int flat_full = static_cast<int>(flat_total / kDepthwiseChunk);
  const int flat_tail = static_cast<int>(flat_total % kDepthwiseChunk);
  const int8_t* tail_rows[kMaxFilterRows];
  DepthwiseArgs tail{};
  if (d.flat) {
    a.channels = kDepthwiseChunk;
    a.npix = flat_full;
    a.pix_step = kDepthwiseChunk;
    a.w = d.w_flat.data();
    a.w_tap_stride = kDepthwiseChunk;
    a.w_chunk_step = 0;
    a.rq_chunk_step = 0;
    a.rq = &d.rq_flat.table;
    tail = a;
    tail.rows = tail_rows;
    tail.channels = flat_tail;
    tail.npix = 1;
  } else {
    a.channels = C;
    a.npix = g.out_w;
    a.w = d.w.data();
    a.w_tap_stride = static_cast<int>(RoundUp(C, kChannelPad));
    a.w_chunk_step = kDepthwiseChunk;
    a.rq_chunk_step = kDepthwiseChunk;
    a.rq = &d.rq.table;
  }
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      rc.Rows(input, b, oy, 1, rows);
      a.out = output;
      if (a.npix > 0) d.isa->depthwise(a);
      if (d.flat && flat_tail > 0) {
        const int64_t done = static_cast<int64_t>(flat_full) * kDepthwiseChunk;
        for (int ky = 0; ky < g.filter_h; ++ky) tail_rows[ky] = rows[ky] + done;
        tail.out = output + done;
        d.isa->depthwise(tail);
      }
      output += static_cast<int64_t>(g.out_w) * C;
    }
  }
}

void EvalHostDepthwise(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const HostDepthwiseData&>(op_data);
  const WindowGeometry& g = d.g;
  const int C = g.out_c;
  const auto* input = static_cast<const int8_t*>(inputs[kDepthwiseInputTensor]);
  auto* output = static_cast<int8_t*>(outputs[0]);
  if (d.rows_plan.usable) return EvalHostDepthwisePadded(d, input, output);
  const int8_t zp = d.zp_row[0];
  const int cpad = static_cast<int>(RoundUp(C, kChannelPad));
  alignas(64) int8_t patch[kMaxPatchBytes];
  const int8_t* rows[kMaxFilterRows];
  DepthwiseArgs base{};
  base.rows = rows;
  base.filter_h = g.filter_h;
  base.filter_w = g.filter_w;
  base.x_offset = false;
  DepthwiseArgs border = base;
  border.channels = C;
  border.npix = 1;
  border.tap_step = C;
  border.w = d.w.data();
  border.w_tap_stride = cpad;
  border.w_chunk_step = kDepthwiseChunk;
  border.rq_chunk_step = kDepthwiseChunk;
  border.rq = &d.rq.table;
  DepthwiseArgs run = border;
  run.pix_step = static_cast<int64_t>(g.stride_w) * C;
  run.tap_step = static_cast<int64_t>(g.dilation_w) * C;
  if (d.flat) {
    run.w = d.w_flat.data();
    run.w_tap_stride = kDepthwiseChunk;
    run.w_chunk_step = 0;
    run.rq_chunk_step = 0;
    run.rq = &d.rq_flat.table;
  }
  int lo = 0, hi = 0;
  InteriorColumns(g, lo, hi);
  RowSet r;
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      RowsFor(g, input, b, oy, r);
      auto border_pixel = [&](int ox) {
        GatherPatch(g, r, ox * g.stride_w - g.pad_left, C, zp, patch);
        for (int ky = 0; ky < g.filter_h; ++ky) rows[ky] = patch + ky * g.filter_w * C;
        border.out = output + static_cast<int64_t>(ox) * C;
        d.isa->depthwise(border);
      };
      for (int ox = 0; ox < lo; ++ox) border_pixel(ox);
      if (hi > lo) {
        const int64_t x_off = static_cast<int64_t>(lo * g.stride_w - g.pad_left) * C;
        for (int ky = 0; ky < g.filter_h; ++ky) {
          rows[ky] = r.base[ky] != nullptr ? r.base[ky] + x_off : d.zp_row.data();
        }
        run.out = output + static_cast<int64_t>(lo) * C;
        if (d.flat) {
          run.channels = (hi - lo) * C;
          run.npix = 1;
        } else {
          run.npix = hi - lo;
        }
        d.isa->depthwise(run);
      }
      for (int ox = hi; ox < g.out_w; ++ox) border_pixel(ox);
      output += static_cast<int64_t>(g.out_w) * C;
    }
  }
}

}  // namespace

BoundKernel CompileDepthwise(const Model& model, const Operator& op, const IsaKernels* isa,
                             std::vector<std::unique_ptr<const OpData>>& owned) {
  const DepthwiseConvData* c_data = OpDataAs<DepthwiseConvData>(model.op_data(op.index));
  if (c_data == nullptr) return {};  // not the data this kernel expects: the reference kernel runs it
  const DepthwiseConvData& c = *c_data;
  const WindowGeometry& g = c.geometry;
  const int C = g.out_c;
  const int taps = g.filter_h * g.filter_w;
  if (c.depth_multiplier != 1 || g.in_c != C || g.filter_h > kMaxFilterRows ||
      static_cast<int64_t>(taps) * C > kMaxPatchBytes) {
    return {};
  }
  auto d = std::make_unique<HostDepthwiseData>();
  d->isa = isa;
  d->g = g;
  const int8_t* w = WeightData(model, op, kDepthwiseFilterTensor);  // [tap][C]
  const int32_t* bias = BiasData(model, op, kDepthwiseBiasTensor);
  const int cpad = static_cast<int>(RoundUp(C, kChannelPad));
  // int16 in the low half, zero above: vpmaddwd then adds x * w + sign(x) * 0,
  // and vpdpbusd sees the weight in byte 0 against x + 128 in byte 0 (x's
  // upper bytes are zero).
  auto widen = [](int8_t v) { return static_cast<int32_t>(static_cast<uint16_t>(int16_t{v})); };
  d->w.assign(static_cast<size_t>(taps) * cpad, 0);
  std::vector<int32_t> wsum(C, 0);
  for (int t = 0; t < taps; ++t) {
    for (int ch = 0; ch < C; ++ch) {
      d->w[static_cast<size_t>(t) * cpad + ch] = widen(w[static_cast<int64_t>(t) * C + ch]);
      wsum[ch] += w[static_cast<int64_t>(t) * C + ch];
    }
  }
  const int32_t zp = c.quant.input_zero_point + isa->zp_offset;
  BuildRequant(c.quant, bias, wsum, zp, 0, &d->rq);
  d->flat = g.stride_w == 1 && C < kDepthwiseChunk && kDepthwiseChunk % C == 0;
  if (d->flat) {
    d->w_flat.assign(static_cast<size_t>(taps) * kDepthwiseChunk, 0);
    for (int t = 0; t < taps; ++t) {
      for (int l = 0; l < kDepthwiseChunk; ++l) {
        d->w_flat[t * kDepthwiseChunk + l] = widen(w[static_cast<int64_t>(t) * C + l % C]);
      }
    }
    BuildRequant(c.quant, bias, wsum, zp, C, &d->rq_flat);
  }
  const int64_t span = (static_cast<int64_t>(g.out_w) - 1) * g.stride_w * C +
                       static_cast<int64_t>(g.filter_w - 1) * g.dilation_w * C + C;
  d->zp_row.assign(span + 64, static_cast<int8_t>(c.quant.input_zero_point));
  d->rows_plan = PlanPaddedRows(g, C, isa->zp_offset, 1);
  BoundKernel k{&EvalHostDepthwise, d.get()};
  owned.push_back(std::move(d));
  return k;
}

}  // namespace tinyserve::host
