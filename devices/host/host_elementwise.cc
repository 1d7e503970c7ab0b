#include "devices/host/host_elementwise.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "devices/host/host_op_data.h"
#include "engine/kernels/add_sub.h"
#include "engine/kernels/broadcast.h"
#include "engine/kernels/pooling.h"

namespace tinyserve {
namespace host {
namespace {

// ---------------------------------------------------------------------------
// Portable inner loops (baseline C++; the compiler may use SSE2 at most).

void AddRowPortable(const AddParams& p, const int8_t* x0, const int8_t* x1, int8_t* out,
                    int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = AddOne(p, p.scaled[0][x0[i] + 128], p.scaled[1][x1[i] + 128]);
  }
}

void AddRowScalarPortable(const AddParams& p, const int8_t* x0, int32_t scaled1, int8_t* out,
                          int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = AddOne(p, p.scaled[0][x0[i] + 128], scaled1);
}

constexpr int kPortableChunk = 64;

void MaxPoolPortable(const int8_t* in, int64_t row_stride, int ny, int nx, int channels,
                     int32_t act_min, int32_t act_max, int8_t* out) {
  for (int c0 = 0; c0 < channels; c0 += kPortableChunk) {
    const int cn = std::min(kPortableChunk, channels - c0);
    int8_t acc[kPortableChunk];
    std::memset(acc, -128, sizeof(acc));
    for (int y = 0; y < ny; ++y) {
      for (int x = 0; x < nx; ++x) {
        const int8_t* px = in + y * row_stride + static_cast<int64_t>(x) * channels + c0;
        for (int c = 0; c < cn; ++c) acc[c] = std::max(acc[c], px[c]);
      }
    }
    for (int c = 0; c < cn; ++c) {
      out[c0 + c] = static_cast<int8_t>(std::min<int32_t>(std::max<int32_t>(acc[c], act_min),
                                                          act_max));
    }
  }
}

void AvgPoolPortable(const int8_t* in, int64_t row_stride, int ny, int nx, int channels,
                     uint32_t /*magic*/, int32_t act_min, int32_t act_max, int8_t* out) {
  const int count = ny * nx;
  for (int c0 = 0; c0 < channels; c0 += kPortableChunk) {
    const int cn = std::min(kPortableChunk, channels - c0);
    int32_t acc[kPortableChunk] = {};
    for (int y = 0; y < ny; ++y) {
      for (int x = 0; x < nx; ++x) {
        const int8_t* px = in + y * row_stride + static_cast<int64_t>(x) * channels + c0;
        for (int c = 0; c < cn; ++c) acc[c] += px[c];
      }
    }
    for (int c = 0; c < cn; ++c) {
      const int32_t s = acc[c];
      const int32_t v = s > 0 ? (s + count / 2) / count : (s - count / 2) / count;
      out[c0 + c] = static_cast<int8_t>(std::min(std::max(v, act_min), act_max));
    }
  }
}

constexpr ElementwiseKernels kPortable = {"portable", &AddRowPortable, &AddRowScalarPortable,
                                          &MaxPoolPortable, &AvgPoolPortable};

// ---------------------------------------------------------------------------
// ADD.

// Broadcast dims with size-1 dims dropped and neighbours merged where both
// inputs step through them contiguously (or both stay put): the innermost
// dim is then as long as possible.
struct Loops {
  int rank = 0;  // <= Broadcast::kRank; the innermost dim is [rank - 1]
  int64_t dims[Broadcast::kRank] = {};
  int64_t stride[2][Broadcast::kRank] = {};
};

Loops CoalesceBroadcast(const Broadcast& b) {
  Loops l;
  if (b.same_shape) {
    l.rank = 1;
    l.dims[0] = b.size;
    l.stride[0][0] = l.stride[1][0] = 1;
    return l;
  }
  for (int i = 0; i < Broadcast::kRank; ++i) {
    if (b.dims[i] == 1) continue;
    if (l.rank > 0) {
      const int j = l.rank - 1;
      // dim j (outer) merges into dim i (inner) if stepping j equals stepping
      // the whole of i, for both inputs.
      if (l.stride[0][j] == b.stride1[i] * b.dims[i] &&
          l.stride[1][j] == b.stride2[i] * b.dims[i]) {
        l.dims[j] *= b.dims[i];
        l.stride[0][j] = b.stride1[i];
        l.stride[1][j] = b.stride2[i];
        continue;
      }
    }
    l.dims[l.rank] = b.dims[i];
    l.stride[0][l.rank] = b.stride1[i];
    l.stride[1][l.rank] = b.stride2[i];
    ++l.rank;
  }
  if (l.rank == 0) {  // a single element
    l.rank = 1;
    l.dims[0] = 1;
  }
  return l;
}

constexpr int64_t kMinVectorRow = 16;

struct HostAddData : HostOpData {
  const char* inner_loops() const override { return k->name; }

  const ElementwiseKernels* k = nullptr;
  Loops loops;
  AddParams params;          // input 0, input 1
  AddParams params_swapped;  // the stages swapped (the sum commutes)
};

void EvalHostAdd(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const HostAddData&>(op_data);
  const auto* in0 = static_cast<const int8_t*>(inputs[0]);
  const auto* in1 = static_cast<const int8_t*>(inputs[1]);
  auto* out = static_cast<int8_t*>(outputs[0]);
  const Loops& l = d.loops;
  const int inner = l.rank - 1;
  const int64_t n = l.dims[inner];
  const int64_t s0 = l.stride[0][inner], s1 = l.stride[1][inner];
  // Odometer over the outer dims.
  int64_t idx[Broadcast::kRank] = {};
  int64_t off0 = 0, off1 = 0;
  for (;;) {
    const int8_t* a = in0 + off0;
    const int8_t* b = in1 + off1;
    const bool vector = n >= kMinVectorRow;
    if (vector && s0 == 1 && s1 == 1) {
      d.k->add_row(d.params, a, b, out, n);
    } else if (vector && s0 == 1 && s1 == 0) {
      d.k->add_row_scalar(d.params, a, d.params.scaled[1][*b + 128], out, n);
    } else if (vector && s0 == 0 && s1 == 1) {
      d.k->add_row_scalar(d.params_swapped, b, d.params.scaled[0][*a + 128], out, n);
    } else {
      // Short rows (a broadcast that keeps a short innermost dim apart, where
      // the vector loops' setup would cost more than the elements), and any
      // innermost stride but 0 or 1 (coalescing leaves none).
      for (int64_t i = 0; i < n; ++i) {
        out[i] = AddOne(d.params, d.params.scaled[0][a[i * s0] + 128],
                        d.params.scaled[1][b[i * s1] + 128]);
      }
    }
    out += n;
    int k = inner - 1;
    for (; k >= 0; --k) {
      off0 += l.stride[0][k];
      off1 += l.stride[1][k];
      if (++idx[k] < l.dims[k]) break;
      off0 -= l.stride[0][k] * l.dims[k];
      off1 -= l.stride[1][k] * l.dims[k];
      idx[k] = 0;
    }
    if (k < 0) break;
  }
}

// The stage's parameters, or false if the SIMD form does not cover it.
bool MakeStage(int32_t offset, int left_shift, QuantizedMultiplier m, AddInputStage& s) {
  if (m.multiplier < 0 || left_shift < 0 || m.shift < -31) return false;
  const int left = left_shift + std::max(m.shift, 0);
  if (left > 23 || offset < -127 || offset > 128) return false;
  s.offset = offset;
  s.multiplier = m.multiplier;
  s.left_shift = left;
  s.right_shift = std::max(-m.shift, 0);
  return true;
}

BoundKernel SelectAdd(const Model& model, const Operator& op, const ElementwiseKernels& k,
                      std::vector<std::unique_ptr<const OpData>>& owned) {
  const AddSubData* base_data = OpDataAs<AddSubData>(model.op_data(op.index));
  if (base_data == nullptr) return {};  // not the data this kernel expects: the reference kernel runs it
  const AddSubData& base = *base_data;
  auto d = std::make_unique<HostAddData>();
  AddParams& p = d->params;
  if (!MakeStage(base.input1_offset, base.left_shift, base.input1_multiplier, p.in[0]) ||
      !MakeStage(base.input2_offset, base.left_shift, base.input2_multiplier, p.in[1])) {
    return {};
  }
  const QuantizedMultiplier mo = base.output_multiplier;
  if (mo.multiplier < 0 || mo.shift > 31 || mo.shift < -31) return {};
  p.out_multiplier = mo.multiplier;
  p.out_left_shift = std::max(mo.shift, 0);
  p.out_right_shift = std::max(-mo.shift, 0);
  p.out_zero_point = base.output_zero_point;
  p.act_min = std::max(base.activation.min, -128);
  p.act_max = std::min(base.activation.max, 127);
  if (p.act_min > p.act_max) return {};
  FinishAddParams(p);
  // The stages must be the reference's (they are, by construction: checked on
  // every input value). Their sum (and the output zero point's addition) must
  // not overflow int32, which the reference computes with non-wrapping adds:
  // checked on the extreme values.
  const int32_t offsets[2] = {base.input1_offset, base.input2_offset};
  const QuantizedMultiplier ms[2] = {base.input1_multiplier, base.input2_multiplier};
  int64_t max_abs[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    for (int x = -128; x <= 127; ++x) {
      if (p.scaled[i][x + 128] != ScaleAddSubInput(x, offsets[i], base.left_shift, ms[i])) {
        return {};
      }
      max_abs[i] = std::max<int64_t>(max_abs[i], std::abs(int64_t{p.scaled[i][x + 128]}));
    }
  }
  const int64_t raw_max = max_abs[0] + max_abs[1];
  if (raw_max >= (int64_t{1} << 30)) return {};
  // SRDHM and RDBPOT never grow a value beyond |x| + 1, so with the left shift
  // the output stage stays below 2^30 + 1 when raw << left_shift does not wrap.
  if ((raw_max << p.out_left_shift) >= (int64_t{1} << 30)) return {};
  d->params_swapped = p;
  std::swap(d->params_swapped.in[0], d->params_swapped.in[1]);
  std::memcpy(d->params_swapped.scaled[0], p.scaled[1], sizeof(p.scaled[1]));
  std::memcpy(d->params_swapped.scaled[1], p.scaled[0], sizeof(p.scaled[0]));
  d->k = &k;
  d->loops = CoalesceBroadcast(base.broadcast);
  if (base.broadcast.size == 0) return {};
  BoundKernel bound{&EvalHostAdd, d.get()};
  owned.push_back(std::move(d));
  return bound;
}

// ---------------------------------------------------------------------------
// Pools.

struct HostPoolData : HostOpData {
  const char* inner_loops() const override { return k->name; }

  const PoolData* base = nullptr;
  const ElementwiseKernels* k = nullptr;
  uint32_t magic[kMaxAvgPoolTaps + 1] = {};  // ceil(2^31 / count), count >= 1
};

template <bool kAverage>
void EvalHostPool(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& d = static_cast<const HostPoolData&>(op_data);
  const WindowGeometry& g = d.base->geometry;
  const int32_t lo = d.base->activation.min, hi = d.base->activation.max;
  const auto* input = static_cast<const int8_t*>(inputs[0]);
  auto* out = static_cast<int8_t*>(outputs[0]);
  const int c = g.in_c;
  const int64_t row_stride = static_cast<int64_t>(g.in_w) * c;
  for (int b = 0; b < g.batches; ++b) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int in_y0 = oy * g.stride_h - g.pad_top;
      const int y0 = std::max(0, -in_y0);
      const int y1 = std::min(g.filter_h, g.in_h - in_y0);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int in_x0 = ox * g.stride_w - g.pad_left;
        const int x0 = std::max(0, -in_x0);
        const int x1 = std::min(g.filter_w, g.in_w - in_x0);
        if (y1 <= y0 || x1 <= x0) {
          // No tap in the image: the reference's empty max (-128) or average (0).
          const int32_t v = std::min(std::max(kAverage ? 0 : -128, lo), hi);
          std::memset(out, v, static_cast<size_t>(c));
        } else {
          const int8_t* px =
              input + ((static_cast<int64_t>(b) * g.in_h + in_y0 + y0) * g.in_w + in_x0 + x0) * c;
          if constexpr (kAverage) {
            d.k->avg_pool(px, row_stride, y1 - y0, x1 - x0, c, d.magic[(y1 - y0) * (x1 - x0)], lo,
                          hi, out);
          } else {
            d.k->max_pool(px, row_stride, y1 - y0, x1 - x0, c, lo, hi, out);
          }
        }
        out += c;
      }
    }
  }
}

BoundKernel SelectPool(const Model& model, const Operator& op, const ElementwiseKernels& k,
                       bool average, std::vector<std::unique_ptr<const OpData>>& owned) {
  const PoolData* base_data = OpDataAs<PoolData>(model.op_data(op.index));
  if (base_data == nullptr) return {};  // not the data this kernel expects: the reference kernel runs it
  const PoolData& base = *base_data;
  const WindowGeometry& g = base.geometry;
  if (g.out_c != g.in_c || g.dilation_h != 1 || g.dilation_w != 1) return {};
  if (base.activation.min < -128 || base.activation.max > 127 ||
      base.activation.min > base.activation.max) {
    return {};
  }
  if (average && g.filter_h * g.filter_w > kMaxAvgPoolTaps) return {};
  auto d = std::make_unique<HostPoolData>();
  d->base = &base;
  d->k = &k;
  for (int count = 1; count <= kMaxAvgPoolTaps; ++count) {
    d->magic[count] = static_cast<uint32_t>(((uint64_t{1} << 31) + count - 1) / count);
  }
  BoundKernel bound{average ? &EvalHostPool<true> : &EvalHostPool<false>, d.get()};
  owned.push_back(std::move(d));
  return bound;
}

}  // namespace

void FinishAddParams(AddParams& p) {
  for (int i = 0; i < 2; ++i) {
    AddInputStage& s = p.in[i];
    for (int x = -128; x <= 127; ++x) {
      p.scaled[i][x + 128] = RoundingDivideByPOT(
          SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(x + s.offset, s.left_shift),
                                            s.multiplier),
          s.right_shift);
    }
    const int64_t intercept = p.scaled[i][128];
    const int64_t slope = int64_t{p.scaled[i][129]} - intercept;
    int shift = -1;
    if (slope == 0) shift = 32;
    for (int k = 0; k <= 30; ++k) {
      if (slope == int64_t{1} << k) shift = k;
    }
    s.linear = shift >= 0;
    for (int x = -128; x <= 127 && s.linear; ++x) {
      s.linear = p.scaled[i][x + 128] == slope * x + intercept;
    }
    s.linear_shift = s.linear ? shift : 0;
    s.intercept = s.linear ? static_cast<int32_t>(intercept) : 0;
  }
}

const ElementwiseKernels& PortableElementwiseKernels() { return kPortable; }

const ElementwiseKernels& ElementwiseKernelsFor(const char* isa_name) {
#if defined(TINYSERVE_HOST_X86)
  if (isa_name != nullptr) {
    if (std::strcmp(isa_name, "avx2") == 0) return Avx2ElementwiseKernels();
    if (std::strncmp(isa_name, "avx512", 6) == 0) return Avx512ElementwiseKernels();
  }
#else
  (void)isa_name;
#endif
  return kPortable;
}

}  // namespace host

BoundKernel SelectHostElementwiseKernel(const Model& model, const Operator& op,
                                        const host::IsaKernels* isa,
                                        std::vector<std::unique_ptr<const OpData>>& owned) {
  const host::ElementwiseKernels& k =
      host::ElementwiseKernelsFor(isa != nullptr ? isa->name : nullptr);
  switch (op.type) {
    case OpType::kAdd:
      return host::SelectAdd(model, op, k, owned);
    case OpType::kAveragePool2D:
      return host::SelectPool(model, op, k, /*average=*/true, owned);
    case OpType::kMaxPool2D:
      return host::SelectPool(model, op, k, /*average=*/false, owned);
    default:
      return {};
  }
}

}  // namespace tinyserve
