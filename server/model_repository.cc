#include "server/model_repository.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/util/status_macros.h"
#include "server/repository_file.h"
#include "server/safe_text.h"

namespace tinyserve::server {
namespace fs = std::filesystem;

namespace {

// `status` with "model '<model>': " in front of its message, same code.
absl::Status ForModel(const std::string& model, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat("model '", model, "': ", status.message()));
}

void AddStamp(FileStamps* stamps, const std::string& relative, std::string stamp) {
  if (stamps != nullptr) stamps->emplace_back(relative, std::move(stamp));
}

}  // namespace

absl::Status ModelRepository::ValidateModelName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 128 && name[0] != '.' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                           c == '.';
                  });
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid model name '", EchoValue(name), "' (letters, digits, '_', '-', '.'; not starting with '.')"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ModelRepository::ListModels() const {
  std::error_code ec;
  fs::directory_iterator it(root_, ec);
  if (ec) {
    return absl::NotFoundError(
        absl::StrCat("cannot read model repository '", root_, "': ", ec.message()));
  }
  std::vector<std::string> names;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || !ValidateModelName(name).ok()) continue;
    auto versions = ListVersions(name);
    if (versions.ok() && !versions->empty()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::vector<int64_t>> ModelRepository::ListVersions(const std::string& model) const {
  TS_RETURN_IF_ERROR(ValidateModelName(model));
  std::error_code ec;
  fs::directory_iterator it(ModelDir(model), ec);
  if (ec) {
    return absl::NotFoundError(absl::StrCat("model '", model, "' is not in the repository '",
                                            root_, "'"));
  }
  std::vector<int64_t> versions;
  for (const auto& entry : it) {
    const std::string dir = entry.path().filename().string();
    if (!entry.is_directory(ec) || dir.empty() || dir.size() > 18 ||
        dir.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const int64_t v = std::stoll(dir);
    // lstat only: whatever model.tflite is, loading it says what is wrong.
    struct stat st {};
    const std::string file = (entry.path() / "model.tflite").string();
    if (v > 0 && ::lstat(file.c_str(), &st) == 0) versions.push_back(v);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

absl::StatusOr<v1::ModelConfig> ModelRepository::ReadConfig(const std::string& model,
                                                            FileStamps* stamps) const {
  TS_RETURN_IF_ERROR(ValidateModelName(model));
  const std::string path = ModelDir(model) + "/config.pbtxt";
  std::string stamp;
  auto text = ReadRepositoryFile(path, root_, "the repository", limits_.max_config_bytes, &stamp);
  if (absl::IsNotFound(text.status())) {
    AddStamp(stamps, "config.pbtxt", "-");
    return v1::ModelConfig();  // no config: defaults
  }
  if (!text.ok()) return ForModel(model, text.status());
  AddStamp(stamps, "config.pbtxt", std::move(stamp));
  return ParseModelConfig(*text, path);
}

absl::StatusOr<std::vector<std::string>> ModelRepository::ReadLabels(
    const std::string& model, const v1::ModelConfig& config, FileStamps* stamps) const {
  TS_RETURN_IF_ERROR(ValidateModelName(model));
  std::string stamp;
  if (config.labels_file().empty()) {
    const std::string path = ModelDir(model) + "/labels.txt";
    auto bytes = ReadRepositoryFile(path, root_, "the repository", limits_.max_labels_bytes, &stamp);
    if (absl::IsNotFound(bytes.status())) {
      AddStamp(stamps, "labels.txt", "-");
      return std::vector<std::string>{};  // no labels
    }
    if (!bytes.ok()) return ForModel(model, bytes.status());
    AddStamp(stamps, "labels.txt", std::move(stamp));
    return ParseLabels(*bytes, path, limits_);
  }
  TS_ASSIGN_OR_RETURN(const std::string path,
                      ResolveModelDirFile(model, config.labels_file(), "labels_file"));
  auto bytes = ReadRepositoryFile(path, ModelDir(model), "the model directory",
                                  limits_.max_labels_bytes, &stamp);
  if (!bytes.ok()) return ForModel(model, bytes.status());
  AddStamp(stamps, config.labels_file(), std::move(stamp));
  return ParseLabels(*bytes, path, limits_);
}

absl::StatusOr<std::string> ModelRepository::ReadModelFile(const std::string& model,
                                                           int64_t version,
                                                           FileStamps* stamps) const {
  TS_RETURN_IF_ERROR(ValidateModelName(model));
  std::string stamp;
  auto bytes = ReadRepositoryFile(ModelFile(model, version), root_, "the repository",
                                  limits_.max_model_bytes, &stamp);
  if (!bytes.ok()) return ForModel(model, bytes.status());
  AddStamp(stamps, absl::StrCat(version, "/model.tflite"), std::move(stamp));
  return bytes;
}

std::string ModelRepository::ModelFile(const std::string& model, int64_t version) const {
  return absl::StrCat(ModelDir(model), "/", version, "/model.tflite");
}

absl::StatusOr<std::string> ModelRepository::ResolveModelDirFile(const std::string& model,
                                                                 const std::string& relative,
                                                                 const std::string& field,
                                                                 FileStamps* stamps) const {
  TS_RETURN_IF_ERROR(ValidateModelName(model));
  const fs::path path(relative);
  bool escapes = relative.empty() || path.is_absolute() || path.has_root_name();
  for (const fs::path& part : path) escapes = escapes || part == "..";
  if (escapes) {
    return absl::InvalidArgumentError(absl::StrCat("model '", model, "': ", field, " '", relative,
                                                   "' must be a path inside the model directory "
                                                   "(relative, without '..')"));
  }
  const std::string full = ModelDir(model) + "/" + relative;
  // A symlink may point anywhere: what it resolves to must stay inside too.
  auto real = CheckRepositoryFile(full, ModelDir(model), "the model directory");
  if (absl::IsNotFound(real.status())) {
    return absl::NotFoundError(absl::StrCat("model '", model, "': ", field, " '", relative,
                                            "' is not a file in ", ModelDir(model)));
  }
  if (!real.ok()) {
    return absl::Status(real.status().code(), absl::StrCat("model '", model, "': ", field, ": ",
                                                           real.status().message()));
  }
  AddStamp(stamps, relative, FileStamp(full));
  return full;
}

std::vector<std::string> ModelRepository::BaseFiles(int64_t version) {
  return {"config.pbtxt", "labels.txt", absl::StrCat(version, "/model.tflite")};
}

FileStamps ModelRepository::Stamp(const std::string& model,
                                  const std::vector<std::string>& files) const {
  FileStamps stamps;
  for (const std::string& file : files) {
    stamps.emplace_back(file, FileStamp(ModelDir(model) + "/" + file));
  }
  return stamps;
}

bool ModelRepository::Changed(const std::string& model, const FileStamps& stamps) const {
  return std::any_of(stamps.begin(), stamps.end(), [&](const auto& file_and_stamp) {
    return FileStamp(ModelDir(model) + "/" + file_and_stamp.first) != file_and_stamp.second;
  });
}

}  // namespace tinyserve::server
