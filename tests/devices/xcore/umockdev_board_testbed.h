// A umockdev testbed with simulated xcore.ai io_server boards on "USB": real
// sysfs entries and descriptors, a /dev/bus/usb node per board served by a
// usbfs ioctl handler (umockdev_usbfs_board.h) over the board's
// BoardStateMachine. Programs started under it (LD_PRELOAD of umockdev's
// preload library, UMOCKDEV_DIR) see the boards through libusb's ordinary
// Linux backend: enumeration, hot-plug uevents, control and bulk transfers,
// timeouts. umockdev serves the ioctls on its own worker thread (a private
// GLib main context); the boards' bulk traffic runs on one pump thread each.
#ifndef TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_BOARD_TESTBED_H_
#define TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_BOARD_TESTBED_H_

#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/xcore/sim/board_state_machine.h"

typedef struct _UMockdevTestbed UMockdevTestbed;

namespace tinyserve::xcore::testing {

class UsbfsBoard;

class UmockdevBoardTestbed {
 public:
  static absl::StatusOr<std::unique_ptr<UmockdevBoardTestbed>> Create();
  ~UmockdevBoardTestbed();
  UmockdevBoardTestbed(const UmockdevBoardTestbed&) = delete;
  UmockdevBoardTestbed& operator=(const UmockdevBoardTestbed&) = delete;

  // Plugs a board in at bus-port path `path` ("1-2", "1-2.3": bus 1, ports
  // 2 then 3), with the next free device address on that bus, and sends the
  // "add" uevent. INVALID_ARGUMENT for a malformed or taken path.
  absl::Status AddBoard(const std::string& path, std::shared_ptr<sim::BoardStateMachine> board);

  // Pulls the cable: pending URBs fail, further ioctls get ENODEV, the
  // "remove" uevent goes out and the device leaves sysfs and /dev.
  absl::Status Unplug(const std::string& path);
  // Plugs the same board back in (power-cycled: Reset()), at a new address.
  absl::Status Replug(const std::string& path);

  sim::BoardStateMachine* board(const std::string& path) const;
  // The board's current "/dev/bus/usb/BBB/DDD" (empty when unknown).
  std::string device_node(const std::string& path) const;

  // Environment a child process needs to see the testbed: LD_PRELOAD (the
  // sanitizer runtime first when this process has a shared one) and
  // UMOCKDEV_DIR.
  std::vector<std::pair<std::string, std::string>> ChildEnvironment() const;
  // The same as a shell prefix ("env LD_PRELOAD='...' UMOCKDEV_DIR='...' ").
  std::string ShellPrefix() const;
  const std::string& root_dir() const { return root_dir_; }

 private:
  struct Slot {
    std::shared_ptr<sim::BoardStateMachine> board;
    int bus = 0;
    std::string ports;    // "2.3"
    std::string syspath;  // umockdev's /sys/devices/... path, empty while unplugged
    std::string node;     // /dev/bus/usb/BBB/DDD
    std::unique_ptr<UsbfsBoard> usbfs;
  };

  explicit UmockdevBoardTestbed(UMockdevTestbed* testbed);
  absl::Status Plug(const std::string& path, Slot& slot);
  absl::Status EnsureHubs(int bus, const std::string& ports);
  int NextDevnum(int bus);  // -1 when the bus is full

  UMockdevTestbed* testbed_;
  std::string root_dir_;
  std::map<std::string, Slot> slots_;
  std::map<int, int> next_devnum_;                  // per bus
  std::set<std::string> hubs_;                      // hubs made for nested port paths
  std::vector<std::unique_ptr<UsbfsBoard>> retired_;  // unplugged: old clients may still talk
};

}  // namespace tinyserve::xcore::testing

#endif  // TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_BOARD_TESTBED_H_
