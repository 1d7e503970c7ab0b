// Which devices exist, now and later. Fixed devices (host, ref, xs3) always
// exist; xcore boards come and go: "xcore" names the family (every board,
// including boards plugged in later), "xcore@PATH" one board by its USB
// bus-port path ("xcore@1-2.3") or simulator name ("xcore@sim0").
#ifndef TINYSERVE_DEVICES_DEVICE_CATALOG_H_
#define TINYSERVE_DEVICES_DEVICE_CATALOG_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"

namespace tinyserve {

struct DeviceCatalogOptions {
  // Look for xcore boards on USB (libusb). Off: only simulated boards.
  bool xcore_usb = true;
  // Simulated boards (tinyserve-xcore-sim) to connect to, in order: each
  // "HOST:PORT" or a unix socket path; named sim0, sim1, ...
  std::vector<std::string> xcore_simulators;
};

class DeviceCatalog {
 public:
  virtual ~DeviceCatalog() = default;

  // The registry's catalog. Never fails for lack of boards or USB access: the
  // xcore family is then empty (and says why in xcore_note()).
  static std::unique_ptr<DeviceCatalog> Create(const DeviceCatalogOptions& options);

  // Families in preference order: "host", "ref", "xs3", "xcore".
  virtual std::vector<std::string> Families() const = 0;

  // What one --devices entry stands for now: a fixed name itself; "xcore"
  // every board present ("xcore@1-2.3", ...; possibly none); "xcore@PATH"
  // itself, present or not (it is DOWN until the board appears).
  // NOT_FOUND, listing the families, for anything else.
  virtual absl::StatusOr<std::vector<std::string>> Expand(const std::string& entry) const = 0;

  // A device by full name ("host", "xcore@1-2.3").
  virtual absl::StatusOr<std::unique_ptr<Device>> Create(const std::string& name) = 0;

  // Called (from a catalog thread) with the full name of every board that
  // appears after this call, or appeared since the catalog was made, and has
  // no device yet (Create): the server starts a device for it when it is
  // serving the xcore family. A board that comes back keeps its name and
  // device: that device's health goes UP again instead.
  virtual void WatchArrivals(std::function<void(const std::string& name)> on_arrival) = 0;

  // Why the xcore family is empty or partial (no USB access, a simulator
  // refusing connections...); empty when all is well.
  virtual std::string xcore_note() const = 0;
};

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_DEVICE_CATALOG_H_
