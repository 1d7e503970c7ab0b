// XC_pad_3_to_4 and XC_pad_1_to_4: decode and validate (engine/xcore_ops/xcore_data_movement.h).
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/xcore_ops/xcore_data_movement.h"
#include "engine/xcore_ops/xcore_ops.h"
#include "engine/xcore_ops/xcore_options_reader.h"

namespace tinyserve {
namespace {

// Input [1, H, W, channels] int8, output [1, H, W, 4] int8 (lib_tflite_micro
// takes the pixel count H * W from the output's shape).
absl::StatusOr<std::unique_ptr<const OpData>> PreparePadTo4(const PrepareContext& ctx,
                                                            int channels) {
  if (absl::Status s = ctx.CheckArity(1, 1, 1); !s.ok()) return s;
  if (absl::Status s = ctx.CheckInputType(0, DataType::kInt8); !s.ok()) return s;
  if (absl::Status s = ctx.CheckOutputType(0, DataType::kInt8); !s.ok()) return s;
  const TensorInfo& in = *ctx.input(0);
  const TensorInfo& out = ctx.output(0);
  if (out.rank() != 4 || out.shape[0] != 1 || out.shape[3] != 4) {
    return ctx.InvalidOutput(0, "expected shape [1, H, W, 4]");
  }
  if (in.rank() != 4 || in.shape[0] != 1 || in.shape[1] != out.shape[1] ||
      in.shape[2] != out.shape[2] || in.shape[3] != channels) {
    return ctx.InvalidInput(0, absl::StrCat("expected shape [1, ", out.shape[1], ", ",
                                            out.shape[2], ", ", channels, "]"));
  }
  const XcoreOptionsReader options(ctx);
  // pv is a 32-bit pattern: xcore-opt writes it signed, lib_tflite_micro reads it unsigned.
  absl::StatusOr<int64_t> pv = options.Int("pv", std::numeric_limits<int32_t>::min(),
                                           std::numeric_limits<uint32_t>::max());
  if (!pv.ok()) return pv.status();
  auto data = std::make_unique<XcPadTo4Data>();
  data->channels = channels;
  data->pixels = static_cast<int64_t>(out.shape[1]) * out.shape[2];
  data->pad_word = static_cast<uint32_t>(*pv);
  return std::unique_ptr<const OpData>(std::move(data));
}

}  // namespace

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcPad3To4(const PrepareContext& ctx) {
  return PreparePadTo4(ctx, 3);
}

absl::StatusOr<std::unique_ptr<const OpData>> PrepareXcPad1To4(const PrepareContext& ctx) {
  return PreparePadTo4(ctx, 1);
}

}  // namespace tinyserve
