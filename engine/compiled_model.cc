#include "engine/compiled_model.h"

#include "absl/strings/str_cat.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::shared_ptr<const CompiledModel>> CompiledModel::CompileReference(
    std::shared_ptr<const Model> model) {
  return Compile(std::move(model),
                 [](const Model& m, const Operator& op) -> absl::StatusOr<BoundKernel> {
                   return BoundKernel{ReferenceKernel(op.type)->eval, &m.op_data(op.index)};
                 });
}

absl::StatusOr<std::shared_ptr<const CompiledModel>> CompiledModel::Compile(
    std::shared_ptr<const Model> model, const KernelSelector& select,
    std::vector<std::unique_ptr<const OpData>> owned) {
  std::shared_ptr<CompiledModel> compiled(new CompiledModel());
  compiled->kernels_.reserve(model->operators().size());
  for (const Operator& op : model->operators()) {
    TS_ASSIGN_OR_RETURN(BoundKernel kernel, select(*model, op));
    compiled->kernels_.push_back(kernel);
  }
  compiled->arena_ = PlanArena(model->graph());
  if (compiled->arena_.arena_bytes > kMaxArenaBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "model '", model->name(), "' needs a ", compiled->arena_.arena_bytes,
        "-byte activation arena, above the limit of ", kMaxArenaBytes, " bytes"));
  }
  compiled->owned_ = std::move(owned);
  compiled->model_ = std::move(model);
  return std::shared_ptr<const CompiledModel>(std::move(compiled));
}

}  // namespace tinyserve
