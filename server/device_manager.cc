#include "server/device_manager.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tinyserve::server {

absl::StatusOr<std::unique_ptr<DeviceManager>> DeviceManager::Start(
    const std::vector<std::string>& names, const DeviceFactory& factory, int queue_capacity,
    int workers_per_device, std::vector<std::string>* failures) {
  auto manager = std::make_unique<DeviceManager>();
  for (const std::string& name : names) {
    if (manager->Find(name) != nullptr) continue;
    auto device = factory(name);
    if (!device.ok()) {
      failures->push_back(absl::StrCat(name, ": ", device.status().message()));
      continue;
    }
    auto running = std::make_unique<RunningDevice>();
    running->info = (*device)->Describe();
    running->device = std::move(*device);
    running->scheduler =
        std::make_unique<DeviceScheduler>(name, queue_capacity, workers_per_device);
    manager->devices_.push_back(std::move(running));
  }
  if (manager->devices_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no device could start (", absl::StrJoin(*failures, "; "), ")"));
  }
  return manager;
}

RunningDevice* DeviceManager::Find(const std::string& name) const {
  for (const auto& d : devices_) {
    if (d->info.name == name) return d.get();
  }
  return nullptr;
}

void DeviceManager::Shutdown() {
  for (auto& d : devices_) d->scheduler->Shutdown();
}

}  // namespace tinyserve::server
