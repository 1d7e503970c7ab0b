#include "server/model_registry.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/util/status_macros.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace tinyserve::server {

ModelRegistry::ModelRegistry(const ModelRepository& repository, const DeviceManager& devices,
                             ServerMetrics& metrics, AvailabilityListener listener,
                             RegistryOptions options)
    : repository_(repository),
      devices_(devices),
      metrics_(metrics),
      listener_(std::move(listener)),
      options_(options) {}

std::vector<std::string> ModelRegistry::LoadAll() {
  std::vector<std::string> failures;
  auto names = repository_.ListModels();
  if (!names.ok()) return {std::string(names.status().message())};
  for (const std::string& name : *names) {
    std::lock_guard<std::mutex> lock(load_mu_);
    auto versions = repository_.ListVersions(name);
    if (!versions.ok() || versions->empty()) continue;
    // Recorded like a poll's failure, so polling backs off instead of
    // retrying (and logging) it at once.
    const FileStamps before = repository_.Stamp(name, ModelRepository::BaseFiles(versions->back()));
    auto loaded = LoadLocked(name, versions->back());
    if (!loaded.ok()) {
      spdlog::warn("model {} version {} failed to load: {}", name, versions->back(),
                   loaded.status().ToString());
      failures.push_back(std::string(loaded.status().message()));
      Failure& failure = failures_[{name, versions->back()}];
      failure.files = before;
      failure.attempts = 1;
      failure.retry_at_poll = polls_ + 1;
    }
  }
  return failures;
}

absl::StatusOr<std::shared_ptr<const ServedModel>> ModelRegistry::Load(const std::string& model,
                                                                       int64_t version) {
  std::lock_guard<std::mutex> lock(load_mu_);
  auto loaded = LoadLocked(model, version);
  if (!loaded.ok()) {
    spdlog::warn("model {} version {} failed to load: {}", model, version,
                 loaded.status().ToString());
  } else {
    failures_.erase({model, (*loaded)->version()});
    unloaded_by_admin_.erase(model);
    auto it = versions_unloaded_by_admin_.find(model);
    if (it != versions_unloaded_by_admin_.end()) {
      it->second.erase((*loaded)->version());
      if (it->second.empty()) versions_unloaded_by_admin_.erase(it);
    }
  }
  return loaded;
}

absl::StatusOr<std::shared_ptr<const ServedModel>> ModelRegistry::LoadLocked(
    const std::string& model, int64_t version) {
  TS_RETURN_IF_ERROR(ModelRepository::ValidateModelName(model));
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat("version must be positive, got ", version));
  }
  auto versions = repository_.ListVersions(model);
  if (!versions.ok()) return versions.status();
  if (versions->empty()) {
    return absl::NotFoundError(absl::StrCat("model '", model, "' has no version directory with a "
                                            "model.tflite in the repository"));
  }
  if (version == 0) version = versions->back();
  if (std::find(versions->begin(), versions->end(), version) == versions->end()) {
    return absl::NotFoundError(
        absl::StrCat("model '", model, "' has no version ", version, " in the repository"));
  }
  {
    std::shared_lock<std::shared_mutex> read(mu_);
    auto it = models_.find(model);
    if (it != models_.end()) {
      auto v = it->second.find(version);
      if (v != it->second.end() && !repository_.Changed(model, v->second->files())) {
        return v->second;  // already loaded and unchanged
      }
    }
  }
  auto served = ServedModel::Load(repository_, model, version, devices_, metrics_);
  metrics_.RecordModelLoad(model, served.ok());
  if (!served.ok()) return served.status();
  spdlog::info("loaded model {} version {} on {} (default device {})", model, version,
               absl::StrJoin((*served)->device_names(), ", "), (*served)->default_device());
  Publish(*served);
  return *served;
}

void ModelRegistry::Publish(std::shared_ptr<const ServedModel> served) {
  bool first = false;
  const std::string name = served->name();
  {
    std::unique_lock<std::shared_mutex> write(mu_);
    auto& versions = models_[name];
    first = versions.empty();
    versions[served->version()] = std::move(served);
  }
  if (first && listener_) listener_(name, true);
}

absl::StatusOr<std::vector<int64_t>> ModelRegistry::Unload(const std::string& model,
                                                           int64_t version) {
  TS_RETURN_IF_ERROR(ModelRepository::ValidateModelName(model));
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat("version must be positive, got ", version));
  }
  std::lock_guard<std::mutex> lock(load_mu_);
  std::vector<int64_t> removed;
  bool now_empty = false;
  {
    std::unique_lock<std::shared_mutex> write(mu_);
    auto it = models_.find(model);
    if (it == models_.end()) {
      return absl::NotFoundError(absl::StrCat("model '", model, "' is not loaded"));
    }
    if (version == 0) {
      for (const auto& [v, served] : it->second) removed.push_back(v);
      it->second.clear();
    } else if (it->second.erase(version) == 1) {
      removed.push_back(version);
    } else {
      return absl::NotFoundError(
          absl::StrCat("model '", model, "' version ", version, " is not loaded"));
    }
    now_empty = it->second.empty();
    if (now_empty) models_.erase(it);
  }
  if (now_empty) unloaded_by_admin_.insert(model);
  versions_unloaded_by_admin_[model].insert(removed.begin(), removed.end());
  spdlog::info("unloaded model {} version(s) {}", model, absl::StrJoin(removed, ", "));
  if (now_empty && listener_) listener_(model, false);
  return removed;
}

absl::StatusOr<std::shared_ptr<const ServedModel>> ModelRegistry::Resolve(
    const std::string& model, int64_t version) const {
  std::shared_lock<std::shared_mutex> read(mu_);
  auto it = models_.find(model);
  if (it == models_.end() || it->second.empty()) {
    return absl::NotFoundError(absl::StrCat("model '", model, "' is not loaded"));
  }
  if (version == 0) return it->second.rbegin()->second;
  auto v = it->second.find(version);
  if (v == it->second.end()) {
    return absl::NotFoundError(absl::StrCat("model '", model, "' version ", version,
                                            " is not loaded"));
  }
  return v->second;
}

std::vector<std::shared_ptr<const ServedModel>> ModelRegistry::Snapshot() const {
  std::shared_lock<std::shared_mutex> read(mu_);
  std::vector<std::shared_ptr<const ServedModel>> all;
  for (const auto& [name, versions] : models_) {
    for (const auto& [v, served] : versions) all.push_back(served);
  }
  return all;
}

std::vector<int64_t> ModelRegistry::LoadedVersions(const std::string& model) const {
  std::shared_lock<std::shared_mutex> read(mu_);
  std::vector<int64_t> versions;
  auto it = models_.find(model);
  if (it != models_.end()) {
    for (const auto& [v, served] : it->second) versions.push_back(v);
  }
  return versions;
}

void ModelRegistry::AddDevice(RunningDevice& device) {
  std::lock_guard<std::mutex> lock(load_mu_);
  for (const auto& served : Snapshot()) {
    std::shared_ptr<const ServedModel> next = served->WithDevice(device, metrics_);
    {
      std::unique_lock<std::shared_mutex> write(mu_);
      auto it = models_.find(served->name());
      if (it == models_.end()) continue;
      auto v = it->second.find(served->version());
      if (v == it->second.end() || v->second != served) continue;
      v->second = next;
    }
    if (next->binding(device.info.name) != nullptr) {
      spdlog::info("model {} version {} now also runs on {}", served->name(), served->version(),
                   device.info.name);
    }
  }
  auto names = repository_.ListModels();
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    if (unloaded_by_admin_.count(name) > 0 || !LoadedVersions(name).empty()) continue;
    (void)LoadLocked(name, 0);
  }
}

int64_t ModelRegistry::polls() const { return polls_; }

bool ModelRegistry::PollLoadLocked(const std::string& model, int64_t version) {
  const std::pair<std::string, int64_t> key(model, version);
  auto known = failures_.find(key);
  if (known != failures_.end() && polls_ < known->second.retry_at_poll &&
      !repository_.Changed(model, known->second.files)) {
    return false;  // failed before with these very files: wait out the backoff
  }
  // Stamped before the attempt: a change during it retries next poll.
  const FileStamps before = repository_.Stamp(model, ModelRepository::BaseFiles(version));
  auto loaded = LoadLocked(model, version);
  if (loaded.ok()) {
    failures_.erase(key);
    return true;
  }
  Failure& failure = failures_[key];
  const bool again = failure.attempts > 0 && failure.files == before;
  failure.attempts = again ? failure.attempts + 1 : 1;
  failure.files = before;
  const int shift = std::min(failure.attempts - 1, 20);
  failure.retry_at_poll =
      polls_ + std::min<int64_t>(int64_t{1} << shift, std::max(1, options_.max_retry_backoff_polls));
  if (again) {
    spdlog::debug("model {} version {} still fails to load (attempt {}): {}", model, version,
                  failure.attempts, loaded.status().ToString());
  } else {
    spdlog::warn("model {} version {} failed to load: {} (retried with backoff until its files "
                 "change)",
                 model, version, loaded.status().ToString());
  }
  return false;
}

void ModelRegistry::RemoveGoneLocked(const std::string& model,
                                     const std::vector<int64_t>& on_disk) {
  std::vector<int64_t> removed;
  bool now_empty = false;
  {
    std::unique_lock<std::shared_mutex> write(mu_);
    auto it = models_.find(model);
    if (it == models_.end()) return;
    for (auto v = it->second.begin(); v != it->second.end();) {
      if (std::find(on_disk.begin(), on_disk.end(), v->first) == on_disk.end()) {
        removed.push_back(v->first);
        v = it->second.erase(v);  // in-flight requests keep their snapshot
      } else {
        ++v;
      }
    }
    now_empty = it->second.empty();
    if (now_empty) models_.erase(it);
  }
  if (removed.empty()) return;
  spdlog::info("model {}: version(s) {} unloaded, their directory left the repository", model,
               absl::StrJoin(removed, ", "));
  if (now_empty && listener_) listener_(model, false);
}

void ModelRegistry::Poll() {
  std::lock_guard<std::mutex> poll_lock(poll_mu_);
  ++polls_;
  auto names = repository_.ListModels();
  if (!names.ok()) {
    spdlog::warn("repository poll: {}", names.status().ToString());
    return;
  }
  // Models whose directory went (or holds no version any more) unload.
  std::set<std::string> loaded_models;
  for (const auto& served : Snapshot()) loaded_models.insert(served->name());
  for (const std::string& name : loaded_models) {
    if (std::binary_search(names->begin(), names->end(), name)) continue;
    std::lock_guard<std::mutex> lock(load_mu_);
    // Listed again under the lock: an Admin load may have just brought it back.
    auto on_disk = repository_.ListVersions(name);
    RemoveGoneLocked(name, on_disk.ok() ? *on_disk : std::vector<int64_t>{});
  }
  {
    std::lock_guard<std::mutex> lock(load_mu_);
    std::erase_if(failures_, [&](const auto& entry) {
      return !std::binary_search(names->begin(), names->end(), entry.first.first);
    });
  }
  for (const std::string& name : *names) {
    // Per model, so an Admin load or unload waits for one model at most.
    std::lock_guard<std::mutex> lock(load_mu_);
    auto on_disk = repository_.ListVersions(name);
    if (!on_disk.ok()) continue;
    RemoveGoneLocked(name, *on_disk);
    std::erase_if(failures_, [&](const auto& entry) {
      return entry.first.first == name &&
             std::find(on_disk->begin(), on_disk->end(), entry.first.second) == on_disk->end();
    });
    if (unloaded_by_admin_.count(name) > 0) continue;
    // Versions the Admin API unloaded are not candidates.
    if (auto it = versions_unloaded_by_admin_.find(name); it != versions_unloaded_by_admin_.end()) {
      std::erase_if(*on_disk, [&](int64_t v) { return it->second.count(v) > 0; });
    }
    if (on_disk->empty()) continue;
    const std::vector<int64_t> loaded = LoadedVersions(name);
    const int64_t newest = on_disk->back();
    if (loaded.empty() || newest > loaded.back()) {
      // A new model, or a new highest version: load it, then retire the one
      // it replaces (in-flight requests keep their snapshot).
      if (!PollLoadLocked(name, newest)) continue;
      if (!loaded.empty()) {
        std::unique_lock<std::shared_mutex> write(mu_);
        models_[name].erase(loaded.back());
        spdlog::info("model {}: version {} replaced by {}", name, loaded.back(), newest);
      }
      continue;
    }
    // Reload versions any of whose files changed in place.
    for (int64_t v : loaded) {
      auto served = Resolve(name, v);
      if (served.ok() && repository_.Changed(name, (*served)->files())) {
        if (PollLoadLocked(name, v)) {
          spdlog::info("model {} version {} reloaded: its files changed", name, v);
        }
      }
    }
  }
}

}  // namespace tinyserve::server
