// The devices this server runs, each with its own scheduler, as the device
// catalog (devices/device_catalog.h) names them: fixed devices ("host"), and
// boards of a family ("xcore@1-2.3"), including boards that arrive while the
// server runs. Each device's health (UP / DOWN / RECOVERING) is followed here:
// a device that is not UP has its queued requests answered UNAVAILABLE at once
// and refuses new ones until it is UP again.
#ifndef TINYSERVE_SERVER_DEVICE_MANAGER_H_
#define TINYSERVE_SERVER_DEVICE_MANAGER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "devices/device.h"
#include "devices/device_catalog.h"
#include "server/device_scheduler.h"

namespace tinyserve::server {

struct RunningDevice {
  DeviceInfo info;
  // Declared before the device so that the device (and any thread of it that
  // reports health) goes first.
  std::unique_ptr<DeviceScheduler> scheduler;
  std::unique_ptr<Device> device;

  DeviceHealth health() const {
    std::lock_guard<std::mutex> lock(health_mu);
    return current_health;
  }
  bool up() const { return health().state == DeviceState::kUp; }
  // OK when UP, else UNAVAILABLE naming the device, its state and why.
  absl::Status Availability() const;

  mutable std::mutex health_mu;
  DeviceHealth current_health;  // guarded by health_mu
};

// Told of every health change (after the device's queue was failed or
// reopened), on the thread the device reported it from.
using HealthObserver = std::function<void(const RunningDevice&, const DeviceHealth&)>;
// Told of a device started while the server runs (a board that arrived).
using DeviceAddedObserver = std::function<void(RunningDevice&)>;

// Makes the catalog the server's devices come from (tests wrap the real one
// to add their own devices).
using CatalogFactory =
    std::function<std::unique_ptr<DeviceCatalog>(const DeviceCatalogOptions& options)>;

struct HealthSink;

class DeviceManager {
 public:
  struct Options {
    // --devices entries in order of preference (the order picks a model's
    // default device): fixed names, families ("xcore": every board, now and
    // later) or one board ("xcore@1-2.3", DOWN while absent). Empty: every
    // family of the catalog.
    std::vector<std::string> entries;
    int queue_capacity = 64;
    int workers_per_device = 1;
    HealthObserver on_health;  // may be empty
  };

  // Starts each device the entries name. A device that fails to start is
  // reported in `failures` and skipped; a family with no member yet is noted
  // there too (it is watched). No device and no watched family is an error.
  static absl::StatusOr<std::unique_ptr<DeviceManager>> Start(
      std::unique_ptr<DeviceCatalog> catalog, const Options& options,
      std::vector<std::string>* failures);
  ~DeviceManager();

  // A snapshot in preference order (boards that arrived later come last).
  // Devices are never removed, so the pointers stay valid for the manager's life.
  std::vector<RunningDevice*> devices() const;
  // nullptr when not running.
  RunningDevice* Find(const std::string& name) const;
  // Whether `name` is a family that stands for several devices ("xcore"),
  // served by this server.
  bool IsServedFamily(const std::string& name) const;
  // The running members of family `family` ("xcore@..."), in preference order.
  std::vector<RunningDevice*> Members(const std::string& family) const;
  // Whether the catalog knows `name` (a device, family or board it could start).
  bool IsKnown(const std::string& name) const;
  // "host, ref, xs3, xcore": the catalog's families.
  std::vector<std::string> Families() const;

  // From now on, boards arriving in a served family are started and passed to
  // `on_added` (on a catalog thread) before requests can reach them.
  void WatchArrivals(DeviceAddedObserver on_added);

  // Stops taking arrivals, finishes queued work and stops every worker.
  void Shutdown();

 private:
  DeviceManager() = default;
  // Creates and registers `name`; the new device, or why it could not start.
  absl::StatusOr<RunningDevice*> Add(const std::string& name);
  void OnArrival(const std::string& name);

  int queue_capacity_ = 0;
  int workers_per_device_ = 1;
  std::set<std::string> watched_families_;  // families served as a whole
  std::set<std::string> group_families_;    // families that stand for several devices

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<RunningDevice>> devices_;  // guarded by mu_

  std::mutex arrivals_mu_;  // held while an arrival is handled
  DeviceAddedObserver on_added_;  // guarded by arrivals_mu_
  bool stopped_ = false;          // guarded by arrivals_mu_

  std::shared_ptr<HealthSink> sink_;
  // Last, so it goes first: no arrival is announced into a half-destroyed manager.
  std::unique_ptr<DeviceCatalog> catalog_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_DEVICE_MANAGER_H_
