// The devices this build can offer, by name. Servers use DeviceCatalog
// (device_catalog.h), which also follows boards that come and go; these are
// the simple entry points for tools and tests.
#ifndef TINYSERVE_DEVICES_DEVICE_REGISTRY_H_
#define TINYSERVE_DEVICES_DEVICE_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"

namespace tinyserve {

// Names of every device family this build knows, in preference order:
// "host", "ref", "xs3", "xcore".
std::vector<std::string> KnownDeviceNames();

// A new instance of device `name`: a fixed device, "xcore" (the first xcore
// board on USB; UNAVAILABLE when there is none) or "xcore@BUS-PORT" (that USB
// board, DOWN until it is present). Boards come from one process-wide catalog
// that looks at USB only (simulated boards need a DeviceCatalog of their
// own). NOT_FOUND lists the known names.
absl::StatusOr<std::unique_ptr<Device>> CreateDevice(const std::string& name);

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_DEVICE_REGISTRY_H_
