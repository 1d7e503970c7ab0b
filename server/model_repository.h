// The model repository on disk:
//   <root>/<model>/config.pbtxt          optional, text format of tinyserve.v1.ModelConfig
//   <root>/<model>/labels.txt            optional, one label per line
//   <root>/<model>/<version>/model.tflite
// Reads only; knows nothing of loading or serving. Every file is read through
// ReadRepositoryFile: regular files only (no FIFO, device or socket is ever
// opened for reading), symlinks only when they resolve inside the repository
// (files a config names: inside the model directory), a size cap per kind of
// file (RepositoryLimits), and text checked for UTF-8 (repository_text.h).
#ifndef TINYSERVE_SERVER_MODEL_REPOSITORY_H_
#define TINYSERVE_SERVER_MODEL_REPOSITORY_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/repository_text.h"
#include "tinyserve/v1/model_config.pb.h"

namespace tinyserve::server {

// The files a model version was built from, relative to its model directory,
// each with the FileStamp of what was read ("-": absent), so a change to any
// of them (model, config, labels, firmware model) is noticed.
using FileStamps = std::vector<std::pair<std::string, std::string>>;

class ModelRepository {
 public:
  explicit ModelRepository(std::string root, RepositoryLimits limits = {})
      : root_(std::move(root)), limits_(limits) {}

  const std::string& root() const { return root_; }
  const RepositoryLimits& limits() const { return limits_; }

  // Directory names that hold at least one version; sorted.
  absl::StatusOr<std::vector<std::string>> ListModels() const;
  // Numeric version directories that hold an entry named model.tflite (of any
  // type: reading it says what is wrong with it); ascending. NOT_FOUND when
  // the model directory does not exist.
  absl::StatusOr<std::vector<int64_t>> ListVersions(const std::string& model) const;
  // config.pbtxt parsed (defaults when absent); INVALID_ARGUMENT on a parse
  // error, invalid UTF-8 or a file past its cap; FAILED_PRECONDITION when it
  // is not a regular file. Appends to `stamps` when given.
  absl::StatusOr<v1::ModelConfig> ReadConfig(const std::string& model,
                                             FileStamps* stamps = nullptr) const;
  // The labels file named by the config (or labels.txt when present); empty
  // when there is none. A labels file that exists but is bad (not a regular
  // file, outside the repository, past a cap, not UTF-8) fails: a model never
  // loads silently without its labels.
  absl::StatusOr<std::vector<std::string>> ReadLabels(const std::string& model,
                                                      const v1::ModelConfig& config,
                                                      FileStamps* stamps = nullptr) const;
  // The bytes of <model>/<version>/model.tflite (up to limits().max_model_bytes).
  absl::StatusOr<std::string> ReadModelFile(const std::string& model, int64_t version,
                                            FileStamps* stamps = nullptr) const;
  std::string ModelFile(const std::string& model, int64_t version) const;
  // A file a model's config names (`field`, for the message), relative to the
  // model directory: INVALID_ARGUMENT when the path is absolute or leaves the
  // directory (also through a symlink), NOT_FOUND when it does not exist,
  // FAILED_PRECONDITION when it is not a regular file. The path as the server
  // opens it. Appends its stamp to `stamps` when given.
  absl::StatusOr<std::string> ResolveModelDirFile(const std::string& model,
                                                  const std::string& relative,
                                                  const std::string& field,
                                                  FileStamps* stamps = nullptr) const;

  // True when any file of `stamps` changed since it was stamped.
  bool Changed(const std::string& model, const FileStamps& stamps) const;
  // The files every version reads: config.pbtxt, labels.txt, <version>/model.tflite.
  static std::vector<std::string> BaseFiles(int64_t version);
  // FileStamps of `files` (relative to the model directory) as they are now.
  FileStamps Stamp(const std::string& model, const std::vector<std::string>& files) const;

  // Model names come from clients (LoadModel): letters, digits, '_', '-', '.',
  // not starting with '.', so a name can never leave the repository.
  static absl::Status ValidateModelName(const std::string& name);

 private:
  std::string ModelDir(const std::string& model) const { return root_ + "/" + model; }
  std::string root_;
  RepositoryLimits limits_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_MODEL_REPOSITORY_H_
