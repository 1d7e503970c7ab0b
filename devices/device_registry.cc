#include "devices/device_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "devices/host/host_device.h"
#include "devices/ref/ref_device.h"
#include "devices/xs3/xs3_device.h"

namespace tinyserve {

std::vector<std::string> KnownDeviceNames() { return {"host", "ref", "xs3"}; }

absl::StatusOr<std::unique_ptr<Device>> CreateDevice(const std::string& name) {
  if (name == "host") return HostDevice::Create();
  if (name == "ref") return std::unique_ptr<Device>(new RefDevice());
  if (name == "xs3") return xs3::Xs3Device::Create();
  return absl::NotFoundError(absl::StrCat("unknown device '", name, "' (known devices: ",
                                          absl::StrJoin(KnownDeviceNames(), ", "), ")"));
}

}  // namespace tinyserve
