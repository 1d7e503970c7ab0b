// What XC_pad and XC_slice prepare alike: one input and one output of the
// same type, a plan of byte counts (flexbuffer ints that lib_tflite_micro
// reads as int32, never negative here) and the "v" flag (rows may move with
// the word-aligned VPU copy).
#ifndef TINYSERVE_ENGINE_XCORE_OPS_XCORE_COPY_PLAN_READER_H_
#define TINYSERVE_ENGINE_XCORE_OPS_XCORE_COPY_PLAN_READER_H_

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "engine/kernels/kernel.h"
#include "engine/xcore_ops/xcore_options_reader.h"

namespace tinyserve {

// A new Data with each (key, member) of `sizes` read from `options`, and
// Data::vpu from "v".
template <typename Data>
absl::StatusOr<std::unique_ptr<Data>> ReadCopyPlan(
    const PrepareContext& ctx, const XcoreOptionsReader& options,
    std::initializer_list<std::pair<const char*, int64_t Data::*>> sizes) {
  if (absl::Status s = ctx.CheckArity(1, 1, 1); !s.ok()) return s;
  if (ctx.input(0)->type != ctx.output(0).type) {
    return ctx.InvalidOutput(0, "type differs from the input's");
  }
  auto data = std::make_unique<Data>();
  for (const auto& [key, member] : sizes) {
    absl::StatusOr<int64_t> v = options.Int(key, 0, std::numeric_limits<int32_t>::max());
    if (!v.ok()) return v.status();
    (*data).*member = *v;
  }
  absl::StatusOr<bool> vpu = options.Bool("v");
  if (!vpu.ok()) return vpu.status();
  data->vpu = *vpu;
  return data;
}

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_XCORE_OPS_XCORE_COPY_PLAN_READER_H_
