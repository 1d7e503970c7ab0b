// XC_slice: decode and validate the copy plan (engine/xcore_ops/xcore_data_movement.h).
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/xcore_ops/xcore_data_movement.h"
#include "engine/xcore_ops/xcore_ops.h"
#include "engine/xcore_ops/xcore_options_reader.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcSlice(const PrepareContext& ctx) {
  if (absl::Status s = ctx.CheckArity(1, 1, 1); !s.ok()) return s;
  const TensorInfo& in = *ctx.input(0);
  const TensorInfo& out = ctx.output(0);
  if (in.type != out.type) return ctx.InvalidOutput(0, "type differs from the input's");
  const XcoreOptionsReader options(ctx);
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  auto data = std::make_unique<XcSliceData>();
  struct Field {
    const char* key;
    int64_t* value;
  };
  for (const Field& f : {Field{"s", &data->start}, Field{"o", &data->stride},
                         Field{"l", &data->run_bytes}, Field{"n", &data->copies}}) {
    absl::StatusOr<int64_t> v = options.Int(f.key, 0, kMax);
    if (!v.ok()) return v.status();
    *f.value = *v;
  }
  absl::StatusOr<bool> vpu = options.Bool("v");
  if (!vpu.ok()) return vpu.status();
  data->vpu = *vpu;

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
