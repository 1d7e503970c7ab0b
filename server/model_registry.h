// Which model versions are loaded, and loading, unloading and reloading them.
// A request resolves (model, version) to a shared, immutable ServedModel
// snapshot; swapping versions only changes what later requests resolve to.
#ifndef TINYSERVE_SERVER_MODEL_REGISTRY_H_
#define TINYSERVE_SERVER_MODEL_REGISTRY_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/served_model.h"

namespace tinyserve::server {

struct RegistryOptions {
  // A version the poller fails to load is retried after 1, 2, 4, ... polls
  // (at most this many) while its files stay unchanged, and its failure is
  // logged once; a change to config.pbtxt, labels.txt or the model file
  // retries at the next poll.
  int max_retry_backoff_polls = 64;
};

class ModelRegistry {
 public:
  // Called with (model, serving) whenever a model gains its first loaded
  // version or loses its last one.
  using AvailabilityListener = std::function<void(const std::string& model, bool serving)>;

  ModelRegistry(const ModelRepository& repository, const DeviceManager& devices,
                ServerMetrics& metrics, AvailabilityListener listener,
                RegistryOptions options = {});

  // Loads the highest version of every model in the repository. Returns one
  // line per model that failed; the others serve.
  std::vector<std::string> LoadAll();

  // Loads `version` (0: the highest in the repository) and makes it servable.
  // Reloads it when any of its files changed since it was loaded; otherwise a
  // no-op. Slow (compiles on every device): never call it on a gRPC callback
  // thread (AdminService hands it to its loader thread).
  absl::StatusOr<std::shared_ptr<const ServedModel>> Load(const std::string& model,
                                                          int64_t version);
  // Unloads `version` (0: every loaded version); returns the versions removed.
  absl::StatusOr<std::vector<int64_t>> Unload(const std::string& model, int64_t version);

  // The loaded `version` (0: the highest loaded); NOT_FOUND otherwise.
  absl::StatusOr<std::shared_ptr<const ServedModel>> Resolve(const std::string& model,
                                                             int64_t version) const;
  // Every loaded version, by model name then version.
  std::vector<std::shared_ptr<const ServedModel>> Snapshot() const;
  std::vector<int64_t> LoadedVersions(const std::string& model) const;

  // One pass over the repository: loads models that appeared, a model's new
  // highest version (then unloads the version it replaces), and versions any
  // of whose files changed (model, config.pbtxt, labels, firmware model);
  // unloads versions whose directory (or whose model's directory) is gone
  // (requests in flight finish on the snapshot they hold). Models and
  // versions unloaded through the Admin API are left alone until loaded
  // again. A failed load is logged once and retried with backoff
  // (RegistryOptions). The load lock is held per model, not per pass.
  void Poll();
  // Passes Poll() has made (tests).
  int64_t polls() const;

  // A device started while serving (a board that arrived): every loaded
  // version gets a new snapshot compiled for it as well (requests in flight
  // keep the snapshot they hold), and models with no loaded version (none of
  // the devices before could run them) are tried again, except those the
  // Admin API unloaded.
  void AddDevice(RunningDevice& device);

 private:
  absl::StatusOr<std::shared_ptr<const ServedModel>> LoadLocked(const std::string& model,
                                                                int64_t version);
  // LoadLocked for the poller: skipped while `version` waits out its backoff
  // (returns false then too); records and logs failures. Needs load_mu_.
  bool PollLoadLocked(const std::string& model, int64_t version);
  // Removes loaded versions of `model` that are no longer in `on_disk`.
  // Needs load_mu_.
  void RemoveGoneLocked(const std::string& model, const std::vector<int64_t>& on_disk);
  void Publish(std::shared_ptr<const ServedModel> served);

  // A version that failed to load, while its files stay as they were.
  struct Failure {
    FileStamps files;  // BaseFiles as they were before the failed attempt
    int attempts = 0;
    int64_t retry_at_poll = 0;
  };

  const ModelRepository& repository_;
  const DeviceManager& devices_;
  ServerMetrics& metrics_;
  AvailabilityListener listener_;
  const RegistryOptions options_;

  std::mutex poll_mu_;  // one poll pass at a time
  std::atomic<int64_t> polls_{0};
  std::mutex load_mu_;  // serializes loads and unloads (slow, rare)
  mutable std::shared_mutex mu_;  // guards models_ (fast lookups)
  std::map<std::string, std::map<int64_t, std::shared_ptr<const ServedModel>>> models_;
  std::set<std::string> unloaded_by_admin_;  // guarded by load_mu_
  // Versions unloaded through the Admin API, per model: polling never brings
  // them back (a rollback to an older version holds while the newer one's
  // directory remains); loading one through the Admin API clears it.
  std::map<std::string, std::set<int64_t>> versions_unloaded_by_admin_;  // guarded by load_mu_
  std::map<std::pair<std::string, int64_t>, Failure> failures_;  // guarded by load_mu_
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_MODEL_REGISTRY_H_
