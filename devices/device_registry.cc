#include "devices/device_registry.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "devices/device_catalog.h"
#include "devices/host/host_device.h"
#include "devices/ref/ref_device.h"
#include "devices/xs3/xs3_device.h"

namespace tinyserve {
namespace {

// USB boards for CreateDevice. Never destroyed: devices handed out may
// outlive any static destructor order.
DeviceCatalog& UsbCatalog() {
  static DeviceCatalog* catalog = DeviceCatalog::Create(DeviceCatalogOptions{}).release();
  return *catalog;
}

}  // namespace

std::vector<std::string> KnownDeviceNames() { return {"host", "ref", "xs3", "xcore"}; }

absl::StatusOr<std::unique_ptr<Device>> CreateDevice(const std::string& name) {
  if (name == "host") return HostDevice::Create();
  if (name == "ref") return std::unique_ptr<Device>(new RefDevice());
  if (name == "xs3") return xs3::Xs3Device::Create();
  if (name == "xcore") {
    DeviceCatalog& catalog = UsbCatalog();
    absl::StatusOr<std::vector<std::string>> boards = catalog.Expand("xcore");
    if (!boards.ok()) return boards.status();
    if (boards->empty()) {
      return absl::UnavailableError(
          absl::StrCat("no xcore board found: ", catalog.xcore_note()));
    }
    return catalog.Create(boards->front());
  }
  if (absl::StartsWith(name, "xcore@")) return UsbCatalog().Create(name);
  return absl::NotFoundError(absl::StrCat("unknown device '", name, "' (known devices: ",
                                          absl::StrJoin(KnownDeviceNames(), ", "),
                                          ", or one board: xcore@BUS-PORT)"));
}

}  // namespace tinyserve
