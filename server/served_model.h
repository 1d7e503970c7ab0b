// One loaded version of one model: the engine model, its compiled form on
// every running device that can run it, labels and config. Immutable once
// built and shared: a request holds it for as long as it runs, so unloading or
// replacing a version never disturbs requests already using it.
#ifndef TINYSERVE_SERVER_SERVED_MODEL_H_
#define TINYSERVE_SERVER_SERVED_MODEL_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model.h"
#include "server/device_manager.h"
#include "server/metrics.h"
#include "server/model_repository.h"
#include "server/session_pool.h"
#include "server/shadow_traffic.h"
#include "tinyserve/v1/model_config.pb.h"

namespace tinyserve::server {

// A model version compiled for one device. Shared by the snapshots of the
// version (a board arriving makes a new snapshot with one more binding).
struct DeviceBinding {
  RunningDevice* device = nullptr;
  std::unique_ptr<SessionPool> sessions;
  std::unique_ptr<ModelDeviceMetrics> metrics;
  int queue_capacity = 0;  // this model's share of the device queue; 0 = none
  mutable std::atomic<int> queued{0};
};

class ServedModel {
 public:
  // Loads `version` of `name` from the repository and compiles it on every
  // device of `devices` that can run it. Fails when the file or config is bad,
  // or when no device can run it (the message lists each device's reason).
  static absl::StatusOr<std::shared_ptr<const ServedModel>> Load(const ModelRepository& repository,
                                                                 const std::string& name,
                                                                 int64_t version,
                                                                 const DeviceManager& devices,
                                                                 ServerMetrics& metrics);

  // This version with `device` added (compiled there, or its refusal
  // recorded): a new snapshot sharing every existing binding, so requests on
  // the old one are undisturbed. The same snapshot when `device` is bound already.
  std::shared_ptr<const ServedModel> WithDevice(RunningDevice& device,
                                                ServerMetrics& metrics) const;

  const std::string& name() const { return name_; }
  int64_t version() const { return version_; }
  // Every file this version was built from, as it was read (model, config,
  // labels, firmware model): ModelRepository::Changed says when to reload.
  const FileStamps& files() const { return files_; }
  const v1::ModelConfig& config() const { return config_; }
  v1::ModelKind kind() const;
  const std::vector<std::string>& labels() const { return labels_; }
  const Model& model() const { return *model_; }
  const std::string& default_device() const { return default_device_; }
  // What the config asks of every device (the xcore firmware binding).
  const CompileOptions& compile_options() const { return compile_options_; }
  // Devices that compiled it, in preference order.
  const std::vector<std::string>& device_names() const { return device_names_; }
  // nullptr when `device` cannot run this model.
  const DeviceBinding* binding(const std::string& device) const;
  // Why a running device refused to compile this model ("" if it did not).
  std::string refusal(const std::string& device) const;
  // Shadow traffic of this version; nullptr without a shadow device in the
  // config. Internally synchronized, so usable through a const snapshot. Its
  // device may be a family ("xcore": any UP board).
  ShadowTraffic* shadow() const { return shadow_.get(); }

 private:
  ServedModel() = default;
  ServedModel(const ServedModel&) = default;
  // Compiles for `running` (binding or refusal) into this snapshot.
  void Bind(RunningDevice& running, ServerMetrics& metrics);

  std::string name_;
  int64_t version_ = 0;
  FileStamps files_;
  v1::ModelConfig config_;
  std::vector<std::string> labels_;
  std::shared_ptr<const Model> model_;
  CompileOptions compile_options_;
  std::string default_device_;
  std::vector<std::string> device_names_;
  std::map<std::string, std::shared_ptr<DeviceBinding>> bindings_;
  std::map<std::string, std::string> refusals_;
  std::shared_ptr<ShadowTraffic> shadow_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_SERVED_MODEL_H_
