#include "server/device_manager.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace tinyserve::server {
namespace {

absl::Status AvailabilityOf(const std::string& device, const DeviceHealth& health) {
  if (health.state == DeviceState::kUp) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("device '", device, "' is ",
                                             DeviceStateName(health.state),
                                             health.reason.empty() ? "" : ": ", health.reason));
}

}  // namespace

// Where devices report health. One per manager, shared with the listeners
// (which may outlive it on a device's thread): after Shutdown they do nothing.
// The mutex is held while a change is applied, so Shutdown waits for one in
// progress.
struct HealthSink {
  std::mutex mu;
  bool open = true;  // guarded by mu
  HealthObserver observer;

  void Apply(RunningDevice& running, const DeviceHealth& health) {
    std::lock_guard<std::mutex> lock(mu);
    if (!open) return;
    {
      std::lock_guard<std::mutex> health_lock(running.health_mu);
      if (running.current_health.state == health.state &&
          running.current_health.reason == health.reason) {
        return;
      }
      running.current_health = health;
    }
    running.scheduler->SetAvailability(AvailabilityOf(running.info.name, health));
    if (observer) observer(running, health);
  }
};

absl::Status RunningDevice::Availability() const { return AvailabilityOf(info.name, health()); }

absl::StatusOr<std::unique_ptr<DeviceManager>> DeviceManager::Start(
    std::unique_ptr<DeviceCatalog> catalog, const Options& options,
    std::vector<std::string>* failures) {
  std::unique_ptr<DeviceManager> manager(new DeviceManager());
  manager->catalog_ = std::move(catalog);
  manager->queue_capacity_ = options.queue_capacity;
  manager->workers_per_device_ = options.workers_per_device;
  manager->sink_ = std::make_shared<HealthSink>();
  manager->sink_->observer = options.on_health;
  DeviceCatalog& catalog_ref = *manager->catalog_;
  for (const std::string& family : catalog_ref.Families()) {
    auto members = catalog_ref.Expand(family);
    if (members.ok() && !(members->size() == 1 && members->front() == family)) {
      manager->group_families_.insert(family);
    }
  }
  const std::vector<std::string> entries =
      options.entries.empty() ? catalog_ref.Families() : options.entries;
  for (const std::string& entry : entries) {
    auto names = catalog_ref.Expand(entry);
    if (!names.ok()) {
      failures->push_back(std::string(names.status().message()));
      continue;
    }
    if (manager->group_families_.count(entry) > 0) {
      manager->watched_families_.insert(entry);
      if (names->empty()) {
        const std::string note = catalog_ref.xcore_note();
        failures->push_back(absl::StrCat(entry, ": no device yet, watching for arrivals",
                                         note.empty() ? "" : " (", note, note.empty() ? "" : ")"));
      }
    }
    for (const std::string& name : *names) {
      if (manager->Find(name) != nullptr) continue;
      auto added = manager->Add(name);
      if (!added.ok()) failures->push_back(absl::StrCat(name, ": ", added.status().message()));
    }
  }
  if (manager->devices().empty() && manager->watched_families_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no device could start (", absl::StrJoin(*failures, "; "), ")"));
  }
  return manager;
}

DeviceManager::~DeviceManager() { Shutdown(); }

absl::StatusOr<RunningDevice*> DeviceManager::Add(const std::string& name) {
  auto device = catalog_->Create(name);
  if (!device.ok()) return device.status();
  auto running = std::make_shared<RunningDevice>();
  running->info = (*device)->Describe();
  running->info.name = name;  // the catalog's name is the one users select
  running->scheduler =
      std::make_unique<DeviceScheduler>(name, queue_capacity_, workers_per_device_);
  running->device = std::move(*device);
  RunningDevice* raw = running.get();
  std::shared_ptr<HealthSink> sink = sink_;
  // Listen first, then read the state, so no change falls between the two.
  raw->device->SetHealthListener(
      [sink, raw](const DeviceHealth& health) { sink->Apply(*raw, health); });
  const DeviceHealth initial = raw->device->Health();
  if (initial.state != DeviceState::kUp) {
    std::lock_guard<std::mutex> lock(sink->mu);
    if (raw->current_health.state == DeviceState::kUp) {
      std::lock_guard<std::mutex> health_lock(raw->health_mu);
      raw->current_health = initial;
    }
    raw->scheduler->SetAvailability(raw->Availability());
  }
  std::lock_guard<std::mutex> lock(mu_);
  devices_.push_back(std::move(running));
  return raw;
}

std::vector<RunningDevice*> DeviceManager::devices() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RunningDevice*> all;
  all.reserve(devices_.size());
  for (const auto& d : devices_) all.push_back(d.get());
  return all;
}

RunningDevice* DeviceManager::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& d : devices_) {
    if (d->info.name == name) return d.get();
  }
  return nullptr;
}

bool DeviceManager::IsServedFamily(const std::string& name) const {
  return group_families_.count(name) > 0 &&
         (watched_families_.count(name) > 0 || !Members(name).empty());
}

std::vector<RunningDevice*> DeviceManager::Members(const std::string& family) const {
  const std::string prefix = family + "@";
  std::vector<RunningDevice*> members;
  for (RunningDevice* d : devices()) {
    if (absl::StartsWith(d->info.name, prefix)) members.push_back(d);
  }
  return members;
}

bool DeviceManager::IsKnown(const std::string& name) const { return catalog_->Expand(name).ok(); }

std::vector<std::string> DeviceManager::Families() const { return catalog_->Families(); }

void DeviceManager::WatchArrivals(DeviceAddedObserver on_added) {
  if (watched_families_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(arrivals_mu_);
    on_added_ = std::move(on_added);
  }
  catalog_->WatchArrivals([this](const std::string& name) { OnArrival(name); });
}

void DeviceManager::OnArrival(const std::string& name) {
  std::lock_guard<std::mutex> lock(arrivals_mu_);
  if (stopped_) return;
  const size_t at = name.find('@');
  if (at == std::string::npos || watched_families_.count(name.substr(0, at)) == 0) return;
  if (Find(name) != nullptr) return;  // a board that came back: its device follows it
  auto added = Add(name);
  if (!added.ok()) {
    spdlog::warn("device {} arrived but did not start: {}", name, added.status().ToString());
    return;
  }
  spdlog::info("device {} arrived ({})", name, DeviceStateName((*added)->health().state));
  if (on_added_) on_added_(**added);
}

void DeviceManager::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(arrivals_mu_);
    stopped_ = true;
  }
  {
    std::lock_guard<std::mutex> lock(sink_->mu);
    sink_->open = false;
  }
  for (RunningDevice* d : devices()) d->scheduler->Shutdown();
}

}  // namespace tinyserve::server
