#include "tests/devices/xcore/umockdev_board_testbed.h"

#include <link.h>
#include <umockdev.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "devices/xcore/sim/board_descriptors.h"
#include "tests/devices/xcore/umockdev_uevent.h"
#include "tests/devices/xcore/umockdev_usbfs_board.h"

namespace tinyserve::xcore::testing {
namespace {

constexpr int kUsbDeviceMajor = 189;

// "1-2.3" -> bus 1, ports "2.3".
bool ParsePath(const std::string& path, int& bus, std::string& ports) {
  const size_t dash = path.find('-');
  if (dash == std::string::npos || !absl::SimpleAtoi(path.substr(0, dash), &bus) || bus < 1 ||
      bus > 255) {
    return false;
  }
  ports = path.substr(dash + 1);
  const std::vector<std::string> parts = absl::StrSplit(ports, '.');
  if (parts.size() > 7) return false;
  for (const std::string& part : parts) {
    int port = 0;
    if (!absl::SimpleAtoi(part, &port) || port < 1 || port > 255) return false;
  }
  return true;
}

// A shared sanitizer runtime loaded in this process (gcc's libasan.so); a
// sanitized child needs it first in LD_PRELOAD. Empty when none (clang links
// its runtime statically).
std::string SharedSanitizerRuntime() {
  std::string found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const char* name = info->dlpi_name;
        if (name != nullptr &&
            (std::strstr(name, "/libasan.so") != nullptr ||
             std::strstr(name, "libclang_rt.asan") != nullptr)) {
          *static_cast<std::string*>(out) = name;
          return 1;
        }
        return 0;
      },
      &found);
  return found;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UmockdevBoardTestbed>> UmockdevBoardTestbed::Create() {
  UMockdevTestbed* testbed = umockdev_testbed_new();
  if (testbed == nullptr) return absl::InternalError("umockdev_testbed_new failed");
  return std::unique_ptr<UmockdevBoardTestbed>(new UmockdevBoardTestbed(testbed));
}

UmockdevBoardTestbed::UmockdevBoardTestbed(UMockdevTestbed* testbed) : testbed_(testbed) {
  gchar* root = umockdev_testbed_get_root_dir(testbed_);
  root_dir_ = root;
  g_free(root);
}

UmockdevBoardTestbed::~UmockdevBoardTestbed() {
  // The testbed first (it stops serving ioctls), then the handlers it used.
  g_object_unref(testbed_);
  slots_.clear();
  retired_.clear();
}

absl::Status UmockdevBoardTestbed::AddBoard(const std::string& path,
                                            std::shared_ptr<sim::BoardStateMachine> board) {
  if (board == nullptr) return absl::InvalidArgumentError("AddBoard needs a board");
  Slot slot;
  if (!ParsePath(path, slot.bus, slot.ports)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not a USB bus-port path like 1-2 or 1-2.3"));
  }
  if (slots_.count(path) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("a board is already at ", path));
  }
  slot.board = std::move(board);
  Slot& placed = slots_[path] = std::move(slot);
  const absl::Status status = Plug(path, placed);
  if (!status.ok()) slots_.erase(path);
  return status;
}

// A USB 2.0 hub's descriptors: device class 9, one configuration with the
// hub interface and its interrupt endpoint. Enough for libusb to parse.
std::vector<uint8_t> HubDescriptors() {
  return {18, 0x01, 0x00, 0x02, 0x09, 0x00, 0x01, 64, 0x6b, 0x1d, 0x02, 0x00, 0x00, 0x01,
          0, 0, 0, 1,
          9, 0x02, 25, 0, 1, 1, 0, 0xE0, 0,
          9, 0x04, 0, 0, 1, 0x09, 0, 0, 0,
          7, 0x05, 0x81, 0x03, 1, 0, 12};
}

absl::Status UmockdevBoardTestbed::EnsureHubs(int bus, const std::string& ports) {
  // "2.3.1" sits behind hubs "B-2" and "B-2.3": libusb walks sysfs parents
  // to compute port paths, so they must exist.
  for (size_t dot = ports.find('.'); dot != std::string::npos; dot = ports.find('.', dot + 1)) {
    const std::string hub = absl::StrCat(bus, "-", ports.substr(0, dot));
    if (hubs_.count(hub) != 0) continue;
    const int devnum = NextDevnum(bus);
    if (devnum < 0) return absl::ResourceExhaustedError("no USB addresses left on the bus");
    const std::string busnum = std::to_string(bus);
    const std::string devnum_text = std::to_string(devnum);
    const std::string devpath = ports.substr(0, dot);
    const char* attributes[] = {"busnum", busnum.c_str(), "devnum", devnum_text.c_str(),
                                "devpath", devpath.c_str(), "speed", "480",
                                "bDeviceClass", "09", "maxchild", "4", nullptr};
    const char* properties[] = {"DEVTYPE", "usb_device", nullptr};
    gchar* syspath = umockdev_testbed_add_devicev(testbed_, "usb", hub.c_str(), nullptr,
                                                  const_cast<gchar**>(attributes),
                                                  const_cast<gchar**>(properties));
    if (syspath == nullptr) return absl::InternalError(absl::StrCat("umockdev refused hub ", hub));
    const std::vector<uint8_t> descriptors = HubDescriptors();
    umockdev_testbed_set_attribute_binary(testbed_, syspath, "descriptors",
                                          const_cast<guint8*>(descriptors.data()),
                                          static_cast<gint>(descriptors.size()));
    g_free(syspath);
    hubs_.insert(hub);
  }
  return absl::OkStatus();
}

int UmockdevBoardTestbed::NextDevnum(int bus) {
  int& next = next_devnum_[bus];
  if (next < 2) next = 2;  // address 1 is the root hub
  return next > 127 ? -1 : next++;
}

absl::Status UmockdevBoardTestbed::Plug(const std::string& path, Slot& slot) {
  if (absl::Status hubs = EnsureHubs(slot.bus, slot.ports); !hubs.ok()) return hubs;
  const int devnum = NextDevnum(slot.bus);
  if (devnum < 0) return absl::ResourceExhaustedError("no USB addresses left on the bus");
  char node[32];
  std::snprintf(node, sizeof(node), "/dev/bus/usb/%03d/%03d", slot.bus, devnum);
  const int minor = (slot.bus - 1) * 128 + (devnum - 1);
  const std::string busnum = std::to_string(slot.bus);
  const std::string devnum_text = std::to_string(devnum);
  const std::string dev = absl::StrCat(kUsbDeviceMajor, ":", minor);
  const std::string product = sim::ProductString();

  // What libusb's Linux backend reads from sysfs, and what udev would hold.
  const char* attributes[] = {"busnum", busnum.c_str(), "devnum", devnum_text.c_str(),
                              "devpath", slot.ports.c_str(), "speed", "480",
                              "idVendor", "20b1", "idProduct", "a15e",
                              "bcdDevice", "1000", "bDeviceClass", "ff",
                              "bConfigurationValue", "1", "bNumConfigurations", "1",
                              "bNumInterfaces", " 1", "bMaxPacketSize0", "64",
                              "manufacturer", "XMOS", "product", product.c_str(),
                              "maxchild", "0", "dev", dev.c_str(), nullptr};
  char busnum3[16];
  char devnum3[16];
  std::snprintf(busnum3, sizeof(busnum3), "%03d", slot.bus);
  std::snprintf(devnum3, sizeof(devnum3), "%03d", devnum);
  const std::string minor_text = std::to_string(minor);
  const char* properties[] = {"DEVNAME", node, "DEVTYPE", "usb_device",
                              "DRIVER", "usb", "PRODUCT", "20b1/a15e/1000",
                              "TYPE", "255/255/255", "BUSNUM", busnum3,
                              "DEVNUM", devnum3, "MAJOR", "189",
                              "MINOR", minor_text.c_str(), nullptr};
  gchar* syspath = umockdev_testbed_add_devicev(testbed_, "usb", path.c_str(), nullptr,
                                                const_cast<gchar**>(attributes),
                                                const_cast<gchar**>(properties));
  if (syspath == nullptr) return absl::InternalError(absl::StrCat("umockdev refused device ", path));
  slot.syspath = syspath;
  g_free(syspath);
  std::vector<uint8_t> descriptors = sim::DeviceDescriptor();
  const std::vector<uint8_t> config = sim::ConfigurationDescriptor();
  descriptors.insert(descriptors.end(), config.begin(), config.end());
  umockdev_testbed_set_attribute_binary(testbed_, slot.syspath.c_str(), "descriptors",
                                        descriptors.data(), static_cast<gint>(descriptors.size()));

  auto usbfs = UsbfsBoard::Create(slot.board, devnum, root_dir_ + node);
  if (!usbfs.ok()) return usbfs.status();
  slot.usbfs = std::move(*usbfs);
  slot.node = node;
  GError* error = nullptr;
  if (!umockdev_testbed_attach_ioctl(testbed_, node, slot.usbfs->handler(), &error)) {
    const std::string message = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    return absl::InternalError(absl::StrCat("umockdev_testbed_attach_ioctl ", node, ": ", message));
  }
  SendUevent(root_dir_, slot.syspath, "add", "usb", "usb_device");
  return absl::OkStatus();
}

absl::Status UmockdevBoardTestbed::Unplug(const std::string& path) {
  auto it = slots_.find(path);
  if (it == slots_.end()) return absl::NotFoundError(absl::StrCat("no board at ", path));
  Slot& slot = it->second;
  if (slot.syspath.empty()) return absl::FailedPreconditionError(absl::StrCat(path, " is unplugged"));
  slot.usbfs->Unplug();
  // The uevent reads the device's properties, so it goes before the removal.
  SendUevent(root_dir_, slot.syspath, "remove", "usb", "usb_device");
  GError* error = nullptr;
  umockdev_testbed_detach_ioctl(testbed_, slot.node.c_str(), &error);
  if (error) g_error_free(error);
  umockdev_testbed_remove_device(testbed_, slot.syspath.c_str());
  slot.syspath.clear();
  retired_.push_back(std::move(slot.usbfs));
  return absl::OkStatus();
}

absl::Status UmockdevBoardTestbed::Replug(const std::string& path) {
  auto it = slots_.find(path);
  if (it == slots_.end()) return absl::NotFoundError(absl::StrCat("no board at ", path));
  if (!it->second.syspath.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is plugged in"));
  }
  it->second.board->Reset();  // power comes back: a fresh chip
  return Plug(path, it->second);
}

sim::BoardStateMachine* UmockdevBoardTestbed::board(const std::string& path) const {
  auto it = slots_.find(path);
  return it == slots_.end() ? nullptr : it->second.board.get();
}

std::string UmockdevBoardTestbed::device_node(const std::string& path) const {
  auto it = slots_.find(path);
  return it == slots_.end() ? "" : it->second.node;
}

std::vector<std::pair<std::string, std::string>> UmockdevBoardTestbed::ChildEnvironment() const {
  std::vector<std::string> preload;
  const std::string runtime = SharedSanitizerRuntime();
  if (!runtime.empty()) preload.push_back(runtime);
  preload.push_back("libumockdev-preload.so.0");
  if (const char* existing = std::getenv("LD_PRELOAD"); existing != nullptr && *existing) {
    preload.push_back(existing);
  }
  return {{"LD_PRELOAD", absl::StrJoin(preload, ":")}, {"UMOCKDEV_DIR", root_dir_}};
}

std::string UmockdevBoardTestbed::ShellPrefix() const {
  std::string prefix = "env";
  for (const auto& [name, value] : ChildEnvironment()) {
    absl::StrAppend(&prefix, " ", name, "='", value, "'");
  }
  return prefix + " ";
}

}  // namespace tinyserve::xcore::testing
