// A loaded, validated and prepared model: the immutable input to every device.
#ifndef TINYSERVE_ENGINE_MODEL_H_
#define TINYSERVE_ENGINE_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/graph.h"
#include "engine/kernels/kernel.h"
#include "engine/model_bytes.h"

namespace tinyserve {

class Model {
 public:
  // Reads, verifies and validates a .tflite file and prepares every operator
  // (quantization parameters, geometry). `name` defaults to the file's stem.
  static absl::StatusOr<std::shared_ptr<const Model>> LoadFile(const std::string& path,
                                                               std::string name = "");
  static absl::StatusOr<std::shared_ptr<const Model>> LoadBuffer(absl::Span<const uint8_t> bytes,
                                                                 std::string name);

  const std::string& name() const { return name_; }
  const Graph& graph() const { return graph_; }
  const TensorInfo& tensor(int index) const { return graph_.tensors[index]; }
  const std::vector<Operator>& operators() const { return graph_.operators; }
  const TensorInfo& input(int i) const { return graph_.tensors[graph_.inputs[i]]; }
  const TensorInfo& output(int i) const { return graph_.tensors[graph_.outputs[i]]; }
  int num_inputs() const { return static_cast<int>(graph_.inputs.size()); }
  int num_outputs() const { return static_cast<int>(graph_.outputs.size()); }
  // The prepared data of operator `op_index` (validated; shared by every device).
  const OpData& op_data(int op_index) const { return *op_data_[op_index]; }
  size_t file_bytes() const { return bytes_->size(); }

 private:
  Model() = default;
  static absl::StatusOr<std::shared_ptr<const Model>> Load(std::shared_ptr<const ModelBytes> bytes,
                                                           std::string name);

  std::string name_;
  std::shared_ptr<const ModelBytes> bytes_;  // constant tensors point into it
  Graph graph_;
  std::vector<std::unique_ptr<const OpData>> op_data_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_MODEL_H_
