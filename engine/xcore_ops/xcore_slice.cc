// XC_slice: decode and validate the copy plan (engine/xcore_ops/xcore_data_movement.h).
#include "absl/strings/str_cat.h"
#include "engine/xcore_ops/xcore_copy_plan_reader.h"
#include "engine/xcore_ops/xcore_data_movement.h"
#include "engine/xcore_ops/xcore_ops.h"
#include "engine/xcore_ops/xcore_options_reader.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcSlice(const PrepareContext& ctx) {
  const XcoreOptionsReader options(ctx);
  absl::StatusOr<std::unique_ptr<XcSliceData>> plan = ReadCopyPlan<XcSliceData>(
      ctx, options,
      {{"s", &XcSliceData::start}, {"o", &XcSliceData::stride}, {"l", &XcSliceData::run_bytes},
       {"n", &XcSliceData::copies}});
  if (!plan.ok()) return plan.status();
  std::unique_ptr<XcSliceData> data = *std::move(plan);
  const TensorInfo& in = *ctx.input(0);
  const TensorInfo& out = ctx.output(0);

  if (data->copies * data->run_bytes != static_cast<int64_t>(out.bytes)) {
    return options.Invalid("n", absl::StrCat("n runs of l bytes = ",
                                             data->copies * data->run_bytes,
                                             " bytes, but the output has ", out.bytes));
  }
  if (data->copies > 0) {
    const int64_t last = data->start + (data->copies - 1) * data->stride + data->run_bytes;
    if (last > static_cast<int64_t>(in.bytes)) {
      return options.Invalid("o", absl::StrCat("the last run ends at byte s + (n - 1) * o + l = ",
                                               last, ", past the input's ", in.bytes));
    }
  }
  return std::unique_ptr<const OpData>(std::move(data));
}

}  // namespace tinyserve
