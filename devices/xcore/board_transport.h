// A byte pipe to one io_server board: bulk OUT 0x01 and bulk IN 0x81. Two
// implementations: libusb (usb_transport.h, real boards and the umockdev
// testbed) and a socket to tinyserve-xcore-sim (socket_transport.h). The
// io_server exchange (io_server_link.h) is written once against this.
#ifndef TINYSERVE_DEVICES_XCORE_BOARD_TRANSPORT_H_
#define TINYSERVE_DEVICES_XCORE_BOARD_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tinyserve::xcore {

// When a transfer must give up: at `deadline` (DEADLINE_EXCEEDED), or when
// `cancelled` says so (CANCELLED; polled at least every few milliseconds).
struct TransferLimits {
  std::chrono::steady_clock::time_point deadline;
  const std::function<bool()>* cancelled = nullptr;  // may be null or empty
};

class BoardTransport {
 public:
  virtual ~BoardTransport() = default;

  // One bulk OUT transfer of `data`, split into 512-byte packets on the wire.
  // No zero-length packet is added: a ZLP is its own call with empty `data`.
  // Returns once the board has taken every byte. On failure `*sent` (when not
  // null) says how many bytes the board took before it: 0 means the board
  // never saw the transfer and is still in step.
  // Errors: DEADLINE_EXCEEDED / CANCELLED per `limits`; UNAVAILABLE when the
  // board is gone (unplugged, connection lost) or the link failed.
  virtual absl::Status BulkOut(absl::Span<const uint8_t> data, const TransferLimits& limits,
                               size_t* sent) = 0;

  // One bulk IN transfer into `buffer` (a multiple of 512 bytes): complete at
  // the first short packet (a ZLP included) or when the buffer is full.
  // Returns the bytes received. Same errors as BulkOut.
  virtual absl::StatusOr<size_t> BulkIn(absl::Span<uint8_t> buffer,
                                        const TransferLimits& limits) = 0;

  // Where the board is: a USB bus-port path ("1-2.3") or a simulator's name.
  virtual const std::string& path() const = 0;

  // The board is known to be gone (unplugged, connection closed): every
  // further transfer fails. Safe to call from any thread.
  virtual bool Lost() const { return false; }

  // The board can no longer follow the protocol though it is still there
  // (a stalled endpoint: tinyserve never clears halts). Only a replug or
  // power cycle helps.
  virtual bool OutOfStep() const { return false; }
};

}  // namespace tinyserve::xcore

#endif  // TINYSERVE_DEVICES_XCORE_BOARD_TRANSPORT_H_
