#include "devices/xcore/sim/board_state_machine.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "devices/xs3/cycle_model.h"

#include "absl/status/status.h"
#include "devices/xcore/io_server_protocol.h"

namespace tinyserve::xcore::sim {
namespace {

size_t WordsFor(size_t bytes) { return (bytes + 3) / 4; }

// While the emulation of an invoke runs, NAKed packets are worth offering
// again this soon.
constexpr auto kComputePoll = std::chrono::microseconds(200);

}  // namespace

// The link model's numbers (USB 2.0 high speed, bulk):
//   - raw signalling is 480 Mbit/s; at most 13 bulk packets of 512 bytes fit
//     a 125 us microframe, a ceiling of 53.2 MB/s of payload. Real host
//     controllers sustain roughly 35-45 MB/s on bulk endpoints, so the model
//     moves payload at 40 MB/s (12.8 us per full packet);
//   - a transfer completes on a microframe boundary and its completion is
//     reported by the host controller's interrupt, so every transfer pays about
//     one microframe (125 us) on top of its payload. The model charges it on
//     the packet that ends the transfer (the short packet or ZLP).
//   - the chip runs at the xs3 cycle model's clock (kTileClockMhz: 600 MHz,
//     the explorer board's), so an invoke keeps the board busy for
//     cycles / 600 us.
BoardTiming DefaultBoardTiming() {
  BoardTiming timing;
  timing.chip_mhz = xs3::kTileClockMhz;
  timing.per_transfer = std::chrono::microseconds(125);
  timing.bytes_per_second = 40e6;
  return timing;
}

SimClock::time_point LinkTimeStart(SimClock::time_point link_free_at, SimClock::time_point now) {
  constexpr auto kOversleepForgiven = std::chrono::microseconds(100);
  if (link_free_at >= now || now - link_free_at <= kOversleepForgiven) return link_free_at;
  return now;
}

absl::StatusOr<std::unique_ptr<BoardStateMachine>> BoardStateMachine::Create(Firmware firmware,
                                                                             BoardTiming timing) {
  if (firmware.models.empty()) {
    return absl::InvalidArgumentError("board firmware has no models");
  }
  if (!(timing.chip_mhz > 0) || timing.bytes_per_second < 0) {
    return absl::InvalidArgumentError("board timing needs chip_mhz > 0 and bytes_per_second >= 0");
  }
  std::vector<LoadedModel> models;
  for (size_t i = 0; i < firmware.models.size(); ++i) {
    if (firmware.models[i] == nullptr) {
      return absl::InvalidArgumentError("board firmware model " + std::to_string(i) + " is null");
    }
    auto session = firmware.models[i]->NewSession();
    if (!session.ok()) return session.status();
    models.push_back(LoadedModel{firmware.models[i], std::move(*session)});
  }
  return std::unique_ptr<BoardStateMachine>(new BoardStateMachine(std::move(models), timing));
}

BoardStateMachine::BoardStateMachine(std::vector<LoadedModel> models, BoardTiming timing)
    : models_(std::move(models)), timing_(timing) {}

std::chrono::nanoseconds BoardStateMachine::PacketBusTime(size_t bytes) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return PacketBusTimeLocked(bytes);
}

std::chrono::nanoseconds BoardStateMachine::PacketBusTimeLocked(size_t bytes) const {
  double ns = 0;
  if (timing_.bytes_per_second > 0) ns = static_cast<double>(bytes) * 1e9 / timing_.bytes_per_second;
  if (bytes < kMaxPacketBytes) ns += static_cast<double>(timing_.per_transfer.count());
  ns *= std::max(1.0, faults_.link_slowdown);
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

BoardStateMachine::OutResult BoardStateMachine::OfferOut(SimClock::time_point now,
                                                         absl::Span<const uint8_t> packet) {
  std::lock_guard<std::mutex> lock(mutex_);
  OutResult result;
  if (faults_.hang_after_out_packets == 0) {
    faults_.hang = true;
    faults_.hang_after_out_packets = -1;
  }
  if (exited_ || faults_.hang || usb_blocked_ || !output_packets_.empty()) {
    result.retry_at = SimClock::time_point::max();
    return result;
  }
  // The USB thread takes the INVOKE trailer while the model runs; anything
  // else waits for the model's acknowledgement.
  if (phase_ != Phase::kAwaitInvokeTrailer && computing_) {
    // The cycle estimate is known once the emulation is done: look again soon.
    result.retry_at = now + kComputePoll;
    return result;
  }
  if (phase_ != Phase::kAwaitInvokeTrailer && now < busy_until_) {
    result.retry_at = busy_until_;
    return result;
  }
  result.accepted = true;
  ++out_packets_taken_;
  result.bus_time = PacketBusTimeLocked(packet.size());
  if (faults_.hang_after_out_packets > 0) --faults_.hang_after_out_packets;
  if (packet.size() > kMaxPacketBytes) return result;  // not a USB packet: lost

  switch (phase_) {
    case Phase::kIdle:
      if (packet.size() != kCommandBytes) return result;  // "bad cmd length": dropped
      if (trapped_) {
        // Forwarding the command to the dead model blocks the USB thread.
        usb_blocked_ = true;
        return result;
      }
      TakeCommand(now, packet);
      return result;
    case Phase::kReceivingInput:
      TakeInputPacket(packet);
      return result;
    case Phase::kAwaitInvokeTrailer:
      phase_ = Phase::kIdle;  // content ignored
      return result;
  }
  return result;
}

void BoardStateMachine::TakeCommand(SimClock::time_point now, absl::Span<const uint8_t> packet) {
  const uint8_t command = packet[0];
  int model_index = packet[1];
  const int tensor = packet[2];
  if (model_index >= static_cast<int>(models_.size())) model_index = 0;
  LoadedModel& model = models_[model_index];
  const Model& graph = model.executable->model();

  switch (static_cast<IoServerCommand>(command)) {
    case IoServerCommand::kRecvInput:
      if (tensor >= graph.num_inputs()) {
        trapped_ = true;  // the model reads a tensor that does not exist
        usb_blocked_ = true;
        return;
      }
      phase_ = Phase::kReceivingInput;
      input_model_ = model_index;
      input_tensor_ = tensor;
      input_bytes_ = 0;
      input_words_ = 0;
      return;
    case IoServerCommand::kInvoke:
      Invoke(now, model);
      phase_ = Phase::kAwaitInvokeTrailer;
      return;
    case IoServerCommand::kSendOutput: {
      if (tensor >= graph.num_outputs()) {
        trapped_ = true;
        usb_blocked_ = true;
        return;
      }
      for (auto& packet : OutputDataPhase(model.session->output(tensor), faults_.short_replies)) {
        output_packets_.push_back(std::move(packet));
      }
      return;
    }
    case IoServerCommand::kReset:
      return;  // no variable tensors to re-initialise
    case IoServerCommand::kExit:
      exited_ = true;
      return;
  }
  // Unknown command: the model answers NACK, which the USB thread ignores.
}

void BoardStateMachine::TakeInputPacket(absl::Span<const uint8_t> packet) {
  LoadedModel& model = models_[input_model_];
  absl::Span<uint8_t> tensor = model.session->input(input_tensor_);
  const size_t expected_words = WordsFor(tensor.size());
  if (input_bytes_ < tensor.size()) {
    const size_t n = std::min(packet.size(), tensor.size() - input_bytes_);
    if (n > 0) std::memcpy(tensor.data() + input_bytes_, packet.data(), n);
  }
  input_bytes_ += packet.size();
  input_words_ += WordsFor(packet.size());
  if (input_words_ > expected_words) {
    // The model reads its words, then finds data where it expects the end
    // token: it traps, and the USB thread blocks forwarding the rest.
    trapped_ = true;
    usb_blocked_ = true;
    phase_ = Phase::kIdle;
    return;
  }
  if (packet.size() == kMaxPacketBytes) return;  // more to come
  phase_ = Phase::kIdle;
  if (input_words_ != expected_words) trapped_ = true;  // the end token came too early
}

void BoardStateMachine::Invoke(SimClock::time_point now, LoadedModel& model) {
  ++invokes_;
  // The emulation runs on its own thread so that taking the INVOKE command
  // costs no host time: the board is busy (NAKing) until both the emulation
  // and the cycle estimate are over.
  // INVOKE is only taken while no emulation runs, so the last compute thread
  // has finished its work and joins without needing the lock.
  if (compute_thread_.joinable()) compute_thread_.join();
  computing_ = true;
  compute_thread_ = std::thread([this, now, session = model.session.get()] {
    auto stats = session->Invoke(InvokeOptions{});
    std::lock_guard<std::mutex> lock(mutex_);
    computing_ = false;
    if (!stats.ok()) {
      trapped_ = true;  // the model crashed; nothing more will come back
      usb_blocked_ = true;
      return;
    }
    double microseconds = 0;
    if (stats->cycles.has_value()) {
      microseconds = static_cast<double>(*stats->cycles) / timing_.chip_mhz;
    } else if (stats->estimated_chip_microseconds.has_value()) {
      microseconds = *stats->estimated_chip_microseconds;
    }
    busy_until_ = now + std::chrono::nanoseconds(static_cast<int64_t>(microseconds * 1000.0));
  });
}

void BoardStateMachine::JoinCompute() {
  // Called with mutex_ held; the compute thread takes it to finish.
  if (!compute_thread_.joinable()) return;
  std::thread thread = std::move(compute_thread_);
  mutex_.unlock();
  thread.join();
  mutex_.lock();
}

void BoardStateMachine::WaitForCompute() {
  std::lock_guard<std::mutex> lock(mutex_);
  JoinCompute();
}

bool BoardStateMachine::computing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return computing_;
}

BoardStateMachine::~BoardStateMachine() {
  if (compute_thread_.joinable()) compute_thread_.join();
}

std::vector<std::vector<uint8_t>> BoardStateMachine::OutputDataPhase(
    absl::Span<const uint8_t> bytes, bool cut_short) {
  std::vector<uint8_t> padded(WordsFor(bytes.size()) * 4, 0);
  std::copy(bytes.begin(), bytes.end(), padded.begin());
  const size_t send = cut_short ? (padded.size() / 2) / 4 * 4 : padded.size();
  std::vector<std::vector<uint8_t>> packets;
  size_t offset = 0;
  while (send - offset >= kMaxPacketBytes) {
    packets.emplace_back(padded.begin() + offset, padded.begin() + offset + kMaxPacketBytes);
    offset += kMaxPacketBytes;
  }
  // The terminating short packet: the remainder, a ZLP when there is none.
  packets.emplace_back(padded.begin() + offset, padded.begin() + send);
  return packets;
}

BoardStateMachine::InResult BoardStateMachine::PollIn(SimClock::time_point now) {
  (void)now;  // IN data is ready as soon as it is queued
  std::lock_guard<std::mutex> lock(mutex_);
  InResult result;
  if (exited_ || faults_.hang || output_packets_.empty()) {
    result.retry_at = SimClock::time_point::max();
    return result;
  }
  std::vector<uint8_t> packet = std::move(output_packets_.front());
  output_packets_.pop_front();
  if (faults_.garbage_replies) {
    for (uint8_t& byte : packet) {
      // SplitMix64 step; XOR with a non-zero byte so every byte changes.
      garbage_state_ += 0x9E3779B97F4A7C15ull;
      uint64_t z = garbage_state_;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      byte ^= static_cast<uint8_t>((z >> 32) | 1);
    }
  }
  result.bus_time = PacketBusTimeLocked(packet.size());
  result.packet = std::move(packet);
  return result;
}

void BoardStateMachine::Reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  JoinCompute();  // a power cycle ends the invoke; let the emulation finish first
  phase_ = Phase::kIdle;
  busy_until_ = SimClock::time_point{};
  output_packets_.clear();
  input_model_ = input_tensor_ = 0;
  input_bytes_ = input_words_ = 0;
  trapped_ = false;
  usb_blocked_ = false;
  exited_ = false;
}

BoardFaults BoardStateMachine::faults() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return faults_;
}

void BoardStateMachine::SetFaults(const BoardFaults& faults) {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_ = faults;
}

bool BoardStateMachine::trapped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return trapped_;
}

bool BoardStateMachine::exited() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return exited_;
}

int64_t BoardStateMachine::invokes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return invokes_;
}

int64_t BoardStateMachine::out_packets_taken() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return out_packets_taken_;
}

}  // namespace tinyserve::xcore::sim
