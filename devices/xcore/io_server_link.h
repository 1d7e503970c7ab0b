// One inference on an io_server board, as the exchange of bulk transfers XMOS's
// host code performs, written once against a BoardTransport:
//
//   for each input i:   [RECV_INPUT, m, i]  then its bytes (+ ZLP when len % 512 == 0)
//                       [INVOKE, m, 0]      then a ZLP       (the board now NAKs OUT)
//   for each output o:  [SEND_OUTPUT, m, o] (taken once the invoke is done)
//                       then IN until a short packet; trimmed to the tensor size
//
// The board never reports errors, so the link reports what it can tell: which
// transfer failed, and whether the board is still in step with the host (it
// waits for a command) or may be mid-exchange (then only a replug or power
// cycle brings it back). EXIT is never sent and no halt is ever cleared.
#ifndef TINYSERVE_DEVICES_XCORE_IO_SERVER_LINK_H_
#define TINYSERVE_DEVICES_XCORE_IO_SERVER_LINK_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "devices/device.h"
#include "devices/xcore/board_transport.h"

namespace tinyserve::xcore {

// Per-transfer limits, as XMOS's host uses them (docs/xcore.md); each is also
// cut short by the request's deadline.
struct LinkTimeouts {
  std::chrono::milliseconds command{5000};  // a command write; covers the invoke before SEND_OUTPUT
  std::chrono::milliseconds data{1000};     // input bytes and ZLPs
  std::chrono::milliseconds read{10000};    // an output read
};

// What the firmware's model `model_index` takes and gives, in bytes per tensor.
struct IoServerModel {
  int model_index = 0;
  std::vector<size_t> input_bytes;
  std::vector<size_t> output_bytes;
};

struct ExchangeLimits {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::function<bool()>* cancelled = nullptr;  // may be null or empty
  LinkTimeouts timeouts;
};

struct ExchangeResult {
  // OK, or: INVALID_ARGUMENT (refused before anything was sent), DEADLINE_EXCEEDED
  // / CANCELLED (the request's limits), UNAVAILABLE (the board or the link
  // failed: a per-transfer timeout, unplug, stall, a wrong reply).
  absl::Status status;
  // False when the board may be mid-exchange: it took part of a transfer, or
  // failed anywhere but at a command it never saw. Such a board must not be
  // used again until it is reset (replugged / power cycled).
  bool in_step = true;
  LinkStats link;  // what moved, also for a failed exchange
};

// Runs one inference. `inputs[i]` must be exactly `model.input_bytes[i]` bytes
// (checked before anything is sent); `outputs[o]` receives output o and must
// be `model.output_bytes[o]` bytes long.
ExchangeResult RunIoServerExchange(BoardTransport& transport, const IoServerModel& model,
                                   absl::Span<const absl::Span<const uint8_t>> inputs,
                                   absl::Span<const absl::Span<uint8_t>> outputs,
                                   const ExchangeLimits& limits);

}  // namespace tinyserve::xcore

#endif  // TINYSERVE_DEVICES_XCORE_IO_SERVER_LINK_H_
