// A simulated xcore.ai board running XMOS's io_server firmware, at the level
// of USB packets on its two bulk endpoints. The same object serves
// tinyserve-xcore-sim (over a socket, sim_server.h) and the umockdev testbed
// (usbfs ioctls, tests/devices/xcore/), so both speak exactly the same bytes.
//
// Faithful to the firmware (lib_tflite_micro ioserver.c and the generated
// model loop; docs/xcore.md):
//   - the first packet of an exchange must be a 3-byte command, anything else
//     is dropped silently; unknown commands are ignored; a model index past the
//     last model means model 0;
//   - RECV_INPUT takes packets until a short one (ZLP included) and forwards
//     them to the model as 32-bit words (ceil(bytes / 4) per packet). A word
//     count other than ceil(tensor bytes / 4) TRAPS the model: too many words
//     block the USB thread at once (every later OUT is NAKed); too few let the
//     data phase end, and the next command is taken and then blocks. Either
//     way the board never answers again until it is power-cycled (Reset()).
//     (The host checks the exact byte size: io_server_protocol.h.)
//   - INVOKE starts the model at once; the USB thread then takes one more
//     packet (the ZLP the host sends; its content is ignored) and waits for
//     the model: every later OUT packet is NAKed for the xs3 cycle estimate
//     (or as long as the emulation takes, when that is longer);
//   - RESET reaches the model at once (our models have no variable tensors, so
//     it changes nothing); its trailing ZLP then arrives as a non-command and
//     is dropped;
//   - SEND_OUTPUT queues the output padded to 32-bit words as 512-byte packets
//     plus the terminating short packet / ZLP; until the host has read them
//     all the USB thread is busy sending and NAKs every OUT packet;
//   - a tensor index past the model's inputs/outputs traps the model;
//   - EXIT resets the chip (the board leaves the bus): the state machine stops
//     answering (exited()); the simulator closes its connection (an unplug);
//     in the umockdev testbed the board just goes silent (tinyserve never
//     sends EXIT).
// Time is passed in, never read, so tests can drive it; the callers (sim
// server, umockdev handler) sleep until the times it reports. Thread-safe:
// every member takes one mutex.
#ifndef TINYSERVE_DEVICES_XCORE_SIM_BOARD_STATE_MACHINE_H_
#define TINYSERVE_DEVICES_XCORE_SIM_BOARD_STATE_MACHINE_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "devices/device.h"

namespace tinyserve::xcore::sim {

using SimClock = std::chrono::steady_clock;

// Faults to inject; tests change them while the board runs (SetFaults).
struct BoardFaults {
  // Stop answering (NAK every OUT, send no IN) from the next packet on.
  bool hang = false;
  // Hang once this many more OUT packets have been taken (-1: never; 0: now).
  int64_t hang_after_out_packets = -1;
  // Replace the bytes of every IN packet with garbage (same lengths).
  bool garbage_replies = false;
  // End every output data phase early: only the first half of the padded
  // output is sent (rounded down to whole words), ended by a short packet.
  bool short_replies = false;
  // Multiply every link delay (bus_time) by this (>= 1: a slow link).
  double link_slowdown = 1.0;
};

// USB 2.0 high-speed bulk timing and the chip clock. Defaults and their
// reasoning: DefaultBoardTiming() in board_state_machine.cc.
struct BoardTiming {
  double chip_mhz = 600.0;                   // xs3 cycle estimates -> time (kTileClockMhz)
  std::chrono::nanoseconds per_transfer{0};  // host controller + turnaround, per transfer
  double bytes_per_second = 0;               // sustained bulk payload rate
};
BoardTiming DefaultBoardTiming();

// The link model's clock, for the callers that sleep it off: when a packet
// offered at `now` starts on the bus, given when the bus frees up from the
// packets before it. A bus that freed up at most 100 us ago counts as busy
// until then: a sleep that overshot does not add to the next packet.
SimClock::time_point LinkTimeStart(SimClock::time_point link_free_at, SimClock::time_point now);

// The firmware: models compiled in, selected by index. Each runs on xs3.
struct Firmware {
  std::vector<std::shared_ptr<const Executable>> models;
};

class BoardStateMachine {
 public:
  // One session per firmware model, created here. INVALID_ARGUMENT without
  // models; a session that cannot be created fails with its status.
  static absl::StatusOr<std::unique_ptr<BoardStateMachine>> Create(Firmware firmware,
                                                                   BoardTiming timing);

  struct OutResult {
    bool accepted = false;
    // When not accepted (NAK): the earliest time worth offering it again;
    // SimClock::time_point::max() when the board will not take it by itself
    // (trapped, hung, exited, waiting for the host to read its output).
    SimClock::time_point retry_at;
    // When accepted: the time the packet took on the bus (link model).
    std::chrono::nanoseconds bus_time{0};
  };
  // The host offers one OUT packet (at most 512 bytes; empty = ZLP). Larger
  // packets cannot exist on the bus: they are taken and dropped.
  OutResult OfferOut(SimClock::time_point now, absl::Span<const uint8_t> packet);

  struct InResult {
    std::optional<std::vector<uint8_t>> packet;  // nullopt: NAK (nothing to send now)
    SimClock::time_point retry_at;               // when nullopt: as OutResult
    std::chrono::nanoseconds bus_time{0};
  };
  // The host polls IN once: the next packet of the board's pending data. With
  // nothing pending the answer only changes after an OUT packet is taken.
  InResult PollIn(SimClock::time_point now);

  // Power cycle: idle, nothing pending, trap and exit cleared; faults kept.
  void Reset();
  ~BoardStateMachine();

  // The xs3 emulation of the last INVOKE still runs (it runs on its own
  // thread; until it is done the board NAKs, retry_at a moment later, since
  // its cycle estimate is not known yet). WaitForCompute() blocks until done.
  bool computing() const;
  void WaitForCompute();

  BoardFaults faults() const;
  void SetFaults(const BoardFaults& faults);

  bool trapped() const;  // the model thread trapped (wrong input size, bad tensor index)
  bool exited() const;   // EXIT reset the chip: off the bus until Reset()
  int64_t invokes() const;
  // OUT packets the board has taken since it was created (ZLPs included): a
  // test can check that a host sent nothing.
  int64_t out_packets_taken() const;
  int num_models() const { return static_cast<int>(models_.size()); }
  const BoardTiming& timing() const { return timing_; }

  // The packets SEND_OUTPUT sends for a tensor of these bytes: padded with
  // zeros to whole 32-bit words, 512-byte packets, then the short packet (a
  // ZLP when the padded size is a multiple of 512). `cut_short`: the
  // short_replies fault (only the first half, in whole words).
  static std::vector<std::vector<uint8_t>> OutputDataPhase(absl::Span<const uint8_t> bytes,
                                                           bool cut_short);

  // The link model: time one packet of `bytes` takes on the bus at the
  // current slowdown (a short packet also pays the per-transfer cost).
  std::chrono::nanoseconds PacketBusTime(size_t bytes) const;

 private:
  struct LoadedModel {
    std::shared_ptr<const Executable> executable;
    std::unique_ptr<Session> session;
  };
  enum class Phase {
    kIdle,               // waiting for a command
    kReceivingInput,     // RECV_INPUT data phase
    kAwaitInvokeTrailer  // INVOKE taken; the USB thread takes one more packet
  };

  BoardStateMachine(std::vector<LoadedModel> models, BoardTiming timing);
  std::chrono::nanoseconds PacketBusTimeLocked(size_t bytes) const;
  void TakeCommand(SimClock::time_point now, absl::Span<const uint8_t> packet);
  void TakeInputPacket(absl::Span<const uint8_t> packet);
  void Invoke(SimClock::time_point now, LoadedModel& model);
  void JoinCompute();  // with mutex_ held (released while joining)

  mutable std::mutex mutex_;
  std::vector<LoadedModel> models_;
  const BoardTiming timing_;
  BoardFaults faults_;

  Phase phase_ = Phase::kIdle;
  SimClock::time_point busy_until_{};  // the model is invoking until then
  std::deque<std::vector<uint8_t>> output_packets_;  // SEND_OUTPUT not yet read
  // RECV_INPUT in progress.
  int input_model_ = 0;
  int input_tensor_ = 0;
  size_t input_bytes_ = 0;
  size_t input_words_ = 0;

  bool trapped_ = false;      // the model thread is dead
  bool usb_blocked_ = false;  // the USB thread waits on the dead model: NAK forever
  bool exited_ = false;
  int64_t invokes_ = 0;
  int64_t out_packets_taken_ = 0;
  bool computing_ = false;     // the emulation of an INVOKE runs on compute_thread_
  std::thread compute_thread_;
  uint64_t garbage_state_ = 0x9E3779B97F4A7C15ull;
};

}  // namespace tinyserve::xcore::sim

#endif  // TINYSERVE_DEVICES_XCORE_SIM_BOARD_STATE_MACHINE_H_
