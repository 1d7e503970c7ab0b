// BoardTransport over libusb-1.0: a real xcore.ai board (or the umockdev
// testbed that stands in for one in CI). Transfers are asynchronous; the
// calling thread handles libusb events in slices of a few milliseconds, so a
// deadline or a cancellation ends a transfer (cancelled, and its cancellation
// waited for) even while the board NAKs.
#ifndef TINYSERVE_DEVICES_XCORE_USB_TRANSPORT_H_
#define TINYSERVE_DEVICES_XCORE_USB_TRANSPORT_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "devices/xcore/board_transport.h"

struct libusb_context;
struct libusb_device;
struct libusb_device_handle;

namespace tinyserve::xcore {

class UsbTransport : public BoardTransport {
 public:
  // Opens `device`, checks it is an io_server board (VID 0x20B1, PID 0xA15E,
  // product string "xAISRV"), selects configuration 1 if another is set and
  // claims interface 0 (detaching a kernel driver that holds it). `path` is
  // its bus-port path. The context must outlive the transport.
  static absl::StatusOr<std::unique_ptr<UsbTransport>> Open(libusb_context* context,
                                                            libusb_device* device,
                                                            std::string path);
  ~UsbTransport() override;  // releases the interface and closes the device

  absl::Status BulkOut(absl::Span<const uint8_t> data, const TransferLimits& limits,
                       size_t* sent) override;
  absl::StatusOr<size_t> BulkIn(absl::Span<uint8_t> buffer, const TransferLimits& limits) override;
  const std::string& path() const override { return path_; }

  // A transfer reported the board gone (LIBUSB_ERROR_NO_DEVICE).
  bool Lost() const override { return unplugged_.load(); }
  // An endpoint stalled (LIBUSB_TRANSFER_STALL); the halt is never cleared.
  bool OutOfStep() const override { return halted_.load(); }

 private:
  UsbTransport(libusb_context* context, libusb_device_handle* handle, std::string path)
      : context_(context), handle_(handle), path_(std::move(path)) {}

  // One bulk transfer on `endpoint`; `*actual` = bytes moved, also on failure.
  absl::Status Transfer(unsigned char endpoint, unsigned char* data, int length,
                        const TransferLimits& limits, int* actual);

  libusb_context* const context_;
  libusb_device_handle* const handle_;
  const std::string path_;
  std::atomic<bool> unplugged_{false};
  std::atomic<bool> halted_{false};
  bool wedged_ = false;  // a cancellation never completed: the transfer is still in flight
};

// "<bus>-<port>.<port>...", e.g. "1-2.3": how boards are told apart (they
// have no serial number).
std::string UsbPortPath(libusb_device* device);

// The product string of an opened device, or why it cannot be read.
absl::StatusOr<std::string> UsbProductString(libusb_device_handle* handle, libusb_device* device);

// "LIBUSB_ERROR_ACCESS: Access denied (insufficient permissions)"
std::string UsbErrorText(int code);

}  // namespace tinyserve::xcore

#endif  // TINYSERVE_DEVICES_XCORE_USB_TRANSPORT_H_
