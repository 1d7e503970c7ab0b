// Which io_server boards exist, and their comings and goings: xcore.ai boards
// on USB (libusb enumeration, hot-plug callbacks or a rescan every second) and
// simulated boards (tinyserve-xcore-sim addresses, reconnected every 500 ms).
//
// A USB board is named by its bus-port path ("1-2.3": boards have no serial
// number), a simulated one "sim0", "sim1", ... in the order given. Without
// USB access (no usbfs, libusb_init failing) the USB side is just empty and
// note() says why. A simulator's connection is the board's cable: a lost
// connection is an unplug, a new one a power-cycled board.
#ifndef TINYSERVE_DEVICES_XCORE_BOARD_INVENTORY_H_
#define TINYSERVE_DEVICES_XCORE_BOARD_INVENTORY_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/xcore/board_transport.h"

namespace tinyserve::xcore {

struct BoardInventoryOptions {
  bool usb = true;                      // look for boards on USB
  std::vector<std::string> simulators;  // "HOST:PORT" or unix socket paths
  std::chrono::milliseconds usb_rescan{1000};  // when libusb has no hot-plug support
  std::chrono::milliseconds sim_reconnect{500};
};

// A board appeared (present) or went away (not present, with the reason).
struct BoardEvent {
  std::string path;
  bool present = false;
  std::string reason;
};

class BoardInventory {
 public:
  // Enumerates USB boards and connects to the simulators once before
  // returning, then watches on a thread of its own.
  static std::shared_ptr<BoardInventory> Create(const BoardInventoryOptions& options);
  ~BoardInventory();
  BoardInventory(const BoardInventory&) = delete;
  BoardInventory& operator=(const BoardInventory&) = delete;

  // Boards present now: USB boards by path, then simulated boards in order.
  std::vector<std::string> Present() const;
  // Whether `path` is present; if not and `why` is given, why not.
  bool IsPresent(const std::string& path, std::string* why = nullptr) const;
  // "xcore.ai board on USB at bus-port 1-2.3" / "simulated xcore.ai board
  // (tinyserve-xcore-sim at 127.0.0.1:7000)".
  std::string Describe(const std::string& path) const;
  // Why the inventory is empty or partial; empty when all is well.
  std::string note() const;

  // `listener` gets every later event, on the inventory's thread. Returns an
  // id for Unsubscribe.
  using Listener = std::function<void(const BoardEvent&)>;
  int Subscribe(Listener listener);
  void Unsubscribe(int id);
  // Runs `task` on the inventory's thread soon.
  void Post(std::function<void()> task);

  // A transport to present board `path` (one holder at a time): a USB board is
  // opened and claimed; a simulated board's connection is handed over.
  absl::StatusOr<std::shared_ptr<BoardTransport>> Open(const std::string& path);
  // The holder of `path`'s transport dropped it because the board is out of
  // step. A simulated board is then power-cycled (reconnected); a USB board
  // stays as it is until it is unplugged and plugged in again.
  void Release(const std::string& path, const std::string& reason);

  class Core;  // state shared with the watcher thread (board_inventory.cc)

 private:
  explicit BoardInventory(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
  std::thread watcher_;
};

}  // namespace tinyserve::xcore

#endif  // TINYSERVE_DEVICES_XCORE_BOARD_INVENTORY_H_
