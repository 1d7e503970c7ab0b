// One board as a device sees it: its health (UP / DOWN / RECOVERING), the
// transport while it is usable, and one io_server exchange at a time.
//
//   present + opened ──────────────▶ UP
//   unplugged / connection lost ──▶ DOWN ("unplugged ...")
//   a failure that left it mid-exchange ──▶ DOWN ("out of step after ...;
//        replug or power-cycle the board"); a simulated board is power-cycled
//        (reconnected) by the inventory, a USB board waits for a replug
//   it comes back ──▶ RECOVERING (reopening) ──▶ UP, or DOWN with the reason
#ifndef TINYSERVE_DEVICES_XCORE_XCORE_BOARD_H_
#define TINYSERVE_DEVICES_XCORE_XCORE_BOARD_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "devices/device.h"
#include "devices/xcore/board_inventory.h"
#include "devices/xcore/io_server_link.h"

namespace tinyserve::xcore {

class XcoreBoard : public std::enable_shared_from_this<XcoreBoard> {
 public:
  // Watches `path` in `inventory` and opens it now if it is present.
  static std::shared_ptr<XcoreBoard> Create(std::shared_ptr<BoardInventory> inventory,
                                            std::string path, LinkTimeouts timeouts = {});
  ~XcoreBoard();

  const std::string& path() const { return path_; }
  // "xcore@PATH": what users select.
  std::string device_name() const { return "xcore@" + path_; }
  BoardInventory& inventory() const { return *inventory_; }

  DeviceHealth Health() const;
  void SetHealthListener(Device::HealthListener listener);

  // One inference: waits its turn (honouring the deadline and cancellation),
  // then runs the exchange. Errors name the board: UNAVAILABLE when it is not
  // UP or failed, DEADLINE_EXCEEDED / CANCELLED per `options`,
  // INVALID_ARGUMENT when refused before anything was sent.
  absl::Status Run(const IoServerModel& model, absl::Span<const absl::Span<const uint8_t>> inputs,
                   absl::Span<const absl::Span<uint8_t>> outputs, const InvokeOptions& options,
                   LinkStats* link);

 private:
  XcoreBoard(std::shared_ptr<BoardInventory> inventory, std::string path, LinkTimeouts timeouts)
      : inventory_(std::move(inventory)), path_(std::move(path)), timeouts_(timeouts) {}

  void OnEvent(const BoardEvent& event);
  // UNAVAILABLE "xcore@PATH is DOWN: <reason>".
  absl::Status NotUp(const DeviceHealth& health) const;
  // Opens the board: UP, or DOWN with the reason. `recovering`: say so first.
  void Reopen(bool recovering);
  // Sets the health (and the transport, kept only while UP) and tells the
  // listener when the health changed.
  void Update(DeviceState state, std::string reason, std::shared_ptr<BoardTransport> transport);
  // DOWN for `reason`, unless `transport` was replaced meanwhile (reopened).
  void MarkDown(const std::shared_ptr<BoardTransport>& transport, const std::string& reason);

  const std::shared_ptr<BoardInventory> inventory_;
  const std::string path_;
  const LinkTimeouts timeouts_;
  int subscription_ = 0;

  std::mutex reopen_mu_;  // one open / close sequence at a time
  std::mutex notify_mu_;  // a health change and its notification, in order
  mutable std::mutex state_mu_;
  DeviceHealth health_{DeviceState::kDown, "not opened yet"};
  std::shared_ptr<BoardTransport> transport_;  // set while UP
  Device::HealthListener listener_;

  std::mutex turn_mu_;  // one exchange at a time
  std::condition_variable turn_cv_;
  bool busy_ = false;
};

}  // namespace tinyserve::xcore

#endif  // TINYSERVE_DEVICES_XCORE_XCORE_BOARD_H_
