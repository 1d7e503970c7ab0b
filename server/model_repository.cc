#include "server/model_repository.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "engine/util/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace tinyserve::server {
namespace fs = std::filesystem;

absl::Status ModelRepository::ValidateModelName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 128 && name[0] != '.' &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                           c == '.';
                  });
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid model name '", name, "' (letters, digits, '_', '-', '.'; not starting with '.')"));
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
    if (!entry.is_directory() || !ValidateModelName(name).ok()) continue;
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
    if (!entry.is_directory() || dir.empty() || dir.size() > 18 ||
        dir.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const int64_t v = std::stoll(dir);
    if (v > 0 && fs::is_regular_file(entry.path() / "model.tflite", ec)) versions.push_back(v);
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

absl::StatusOr<v1::ModelConfig> ModelRepository::ReadConfig(const std::string& model) const {
  TS_RETURN_IF_ERROR(ValidateModelName(model));
  v1::ModelConfig config;
  const std::string path = ModelDir(model) + "/config.pbtxt";
  std::ifstream in(path);
  if (!in) return config;  // no config: defaults
  std::stringstream text;
  text << in.rdbuf();

  // Collect parser errors so the message says where the file is wrong.
  class Collector : public google::protobuf::io::ErrorCollector {
   public:
    void AddError(int line, int column, const std::string& message) override {
      if (first.empty()) first = absl::StrCat("line ", line + 1, ":", column + 1, ": ", message);
    }
    std::string first;
  } errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &config)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", errors.first));
  }
  return config;
}

absl::StatusOr<std::vector<std::string>> ModelRepository::ReadLabels(
    const std::string& model, const v1::ModelConfig& config) const {
  const std::string file = config.labels_file().empty() ? "labels.txt" : config.labels_file();
  if (file.find("..") != std::string::npos || file.front() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("model '", model, "': labels_file '", file, "' must stay in the model directory"));
  }
  const std::string path = ModelDir(model) + "/" + file;
  std::ifstream in(path);
  if (!in) {
    if (!config.labels_file().empty()) {
      return absl::NotFoundError(absl::StrCat("model '", model, "': labels file '", path,
                                              "' named in config.pbtxt cannot be read"));
    }
    return std::vector<std::string>{};
  }
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

std::string ModelRepository::ModelFile(const std::string& model, int64_t version) const {
  return absl::StrCat(ModelDir(model), "/", version, "/model.tflite");
}

absl::StatusOr<std::string> ModelRepository::ResolveModelDirFile(const std::string& model,
                                                                 const std::string& relative,
                                                                 const std::string& field) const {
  TS_RETURN_IF_ERROR(ValidateModelName(model));
  const fs::path path(relative);
  bool escapes = relative.empty() || path.is_absolute() || path.has_root_name();
  for (const fs::path& part : path) escapes = escapes || part == "..";
  if (escapes) {
    return absl::InvalidArgumentError(absl::StrCat("model '", model, "': ", field, " '", relative,
                                                   "' must be a path inside the model directory "
                                                   "(relative, without '..')"));
  }
  const fs::path dir(ModelDir(model));
  const fs::path full = dir / path;
  std::error_code ec;
  if (!fs::is_regular_file(full, ec)) {
    return absl::NotFoundError(absl::StrCat("model '", model, "': ", field, " '", relative,
                                            "' is not a file in ", dir.string()));
  }
  const fs::path real_dir = fs::canonical(dir, ec);
  const fs::path real = ec ? fs::path() : fs::canonical(full, ec);
  if (ec) {
    return absl::NotFoundError(absl::StrCat("model '", model, "': ", field, " '", relative,
                                            "' cannot be resolved: ", ec.message()));
  }
  // A symlink may point anywhere: what it resolves to must stay inside too.
  const auto mismatch =
      std::mismatch(real_dir.begin(), real_dir.end(), real.begin(), real.end());
  if (mismatch.first != real_dir.end()) {
    return absl::InvalidArgumentError(absl::StrCat("model '", model, "': ", field, " '", relative,
                                                   "' leads outside the model directory (to ",
                                                   real.string(), ")"));
  }
  std::ifstream in(full);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("model '", model, "': ", field, " '", full.string(),
                                            "' cannot be read"));
  }
  return full.string();
}

std::string ModelRepository::Fingerprint(const std::string& model, int64_t version) const {
  std::error_code ec;
  const std::string file = ModelFile(model, version);
  const auto size = fs::file_size(file, ec);
  if (ec) return "";
  const auto mtime = fs::last_write_time(file, ec);
  if (ec) return "";
  return absl::StrCat(size, ":", mtime.time_since_epoch().count());
}

}  // namespace tinyserve::server
