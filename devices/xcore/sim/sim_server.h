// Serves one simulated board (BoardStateMachine) over a listening stream
// socket, in the framing of sim_wire_format.h: what tinyserve-xcore-sim runs
// and what the socket transport (devices/xcore/socket_transport.h) talks to.
//
//   - one host connection at a time; a new connection is the board being
//     replugged: it replaces the old one (closed) and power-cycles the board;
//   - OUT packets are acknowledged once the board takes them (a NAK holds the
//     acknowledgement back until the board's retry time); IN requests are
//     answered packet by packet as the board produces them;
//   - every accepted packet costs its link-model bus time: the answers are
//     delayed so the link runs at the modelled rate (within a transfer the
//     delay is accumulated and slept off in slices of at least 200 us, so
//     sleep granularity does not inflate it; a transfer's last packet is
//     answered once all of it is slept off);
//   - a board that executed EXIT leaves the bus: its connection is closed.
// Protocol errors from the host (unknown endpoint, a frame too long) close the
// connection with a line on stderr.
#ifndef TINYSERVE_DEVICES_XCORE_SIM_SIM_SERVER_H_
#define TINYSERVE_DEVICES_XCORE_SIM_SIM_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "devices/xcore/sim/board_state_machine.h"

namespace tinyserve::xcore::sim {

class SimServer {
 public:
  // Listens on `address`: "HOST:PORT" (IPv4 literal or "localhost"; port 0
  // picks a free port) or a unix socket path (anything with a '/', optionally
  // prefixed "unix:"; a stale socket file there is replaced). Serves on its own
  // thread until Stop() or destruction. INVALID_ARGUMENT for an address it
  // cannot parse, UNAVAILABLE when it cannot listen there.
  static absl::StatusOr<std::unique_ptr<SimServer>> Start(const std::string& address,
                                                          std::shared_ptr<BoardStateMachine> board);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Where it listens, in the form Start accepts: "127.0.0.1:40123" (the real
  // port) or the socket path.
  const std::string& address() const { return address_; }
  BoardStateMachine& board() { return *board_; }

  // Fault: close the host's connection once `frames` more frames have come
  // from it (0: at the next frame; -1: never). One-shot.
  void DisconnectAfterFrames(int64_t frames) { disconnect_after_frames_.store(frames); }

  // Host connections accepted so far.
  int64_t connections() const { return connections_.load(); }

  // Stops serving and closes every socket; idempotent.
  void Stop();

 private:
  SimServer(int listen_fd, int wake_fd, std::string address, std::string unix_path,
            std::shared_ptr<BoardStateMachine> board);
  void Serve();
  class Connection;

  const int listen_fd_;
  const int wake_fd_;  // eventfd: Stop() wakes the serving thread
  const std::string address_;
  const std::string unix_path_;  // removed on Stop(); empty for TCP
  std::shared_ptr<BoardStateMachine> board_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> disconnect_after_frames_{-1};
  std::atomic<int64_t> connections_{0};
  std::thread thread_;
};

}  // namespace tinyserve::xcore::sim

#endif  // TINYSERVE_DEVICES_XCORE_SIM_SIM_SERVER_H_
