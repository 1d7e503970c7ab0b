#include "engine/model.h"

#include <filesystem>

#include "engine/tflite_reader.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

absl::StatusOr<std::shared_ptr<const Model>> Model::LoadFile(const std::string& path,
                                                             std::string name) {
  if (name.empty()) name = std::filesystem::path(path).stem().string();
  TS_ASSIGN_OR_RETURN(auto bytes, ModelBytes::ReadFile(path));
  return Load(std::move(bytes), std::move(name));
}

absl::StatusOr<std::shared_ptr<const Model>> Model::LoadBuffer(absl::Span<const uint8_t> bytes,
                                                               std::string name) {
  return Load(ModelBytes::Copy(bytes), std::move(name));
}

absl::StatusOr<std::shared_ptr<const Model>> Model::Load(std::shared_ptr<const ModelBytes> bytes,
                                                         std::string name) {
  std::shared_ptr<Model> model(new Model());
  model->name_ = std::move(name);
  model->bytes_ = std::move(bytes);
  TS_ASSIGN_OR_RETURN(model->graph_, ReadTfliteGraph(*model->bytes_, model->name_));
  model->op_data_.reserve(model->graph_.operators.size());
  for (const Operator& op : model->graph_.operators) {
    const KernelRegistration* kernel = ReferenceKernel(op.type);
    if (kernel == nullptr) {
      return absl::InternalError(absl::StrCat("no reference kernel for ", OpTypeName(op.type)));
    }
    PrepareContext ctx(model->graph_, op, model->name_);
    TS_ASSIGN_OR_RETURN(auto data, kernel->prepare(ctx));
    model->op_data_.push_back(std::move(data));
  }
  return std::shared_ptr<const Model>(std::move(model));
}

}  // namespace tinyserve
