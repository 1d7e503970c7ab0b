// The devices this build can offer, by name.
#ifndef TINYSERVE_DEVICES_DEVICE_REGISTRY_H_
#define TINYSERVE_DEVICES_DEVICE_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"

namespace tinyserve {

// Names of every device this build knows, in preference order.
std::vector<std::string> KnownDeviceNames();

// A new instance of device `name`; NOT_FOUND lists the known names.
absl::StatusOr<std::unique_ptr<Device>> CreateDevice(const std::string& name);

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_DEVICE_REGISTRY_H_
