#include "engine/compiled_model.h"

#include "absl/strings/str_cat.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<BoundKernel> BindReferenceKernel(const Model& model, const Operator& op) {
  const KernelRegistration* kernel = ReferenceKernel(op.type);
  if (kernel == nullptr || kernel->eval == nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        "model '", model.name(), "': operator #", op.index, " ", OpTypeName(op.type),
        " is an XMOS operator (xcore-opt output): only the xs3 device and xcore boards run "
        "it; serve the int8 model it was made from on other devices"));
  }
  BoundKernel bound;
  bound.eval = kernel->eval;
  bound.data = &model.op_data(op.index);
  return bound;
}

absl::StatusOr<std::shared_ptr<const CompiledModel>> CompiledModel::CompileReference(
    std::shared_ptr<const Model> model) {
  return Compile(std::move(model), BindReferenceKernel);
}

bool CompiledModel::needs_context() const {
  for (const BoundKernel& kernel : kernels_) {
    if (kernel.context_eval != nullptr) return true;
  }
  return false;
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
