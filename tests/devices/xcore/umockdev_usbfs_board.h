// One simulated board behind a umockdev device node: serves the usbfs ioctls
// libusb 1.0.26's Linux backend issues (linux_usbfs.c) from a
// BoardStateMachine, so libusb runs unmodified against it.
//
//   - control requests (GET_DESCRIPTOR device/config/string, GET_CONFIGURATION,
//     GET_STATUS) are answered at once, as ioctl or as control URB;
//   - bulk URBs are queued per endpoint and fed to the board packet by packet
//     on a pump thread: OUT splits the buffer into 512-byte packets (a ZLP
//     only for an empty URB, or USBDEVFS_URB_ZERO_PACKET), IN completes at a
//     short packet or a full buffer; a NAK leaves the URB pending until the
//     board's retry time; every packet costs its link-model bus time;
//   - DISCARDURB completes a pending URB with -ENOENT (what it moved so far);
//   - Unplug(): pending URBs complete with -ESHUTDOWN and every later ioctl
//     fails with ENODEV (completed URBs can still be reaped, as with
//     USBDEVFS_CAP_REAP_AFTER_DISCONNECT).
// Readiness: libusb polls the node for POLLOUT, which the kernel raises only
// while a URB waits to be reaped. The node is made a FIFO whose pipe this
// object keeps full (no POLLOUT) or empty (POLLOUT), so libusb sleeps in
// poll() exactly as on a real device instead of spinning.
#ifndef TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_USBFS_BOARD_H_
#define TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_USBFS_BOARD_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "devices/xcore/sim/board_state_machine.h"

typedef struct _UMockdevIoctlBase UMockdevIoctlBase;
typedef struct _UMockdevIoctlClient UMockdevIoctlClient;

namespace tinyserve::xcore::testing {

class UsbfsBoard {
 public:
  // `node_path`: the device node file in the testbed (replaced by a FIFO).
  static absl::StatusOr<std::unique_ptr<UsbfsBoard>> Create(
      std::shared_ptr<sim::BoardStateMachine> board, int devnum, const std::string& node_path);
  ~UsbfsBoard();
  UsbfsBoard(const UsbfsBoard&) = delete;
  UsbfsBoard& operator=(const UsbfsBoard&) = delete;

  // The umockdev ioctl handler to attach to the node (owned by this object).
  UMockdevIoctlBase* handler() const { return handler_; }

  // The cable is pulled: see the file comment.
  void Unplug();

  // URBs submitted so far (a counter for tests).
  int64_t urbs_submitted() const;

 private:
  struct Urb;
  struct ClientState;

  UsbfsBoard(std::shared_ptr<sim::BoardStateMachine> board, int devnum, int fifo_fd);
  static int OnIoctl(UMockdevIoctlBase* handler, UMockdevIoctlClient* client, void* self);
  bool HandleIoctl(UMockdevIoctlClient* client);
  void SubmitUrb(UMockdevIoctlClient* client);
  void ReapUrb(UMockdevIoctlClient* client);
  void DiscardUrb(UMockdevIoctlClient* client);
  // A control request; fills `data` (IN) and returns its length, or -EPIPE (stall).
  int ControlRequest(const uint8_t setup[8], uint8_t* data, size_t capacity);
  void Pump();
  // One packet of the URB at the head of a queue; the board is called with
  // `lock` released (an invoke computes inside it). False on a NAK.
  bool StepOut(Urb& urb, sim::SimClock::time_point now, sim::SimClock::time_point& wake,
               std::unique_lock<std::mutex>& lock);
  bool StepIn(Urb& urb, sim::SimClock::time_point now, sim::SimClock::time_point& wake,
              std::unique_lock<std::mutex>& lock);
  void FinishLocked(std::unique_ptr<Urb> urb, int status);
  void UpdateReadinessLocked();

  const std::shared_ptr<sim::BoardStateMachine> board_;
  const int devnum_;
  const int fifo_fd_;
  UMockdevIoctlBase* handler_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable wake_pump_;
  bool stopping_ = false;
  bool unplugged_ = false;
  UMockdevIoctlClient* claimed_by_ = nullptr;  // interface 0
  std::deque<std::unique_ptr<Urb>> out_queue_;  // bulk OUT 0x01, in order
  std::deque<std::unique_ptr<Urb>> in_queue_;   // bulk IN 0x81, in order
  std::deque<std::unique_ptr<Urb>> done_;       // waiting to be reaped
  bool fifo_ready_ = true;
  Urb* in_flight_ = nullptr;  // offered to the board right now (lock released)
  sim::SimClock::time_point link_free_at_{};
  int64_t urbs_submitted_ = 0;
  std::thread pump_;
};

}  // namespace tinyserve::xcore::testing

#endif  // TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_USBFS_BOARD_H_
