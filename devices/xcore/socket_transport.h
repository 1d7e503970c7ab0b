// BoardTransport over a stream socket to tinyserve-xcore-sim (a simulated
// board): USB packets as frames, see sim/sim_wire_format.h. A closed
// connection is an unplugged board; a new connection is a power-cycled one.
#ifndef TINYSERVE_DEVICES_XCORE_SOCKET_TRANSPORT_H_
#define TINYSERVE_DEVICES_XCORE_SOCKET_TRANSPORT_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "devices/xcore/board_transport.h"

namespace tinyserve::xcore {

class SocketTransport : public BoardTransport {
 public:
  // Connects to `address` ("HOST:PORT", or a unix socket path: anything with a
  // '/') and checks the simulator's hello frame: an io_server board's USB
  // identity (VID 0x20B1, PID 0xA15E, product "xAISRV"). `name` is the board's
  // path ("sim0"). UNAVAILABLE when nothing answers or it is not a board.
  static absl::StatusOr<std::unique_ptr<SocketTransport>> Connect(
      const std::string& address, std::string name,
      std::chrono::steady_clock::time_point deadline);
  ~SocketTransport() override;

  // Every packet of the transfer is written at once, then the simulator's
  // acknowledgements are read. Giving up with packets written but not yet
  // acknowledged breaks the connection: the board may still take them, so
  // host and board can no longer agree (*sent then counts them).
  absl::Status BulkOut(absl::Span<const uint8_t> data, const TransferLimits& limits,
                       size_t* sent) override;
  absl::StatusOr<size_t> BulkIn(absl::Span<uint8_t> buffer, const TransferLimits& limits) override;
  const std::string& path() const override { return name_; }

  const std::string& address() const { return address_; }
  // The simulator closed the connection, or a transfer broke it. Safe to call
  // from any thread, also during a transfer.
  bool Lost() const override;

 private:
  SocketTransport(int fd, std::string address, std::string name)
      : fd_(fd), address_(std::move(address)), name_(std::move(name)) {}

  absl::Status WriteAll(absl::Span<const uint8_t> bytes, const TransferLimits& limits);
  absl::Status ReadExact(absl::Span<uint8_t> bytes, const TransferLimits& limits);
  absl::Status Wait(short events, const TransferLimits& limits);
  // Marks the connection unusable (the descriptor stays open until destruction,
  // so Lost() on another thread never polls a reused descriptor).
  absl::Status Break(absl::Status why);
  absl::Status Gone(const std::string& what);

  const int fd_;
  const std::string address_;
  const std::string name_;
  std::atomic<bool> broken_{false};
};

}  // namespace tinyserve::xcore

#endif  // TINYSERVE_DEVICES_XCORE_SOCKET_TRANSPORT_H_
