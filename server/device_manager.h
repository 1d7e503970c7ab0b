// The devices this server runs, each with its own scheduler.
#ifndef TINYSERVE_SERVER_DEVICE_MANAGER_H_
#define TINYSERVE_SERVER_DEVICE_MANAGER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"
#include "server/device_scheduler.h"

namespace tinyserve::server {

struct RunningDevice {
  DeviceInfo info;
  std::unique_ptr<Device> device;
  std::unique_ptr<DeviceScheduler> scheduler;
};

// Creates a device by name (the device registry, or a test's own factory).
using DeviceFactory = std::function<absl::StatusOr<std::unique_ptr<Device>>(const std::string&)>;

class DeviceManager {
 public:
  // Starts each named device in order (the order is the preference used to
  // pick a model's default device). A device that fails to start is reported
  // in `failures` and skipped; no device at all is an error.
  static absl::StatusOr<std::unique_ptr<DeviceManager>> Start(
      const std::vector<std::string>& names, const DeviceFactory& factory, int queue_capacity,
      int workers_per_device, std::vector<std::string>* failures);

  // In preference order.
  const std::vector<std::unique_ptr<RunningDevice>>& devices() const { return devices_; }
  // nullptr when not running.
  RunningDevice* Find(const std::string& name) const;

  // Finishes queued work and stops every worker.
  void Shutdown();

 private:
  std::vector<std::unique_ptr<RunningDevice>> devices_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_DEVICE_MANAGER_H_
