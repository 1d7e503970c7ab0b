// The model repository on disk:
//   <root>/<model>/config.pbtxt          optional, text format of tinyserve.v1.ModelConfig
//   <root>/<model>/labels.txt            optional, one label per line
//   <root>/<model>/<version>/model.tflite
// Reads only; knows nothing of loading or serving.
#ifndef TINYSERVE_SERVER_MODEL_REPOSITORY_H_
#define TINYSERVE_SERVER_MODEL_REPOSITORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tinyserve/v1/model_config.pb.h"

namespace tinyserve::server {

class ModelRepository {
 public:
  explicit ModelRepository(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // Directory names that hold at least one version; sorted.
  absl::StatusOr<std::vector<std::string>> ListModels() const;
  // Numeric version directories that hold model.tflite; ascending. NOT_FOUND
  // when the model directory does not exist.
  absl::StatusOr<std::vector<int64_t>> ListVersions(const std::string& model) const;
  // config.pbtxt parsed (defaults when absent); INVALID_ARGUMENT on a parse error.
  absl::StatusOr<v1::ModelConfig> ReadConfig(const std::string& model) const;
  // The labels file named by the config (or labels.txt when present); empty
  // when there is none.
  absl::StatusOr<std::vector<std::string>> ReadLabels(const std::string& model,
                                                      const v1::ModelConfig& config) const;
  std::string ModelFile(const std::string& model, int64_t version) const;
  // A file a model's config names (`field`, for the message), relative to the
  // model directory: INVALID_ARGUMENT when the path is absolute or leaves the
  // directory (also through a symlink), NOT_FOUND when it is not a readable
  // regular file. The path as the server opens it.
  absl::StatusOr<std::string> ResolveModelDirFile(const std::string& model,
                                                  const std::string& relative,
                                                  const std::string& field) const;
  // A fingerprint of a version's model file (size and modification time), to
  // notice when it changes in place.
  std::string Fingerprint(const std::string& model, int64_t version) const;

  // Model names come from clients (LoadModel): letters, digits, '_', '-', '.',
  // not starting with '.', so a name can never leave the repository.
  static absl::Status ValidateModelName(const std::string& name);

 private:
  std::string ModelDir(const std::string& model) const { return root_ + "/" + model; }
  std::string root_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_MODEL_REPOSITORY_H_
