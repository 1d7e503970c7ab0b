// XC_pad: decode and validate the fill/copy plan (engine/xcore_ops/xcore_data_movement.h).
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/xcore_ops/xcore_copy_plan_reader.h"
#include "engine/xcore_ops/xcore_data_movement.h"
#include "engine/xcore_ops/xcore_ops.h"
#include "engine/xcore_ops/xcore_options_reader.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcPad(const PrepareContext& ctx) {
  const XcoreOptionsReader options(ctx);
  absl::StatusOr<std::unique_ptr<XcPadData>> plan = ReadCopyPlan<XcPadData>(
      ctx, options,
      {{"s", &XcPadData::start}, {"l", &XcPadData::row_bytes}, {"n", &XcPadData::copies},
       {"p", &XcPadData::gap_bytes}, {"e", &XcPadData::end}});
  if (!plan.ok()) return plan.status();
  std::unique_ptr<XcPadData> data = *std::move(plan);
  // z is a 32-bit pattern (int32 in the file; its bytes are what counts).
  absl::StatusOr<int64_t> z = options.Int("z", std::numeric_limits<int32_t>::min(),
                                          std::numeric_limits<uint32_t>::max());
  if (!z.ok()) return z.status();
  data->pad_word = static_cast<uint32_t>(*z);

  const TensorInfo& in = *ctx.input(0);
  const TensorInfo& out = ctx.output(0);
  // Each term is below 2^31 and copies + 1 rows of below 2^32 bytes: no overflow.
  const int64_t read = (data->copies + 1) * data->row_bytes;
  const int64_t written = data->start + data->copies * (data->row_bytes + data->gap_bytes) +
                          data->row_bytes + data->end;
  if (read != static_cast<int64_t>(in.bytes)) {
    return options.Invalid("l", absl::StrCat("(n + 1) rows of l bytes = ", read,
                                             " bytes, but the input has ", in.bytes));
  }
  if (written != static_cast<int64_t>(out.bytes)) {
    return options.Invalid("s", absl::StrCat("s + n * (l + p) + l + e = ", written,
                                             " bytes, but the output has ", out.bytes));
  }
  return std::unique_ptr<const OpData>(std::move(data));
}

}  // namespace tinyserve
