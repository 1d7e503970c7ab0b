#include "engine/kernels/reshape.h"

#include <cstring>

#include "absl/strings/str_join.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::unique_ptr<const OpData>> PrepareReshape(const PrepareContext& ctx) {
  // Input 1, when present, is the new shape; the output tensor already has it.
  TS_RETURN_IF_ERROR(ctx.CheckArity(1, 2, 1));
  const TensorInfo& in = *ctx.input(0);
  const TensorInfo& out = ctx.output(0);
  if (in.type != out.type) {
    return ctx.InvalidOutput(0, absl::StrCat("type differs from the input's ", DataTypeName(in.type)));
  }
  if (in.num_elements() != out.num_elements()) {
    return ctx.InvalidOutput(0, absl::StrCat("has ", out.num_elements(), " elements, input has ",
                                             in.num_elements()));
  }
  auto data = std::make_unique<ReshapeData>();
  data->bytes = out.bytes;
  return std::unique_ptr<const OpData>(std::move(data));
}

void EvalReshapeReference(const OpData& op_data, const void* const* inputs, void* const* outputs) {
  const auto& data = static_cast<const ReshapeData&>(op_data);
  if (outputs[0] != inputs[0]) std::memmove(outputs[0], inputs[0], data.bytes);
}

}  // namespace tinyserve
