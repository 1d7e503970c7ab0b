#include "server/served_model.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "engine/util/status_macros.h"

namespace tinyserve::server {

v1::ModelKind ServedModel::kind() const {
  return config_.kind() == v1::MODEL_KIND_UNSPECIFIED ? v1::CLASSIFIER : config_.kind();
}

const DeviceBinding* ServedModel::binding(const std::string& device) const {
  auto it = bindings_.find(device);
  return it == bindings_.end() ? nullptr : it->second.get();
}

std::string ServedModel::refusal(const std::string& device) const {
  auto it = refusals_.find(device);
  return it == refusals_.end() ? std::string() : it->second;
}

void ServedModel::Bind(RunningDevice& running, ServerMetrics& metrics) {
  const std::string& device = running.info.name;
  auto executable = running.device->CompileWithOptions(model_, compile_options_);
  if (!executable.ok()) {
    refusals_[device] = std::string(executable.status().message());
    return;
  }
  auto binding = std::make_shared<DeviceBinding>();
  binding->device = &running;
  binding->sessions = std::make_unique<SessionPool>(std::move(*executable));
  binding->metrics = metrics.ForModelDevice(name_, version_, device);
  for (const auto& settings : config_.devices()) {
    if (settings.device() == device) binding->queue_capacity = settings.queue_size();
  }
  device_names_.push_back(device);
  bindings_[device] = std::move(binding);
}

std::shared_ptr<const ServedModel> ServedModel::WithDevice(RunningDevice& device,
                                                           ServerMetrics& metrics) const {
  std::shared_ptr<ServedModel> next(new ServedModel(*this));
  if (bindings_.count(device.info.name) == 0 && refusals_.count(device.info.name) == 0) {
    next->Bind(device, metrics);
  }
  return next;
}

absl::StatusOr<std::shared_ptr<const ServedModel>> ServedModel::Load(
    const ModelRepository& repository, const std::string& name, int64_t version,
    const DeviceManager& devices, ServerMetrics& metrics) {
  std::shared_ptr<ServedModel> served(new ServedModel());
  served->name_ = name;
  served->version_ = version;
  FileStamps& files = served->files_;
  TS_ASSIGN_OR_RETURN(served->config_, repository.ReadConfig(name, &files));
  TS_ASSIGN_OR_RETURN(served->labels_, repository.ReadLabels(name, served->config_, &files));
  {
    // Read through the repository (bounded, never blocking), then parsed
    // from memory; the bytes go as soon as the model holds its own copy.
    TS_ASSIGN_OR_RETURN(const std::string bytes, repository.ReadModelFile(name, version, &files));
    TS_ASSIGN_OR_RETURN(served->model_,
                        Model::LoadBuffer(absl::Span<const uint8_t>(
                                              reinterpret_cast<const uint8_t*>(bytes.data()),
                                              bytes.size()),
                                          name));
  }
  const Model& model = *served->model_;
  if (served->kind() == v1::AUTOENCODER &&
      (model.num_inputs() != 1 || model.num_outputs() < 1 ||
       model.input(0).num_elements() != model.output(0).num_elements())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model '", name, "': config says AUTOENCODER but output 0 does not match input 0's size"));
  }
  for (const auto& settings : served->config_.devices()) {
    if (settings.queue_size() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("model '", name, "': device '",
                                                     settings.device(),
                                                     "' has a negative queue_size"));
    }
  }

  if (served->config_.has_xcore()) {
    const v1::XcoreBinding& xcore = served->config_.xcore();
    if (xcore.model_index() < 0 || xcore.model_index() > 255) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model '", name, "': xcore.model_index ", xcore.model_index(),
          " is out of range (0..255: one byte of the io_server command)"));
    }
    FirmwareBinding firmware;
    firmware.model_index = xcore.model_index();
    firmware.board = xcore.board();
    if (!xcore.firmware_model().empty()) {
      TS_ASSIGN_OR_RETURN(firmware.firmware_model_path,
                          repository.ResolveModelDirFile(name, xcore.firmware_model(),
                                                         "xcore.firmware_model", &files));
    }
    served->compile_options_.firmware = std::move(firmware);
  }

  for (RunningDevice* running : devices.devices()) served->Bind(*running, metrics);
  if (served->bindings_.empty()) {
    std::vector<std::string> refusals;  // in preference order
    for (const RunningDevice* running : devices.devices()) {
      const std::string why = served->refusal(running->info.name);
      if (!why.empty()) refusals.push_back(running->info.name + ": " + why);
    }
    return absl::UnimplementedError(absl::StrCat("model '", name, "' version ", version,
                                                 ": no running device can run it (",
                                                 absl::StrJoin(refusals, "; "), ")"));
  }
  const std::string& wanted = served->config_.default_device();
  if (!wanted.empty()) {
    // A family ("xcore") is resolved per request to one of its UP devices.
    if (served->binding(wanted) == nullptr && !devices.IsServedFamily(wanted)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "model '", name, "': default_device '", wanted,
          "' is not running or cannot run it (running and able: ",
          absl::StrJoin(served->device_names_, ", "), ")"));
    }
    served->default_device_ = wanted;
  } else {
    served->default_device_ = served->device_names_.front();
  }
  const v1::ShadowSettings& shadow = served->config_.shadow();
  if (!shadow.device().empty()) {
    // Refused like a bad default_device: the config asks for something this
    // server cannot do, and saying so at load beats silently never shadowing.
    // A family ("xcore") shadows on whichever of its devices is UP.
    const bool family = devices.IsServedFamily(shadow.device());
    if (served->binding(shadow.device()) == nullptr && !family) {
      if (devices.Find(shadow.device()) == nullptr && !devices.IsKnown(shadow.device())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "model '", name, "': shadow device '", shadow.device(), "' is unknown (known: ",
            absl::StrJoin(devices.Families(), ", "), ")"));
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "model '", name, "': shadow device '", shadow.device(), "' ",
          devices.Find(shadow.device()) == nullptr
              ? "is not running on this server"
              : absl::StrCat("cannot run it: ", served->refusal(shadow.device()))));
    }
    TS_ASSIGN_OR_RETURN(served->shadow_,
                        ShadowTraffic::Create(shadow, name, version, served->device_names_,
                                              metrics));
  }
  return std::shared_ptr<const ServedModel>(std::move(served));
}

}  // namespace tinyserve::server
