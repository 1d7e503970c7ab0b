#include "devices/host/host_packing.h"

#include <cstring>

namespace tinyserve::host {

void BuildRequant(const ConvQuantization& q, const int32_t* bias, const std::vector<int32_t>& wsum,
                  int32_t zp, int period, RequantStorage* s) {
  const int channels = static_cast<int>(wsum.size());
  const int lanes = static_cast<int>(RoundUp(period > 0 ? kDepthwiseChunk : channels, kChannelPad));
  for (auto* v : {&s->bias, &s->mult, &s->lshift, &s->rshift, &s->rmask}) v->assign(lanes, 0);
  bool simd = true, any_lshift = false;
  for (int l = 0; l < lanes; ++l) {
    const int c = period > 0 ? l % period : l;
    if (c >= channels) continue;
    const uint32_t b = bias != nullptr ? static_cast<uint32_t>(bias[c]) : 0u;
    s->bias[l] = static_cast<int32_t>(b - static_cast<uint32_t>(zp) * static_cast<uint32_t>(wsum[c]));
    const QuantizedMultiplier m = q.multipliers[c];
    s->mult[l] = m.multiplier;
    s->lshift[l] = m.shift > 0 ? m.shift : 0;
    s->rshift[l] = m.shift > 0 ? 0 : -m.shift;
    s->rmask[l] = static_cast<int32_t>((int64_t{1} << (s->rshift[l] & 63)) - 1);
    // The vector code has no INT32_MIN * INT32_MIN saturation and shifts by at most 31.
    any_lshift = any_lshift || s->lshift[l] != 0;
    if (m.multiplier == INT32_MIN || m.shift > 31 || m.shift < -31) simd = false;
  }
  RequantTable& t = s->table;
  t.clamp_lo = q.activation.min > -128;
  t.clamp_hi = q.activation.max < 127;
  t.bias = s->bias.data();
  t.mult = s->mult.data();
  t.lshift = s->lshift.data();
  t.rshift = s->rshift.data();
  t.rmask = s->rmask.data();
  t.out_zp = q.output_zero_point;
  t.act_min = q.activation.min;
  t.act_max = q.activation.max;
  t.simd = simd;
  t.any_lshift = any_lshift;
}

std::vector<int8_t> PackConvWeights(const int8_t* w, int out_c, int filter_h, int row_k,
                                    const IsaKernels& isa, int* groups, int64_t* block_stride) {
  const int ob = isa.oc_block, ks = isa.k_step;
  const int elem = ks == 4 ? 1 : 2;  // quads are int8, pairs int16
  *groups = static_cast<int>((row_k + ks - 1) / ks);
  const int nblocks = (out_c + ob - 1) / ob;
  *block_stride = static_cast<int64_t>(filter_h) * *groups * ob * ks;
  std::vector<int8_t> packed(static_cast<size_t>(nblocks * *block_stride * elem + 64), 0);
  for (int oc = 0; oc < out_c; ++oc) {
    const int block = oc / ob, lane = oc % ob;
    for (int ky = 0; ky < filter_h; ++ky) {
      for (int k = 0; k < row_k; ++k) {
        const int64_t idx = block * *block_stride +
                            ((static_cast<int64_t>(ky) * *groups + k / ks) * ob + lane) * ks + k % ks;
        const int8_t v = w[(static_cast<int64_t>(oc) * filter_h + ky) * row_k + k];
        if (elem == 1) {
          packed[idx] = v;
        } else {
          const int16_t v16 = v;
          std::memcpy(&packed[idx * 2], &v16, 2);
        }
      }
    }
  }
  return packed;
}

}  // namespace tinyserve::host
