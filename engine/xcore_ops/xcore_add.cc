// XC_add: decode and validate (engine/xcore_ops/xcore_elementwise.h).
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/xcore_ops/xcore_elementwise.h"
#include "engine/xcore_ops/xcore_ops.h"
#include "engine/xcore_ops/xcore_options_reader.h"

namespace tinyserve {
namespace {

// |bias| <= 2^29 and shift <= 30 keep acc + 2^(shift - 1) inside int32 (the
// products add at most 2 * 128 * 2^15): lib_nn's scalar tail wraps where its
// VPU path saturates, so beyond this the two would disagree. shift >= 1: the
// tail rounds with 1 << (shift - 1). xcore-opt's values sit far inside.
constexpr int64_t kMaxAbsBias = int64_t{1} << 29;
constexpr int64_t kMaxShift = 30;

}  // namespace

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcAdd(const PrepareContext& ctx) {
  if (absl::Status s = ctx.CheckArity(2, 2, 1); !s.ok()) return s;
  for (int i = 0; i < 2; ++i) {
    if (absl::Status s = ctx.CheckInputType(i, DataType::kInt8); !s.ok()) return s;
  }
  if (absl::Status s = ctx.CheckOutputType(0, DataType::kInt8); !s.ok()) return s;
  const TensorInfo& out = ctx.output(0);
  for (int i = 0; i < 2; ++i) {
    if (ctx.input(i)->num_elements() != out.num_elements()) {
      return ctx.InvalidInput(i, absl::StrCat("has ", ctx.input(i)->num_elements(),
                                              " elements, the output ", out.num_elements(),
                                              " (XC_add does not broadcast)"));
    }
  }
  const XcoreOptionsReader options(ctx);
  auto m1 = options.Int("m1", std::numeric_limits<int16_t>::min(),
                        std::numeric_limits<int16_t>::max());
  if (!m1.ok()) return m1.status();
  auto m2 = options.Int("m2", std::numeric_limits<int16_t>::min(),
                        std::numeric_limits<int16_t>::max());
  if (!m2.ok()) return m2.status();
  auto bias = options.Int("bias", -kMaxAbsBias, kMaxAbsBias);
  if (!bias.ok()) return bias.status();
  auto shift = options.Int("shift", 1, kMaxShift);
  if (!shift.ok()) return shift.status();
  auto data = std::make_unique<XcAddData>();
  data->m1 = static_cast<int16_t>(*m1);
  data->m2 = static_cast<int16_t>(*m2);
  data->bias = static_cast<int32_t>(*bias);
  data->shift = static_cast<int>(*shift);
  data->elements = out.num_elements();
  return std::unique_ptr<const OpData>(std::move(data));
}

}  // namespace tinyserve
