#include "devices/xcore/usb_transport.h"

#include <libusb.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "devices/xcore/io_server_protocol.h"

namespace tinyserve::xcore {
namespace {

using Clock = std::chrono::steady_clock;
// How long one event-handling slice lasts: the granularity at which a
// deadline or cancellation is noticed.
constexpr auto kEventSlice = std::chrono::milliseconds(5);
// How long a cancelled transfer may take to report its cancellation before
// the transport gives up on it (the host controller should need microseconds).
constexpr auto kCancelGrace = std::chrono::seconds(2);

bool Cancelled(const TransferLimits& limits) {
  return limits.cancelled != nullptr && *limits.cancelled && (*limits.cancelled)();
}

// Runs on whichever thread handles libusb events (the inventory's event thread
// or the waiting request thread): the release store orders the transfer's
// results before the flag the waiter acquires (then frees the transfer).
void LIBUSB_CALL OnTransferDone(libusb_transfer* transfer) {
  std::atomic_ref<int>(*static_cast<int*>(transfer->user_data)).store(1, std::memory_order_release);
}

timeval ToTimeval(Clock::duration d) {
  const auto us = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  timeval tv;
  tv.tv_sec = static_cast<time_t>(us / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
  return tv;
}

}  // namespace

std::string UsbErrorText(int code) {
  return absl::StrCat(libusb_error_name(code), ": ", libusb_strerror(code));
}

std::string UsbPortPath(libusb_device* device) {
  uint8_t ports[8];
  const int n = libusb_get_port_numbers(device, ports, sizeof(ports));
  std::string path = absl::StrCat(libusb_get_bus_number(device), "-");
  if (n <= 0) return absl::StrCat(path, "0");  // a root hub
  for (int i = 0; i < n; ++i) absl::StrAppend(&path, i == 0 ? "" : ".", ports[i]);
  return path;
}

absl::StatusOr<std::string> UsbProductString(libusb_device_handle* handle, libusb_device* device) {
  libusb_device_descriptor desc;
  if (int rc = libusb_get_device_descriptor(device, &desc); rc != 0) {
    return absl::UnavailableError(absl::StrCat("device descriptor: ", UsbErrorText(rc)));
  }
  if (desc.iProduct == 0) return absl::NotFoundError("the device has no product string");
  unsigned char text[128];
  const int n = libusb_get_string_descriptor_ascii(handle, desc.iProduct, text, sizeof(text));
  if (n < 0) return absl::UnavailableError(absl::StrCat("product string: ", UsbErrorText(n)));
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
}

absl::StatusOr<std::unique_ptr<UsbTransport>> UsbTransport::Open(libusb_context* context,
                                                                 libusb_device* device,
                                                                 std::string path) {
  const std::string who = absl::StrCat("USB device at ", path);
  libusb_device_descriptor desc;
  if (int rc = libusb_get_device_descriptor(device, &desc); rc != 0) {
    return absl::UnavailableError(absl::StrCat(who, ": device descriptor: ", UsbErrorText(rc)));
  }
  if (desc.idVendor != kXmosVendorId || desc.idProduct != kIoServerProductId) {
    return absl::NotFoundError(absl::StrCat(who, " is ", absl::Hex(desc.idVendor, absl::kZeroPad4),
                                            ":", absl::Hex(desc.idProduct, absl::kZeroPad4),
                                            ", not an io_server board (20b1:a15e)"));
  }
  libusb_device_handle* handle = nullptr;
  if (int rc = libusb_open(device, &handle); rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        who, ": cannot open: ", UsbErrorText(rc),
        rc == LIBUSB_ERROR_ACCESS ? " (give this user access to 20b1:a15e, e.g. a udev rule; "
                                    "see docs/xcore.md)"
                                  : ""));
  }
  std::unique_ptr<UsbTransport> transport(new UsbTransport(context, handle, path));
  absl::StatusOr<std::string> product = UsbProductString(handle, device);
  if (!product.ok()) {
    return absl::UnavailableError(absl::StrCat(who, ": ", product.status().message()));
  }
  if (*product != kIoServerProductString) {
    return absl::NotFoundError(absl::StrCat(who, ": product '", *product,
                                            "' is not an io_server board ('xAISRV')"));
  }
  int config = 0;
  if (libusb_get_configuration(handle, &config) == 0 && config != 1) {
    if (int rc = libusb_set_configuration(handle, 1); rc != 0) {
      return absl::UnavailableError(
          absl::StrCat(who, ": cannot select configuration 1: ", UsbErrorText(rc)));
    }
  }
  if (libusb_kernel_driver_active(handle, kIoServerInterface) == 1) {
    if (int rc = libusb_detach_kernel_driver(handle, kIoServerInterface); rc != 0) {
      return absl::UnavailableError(absl::StrCat(
          who, ": a kernel driver holds interface 0 and cannot be detached: ", UsbErrorText(rc)));
    }
  }
  if (int rc = libusb_claim_interface(handle, kIoServerInterface); rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        who, ": cannot claim interface 0: ", UsbErrorText(rc),
        rc == LIBUSB_ERROR_BUSY ? " (another program is using the board)" : ""));
  }
  return transport;
}

UsbTransport::~UsbTransport() {
  // A transfer still in flight points at memory we no longer own: keep the
  // handle open rather than let libusb complete into freed memory.
  if (wedged_) return;
  libusb_release_interface(handle_, kIoServerInterface);
  libusb_close(handle_);
}

absl::Status UsbTransport::Transfer(unsigned char endpoint, unsigned char* data, int length,
                                    const TransferLimits& limits, int* actual) {
  *actual = 0;
  const std::string where = absl::StrCat("board ", path_, " endpoint 0x",
                                         absl::Hex(endpoint, absl::kZeroPad2));
  if (wedged_) {
    return absl::UnavailableError(
        absl::StrCat(where, ": an earlier transfer never finished cancelling"));
  }
  if (unplugged_.load()) return absl::UnavailableError(absl::StrCat(where, ": board unplugged"));
  if (halted_.load()) {
    return absl::UnavailableError(absl::StrCat(where, ": an endpoint stalled earlier"));
  }
  if (Cancelled(limits)) return absl::CancelledError("cancelled");
  if (Clock::now() >= limits.deadline) return absl::DeadlineExceededError("timed out");

  // The transfer's buffer and completion flag live on the heap: if a
  // cancellation never completes they are leaked with the transfer instead of
  // being written after this frame (or the caller's buffer) is gone.
  struct InFlight {
    alignas(std::atomic_ref<int>::required_alignment) int completed = 0;
    std::vector<unsigned char> buffer;
  };
  auto in_flight = std::make_unique<InFlight>();
  const bool out = (endpoint & LIBUSB_ENDPOINT_IN) == 0;
  in_flight->buffer.resize(static_cast<size_t>(length));
  if (out && length > 0) std::copy_n(data, length, in_flight->buffer.begin());

  libusb_transfer* transfer = libusb_alloc_transfer(0);
  if (transfer == nullptr) return absl::ResourceExhaustedError("libusb_alloc_transfer failed");
  // No libusb timeout: the loop below enforces the limits.
  libusb_fill_bulk_transfer(transfer, handle_, endpoint, in_flight->buffer.data(), length,
                            OnTransferDone, &in_flight->completed, 0);
  if (int rc = libusb_submit_transfer(transfer); rc != 0) {
    libusb_free_transfer(transfer);
    if (rc == LIBUSB_ERROR_NO_DEVICE) {
      unplugged_ = true;
      return absl::UnavailableError(absl::StrCat(where, ": board unplugged"));
    }
    return absl::UnavailableError(absl::StrCat(where, ": submit: ", UsbErrorText(rc)));
  }

  absl::Status give_up;  // why the transfer was cancelled, when it was
  Clock::time_point cancel_by{};
  while (std::atomic_ref<int>(in_flight->completed).load(std::memory_order_acquire) == 0) {
    const Clock::time_point now = Clock::now();
    if (give_up.ok()) {
      if (Cancelled(limits)) {
        give_up = absl::CancelledError("cancelled");
      } else if (now >= limits.deadline) {
        give_up = absl::DeadlineExceededError("timed out");
      }
      if (!give_up.ok()) {
        libusb_cancel_transfer(transfer);  // NOT_FOUND when it completed meanwhile
        cancel_by = now + kCancelGrace;
      }
    } else if (now >= cancel_by) {
      wedged_ = true;
      in_flight.release();  // leaked on purpose, with the transfer
      return absl::UnavailableError(
          absl::StrCat(where, ": a cancelled transfer did not complete; the board is wedged"));
    }
    Clock::duration slice = kEventSlice;
    if (give_up.ok()) slice = std::min<Clock::duration>(slice, limits.deadline - now);
    timeval tv = ToTimeval(slice);
    const int rc =
        libusb_handle_events_timeout_completed(context_, &tv, &in_flight->completed);
    if (rc != 0 && rc != LIBUSB_ERROR_INTERRUPTED && rc != LIBUSB_ERROR_TIMEOUT &&
        give_up.ok()) {
      give_up = absl::UnavailableError(absl::StrCat(where, ": events: ", UsbErrorText(rc)));
      libusb_cancel_transfer(transfer);
      cancel_by = Clock::now() + kCancelGrace;
    }
  }
  *actual = std::clamp(transfer->actual_length, 0, length);
  const libusb_transfer_status status = transfer->status;
  libusb_free_transfer(transfer);
  if (!out && *actual > 0) std::copy_n(in_flight->buffer.begin(), *actual, data);

  switch (status) {
    case LIBUSB_TRANSFER_COMPLETED:
      // Completed before the cancellation took: the data moved, so it counts.
      if (out && *actual != length) {
        return absl::UnavailableError(absl::StrCat(where, ": the board took ", *actual, " of ",
                                                   length, " bytes"));
      }
      return absl::OkStatus();
    case LIBUSB_TRANSFER_CANCELLED:
      return give_up.ok() ? absl::UnavailableError(absl::StrCat(where, ": transfer cancelled"))
                          : give_up;
    case LIBUSB_TRANSFER_TIMED_OUT:
      return absl::DeadlineExceededError("timed out");
    case LIBUSB_TRANSFER_STALL:
      // Clearing the halt is the firmware's business only in XMOS's older
      // protocol; io_server never stalls on purpose, so this board is lost.
      halted_ = true;
      return absl::UnavailableError(absl::StrCat(
          where, ": endpoint stalled (the board is out of step; replug or power-cycle it)"));
    case LIBUSB_TRANSFER_NO_DEVICE:
      unplugged_ = true;
      return absl::UnavailableError(absl::StrCat(where, ": board unplugged"));
    case LIBUSB_TRANSFER_OVERFLOW:
      return absl::UnavailableError(absl::StrCat(where, ": the board sent more than the ", length,
                                                 "-byte buffer holds"));
    case LIBUSB_TRANSFER_ERROR:
    default:
      return absl::UnavailableError(absl::StrCat(where, ": transfer failed"));
  }
}

absl::Status UsbTransport::BulkOut(absl::Span<const uint8_t> data, const TransferLimits& limits,
                                   size_t* sent) {
  int actual = 0;
  // libusb takes a non-const buffer for both directions; it only reads OUT data.
  const absl::Status s = Transfer(kBulkOutEndpoint, const_cast<uint8_t*>(data.data()),
                                  static_cast<int>(data.size()), limits, &actual);
  if (sent != nullptr) *sent = static_cast<size_t>(actual);
  return s;
}

absl::StatusOr<size_t> UsbTransport::BulkIn(absl::Span<uint8_t> buffer,
                                            const TransferLimits& limits) {
  int actual = 0;
  const absl::Status s =
      Transfer(kBulkInEndpoint, buffer.data(), static_cast<int>(buffer.size()), limits, &actual);
  if (!s.ok()) return s;
  return static_cast<size_t>(actual);
}

}  // namespace tinyserve::xcore
