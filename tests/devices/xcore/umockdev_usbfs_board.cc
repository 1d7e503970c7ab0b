#include "tests/devices/xcore/umockdev_usbfs_board.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
// After sys/ioctl.h: it uses the _IO* macros.
#include <linux/usbdevice_fs.h>
#include <sys/stat.h>
#include <umockdev.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "devices/xcore/io_server_protocol.h"
#include "devices/xcore/sim/board_descriptors.h"

namespace tinyserve::xcore::testing {
namespace {

constexpr uint32_t kCapabilities = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                                   USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
                                   USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
constexpr int kUsbSpeedHigh = 3;  // enum usb_device_speed: USB_SPEED_HIGH
// While the board will not answer by itself, look again this often (faults
// and resets come from the test thread).
constexpr auto kIdleRecheck = std::chrono::milliseconds(5);
// Link-model delays below this are carried forward instead of slept.
constexpr auto kMinSleep = std::chrono::microseconds(200);

// Resolves a pointer-sized ioctl argument to `len` bytes of client memory.
UMockdevIoctlData* ResolveArg(UMockdevIoctlClient* client, size_t len) {
  GError* error = nullptr;
  UMockdevIoctlData* data =
      umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, len, &error);
  if (error != nullptr) g_error_free(error);
  return data;
}

unsigned long ArgValue(UMockdevIoctlClient* client) {
  unsigned long value = 0;
  UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
  std::memcpy(&value, arg->data, std::min(sizeof(value), static_cast<size_t>(arg->data_len)));
  return value;
}

void Fail(UMockdevIoctlClient* client, int error) { umockdev_ioctl_client_complete(client, -1, error); }

}  // namespace

struct UsbfsBoard::Urb {
  UMockdevIoctlClient* client = nullptr;  // referenced
  UMockdevIoctlData* urb_data = nullptr;  // referenced; the struct usbdevfs_urb
  UMockdevIoctlData* buffer_data = nullptr;  // referenced; may be null (no buffer)
  usbdevfs_urb* urb() const { return reinterpret_cast<usbdevfs_urb*>(urb_data->data); }
  uint8_t* buffer() const { return buffer_data ? buffer_data->data : nullptr; }
  size_t length = 0;
  size_t done = 0;             // bytes moved
  bool zlp_sent = false;       // OUT: the trailing ZLP (empty URB or ZERO_PACKET)
  bool finishing = false;      // all packets moved; completes when the link is free
  int finish_status = 0;
  bool discard = false;        // DISCARDURB came while the pump was offering it

  ~Urb() {
    if (buffer_data) g_object_unref(buffer_data);
    if (urb_data) g_object_unref(urb_data);
    if (client) g_object_unref(client);
  }
};

absl::StatusOr<std::unique_ptr<UsbfsBoard>> UsbfsBoard::Create(
    std::shared_ptr<sim::BoardStateMachine> board, int devnum, const std::string& node_path) {
  // The node is a FIFO whose fullness we control (umockdev_testbed_add_devicev
  // makes no node itself; a plain file there would always poll ready).
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(node_path).parent_path(), ignored);
  ::unlink(node_path.c_str());
  if (::mkfifo(node_path.c_str(), 0666) != 0) {
    return absl::InternalError(absl::StrCat("mkfifo ", node_path, ": ", std::strerror(errno)));
  }
  const int fd = ::open(node_path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("open ", node_path, ": ", std::strerror(errno)));
  }
  ::fcntl(fd, F_SETPIPE_SZ, 4096);  // smallest pipe: quick to fill (best effort)
  std::unique_ptr<UsbfsBoard> usbfs(new UsbfsBoard(std::move(board), devnum, fd));
  {
    std::lock_guard<std::mutex> lock(usbfs->mutex_);
    usbfs->UpdateReadinessLocked();
  }
  return usbfs;
}

UsbfsBoard::UsbfsBoard(std::shared_ptr<sim::BoardStateMachine> board, int devnum, int fifo_fd)
    : board_(std::move(board)), devnum_(devnum), fifo_fd_(fifo_fd) {
  handler_ = umockdev_ioctl_base_new();
  g_signal_connect(handler_, "handle-ioctl", G_CALLBACK(&UsbfsBoard::OnIoctl), this);
  pump_ = std::thread([this] { Pump(); });
}

UsbfsBoard::~UsbfsBoard() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_pump_.notify_all();
  pump_.join();
  g_signal_handlers_disconnect_by_data(handler_, this);
  g_object_unref(handler_);
  ::close(fifo_fd_);
}

void UsbfsBoard::Unplug() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unplugged_ = true;
    for (auto* queue : {&out_queue_, &in_queue_}) {
      // The URB the pump is offering right now is failed by the pump.
      std::deque<std::unique_ptr<Urb>> keep;
      while (!queue->empty()) {
        std::unique_ptr<Urb> urb = std::move(queue->front());
        queue->pop_front();
        if (urb.get() == in_flight_) {
          keep.push_back(std::move(urb));
        } else {
          FinishLocked(std::move(urb), -ESHUTDOWN);
        }
      }
      *queue = std::move(keep);
    }
    UpdateReadinessLocked();
  }
  wake_pump_.notify_all();
}

int64_t UsbfsBoard::urbs_submitted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return urbs_submitted_;
}

int UsbfsBoard::OnIoctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, void* self) {
  return static_cast<UsbfsBoard*>(self)->HandleIoctl(client) ? TRUE : FALSE;
}

bool UsbfsBoard::HandleIoctl(UMockdevIoctlClient* client) {
  const unsigned long request = umockdev_ioctl_client_get_request(client);
  if (request == USBDEVFS_REAPURBNDELAY || request == USBDEVFS_REAPURB) {
    ReapUrb(client);  // also after an unplug: completed URBs stay reapable
    return true;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (unplugged_) {
      Fail(client, ENODEV);
      return true;
    }
  }
  switch (request) {
    case USBDEVFS_SUBMITURB:
      SubmitUrb(client);
      return true;
    case USBDEVFS_DISCARDURB:
      DiscardUrb(client);
      return true;
    case USBDEVFS_GET_CAPABILITIES: {
      UMockdevIoctlData* caps = ResolveArg(client, sizeof(uint32_t));
      if (caps == nullptr) {
        Fail(client, EFAULT);
        return true;
      }
      std::memcpy(caps->data, &kCapabilities, sizeof(kCapabilities));
      g_object_unref(caps);
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_GET_SPEED:
      umockdev_ioctl_client_complete(client, kUsbSpeedHigh, 0);
      return true;
    case USBDEVFS_CONNECTINFO: {
      UMockdevIoctlData* info = ResolveArg(client, sizeof(usbdevfs_connectinfo));
      if (info == nullptr) {
        Fail(client, EFAULT);
        return true;
      }
      usbdevfs_connectinfo ci{};
      ci.devnum = static_cast<unsigned int>(devnum_);
      ci.slow = 0;
      std::memcpy(info->data, &ci, sizeof(ci));
      g_object_unref(info);
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE:
    case USBDEVFS_DISCONNECT_CLAIM: {
      UMockdevIoctlData* arg = ResolveArg(client, sizeof(unsigned int));
      if (arg == nullptr) {
        Fail(client, EFAULT);
        return true;
      }
      unsigned int interface = 0;
      std::memcpy(&interface, arg->data, sizeof(interface));
      g_object_unref(arg);
      if (interface != static_cast<unsigned int>(kIoServerInterface)) {
        Fail(client, request == USBDEVFS_RELEASEINTERFACE ? EINVAL : ENOENT);
        return true;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (claimed_by_ != nullptr && !umockdev_ioctl_client_get_connected(claimed_by_)) {
        claimed_by_ = nullptr;  // its process went away
      }
      if (request == USBDEVFS_RELEASEINTERFACE) {
        if (claimed_by_ != client) {
          Fail(client, EINVAL);
          return true;
        }
        claimed_by_ = nullptr;
      } else {
        if (claimed_by_ != nullptr && claimed_by_ != client) {
          Fail(client, EBUSY);
          return true;
        }
        claimed_by_ = client;
      }
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_SETINTERFACE: {
      UMockdevIoctlData* arg = ResolveArg(client, sizeof(usbdevfs_setinterface));
      if (arg == nullptr) {
        Fail(client, EFAULT);
        return true;
      }
      usbdevfs_setinterface set{};
      std::memcpy(&set, arg->data, sizeof(set));
      g_object_unref(arg);
      if (set.interface != 0 || set.altsetting != 0) {
        Fail(client, EINVAL);
        return true;
      }
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_SETCONFIGURATION: {
      UMockdevIoctlData* arg = ResolveArg(client, sizeof(int));
      if (arg == nullptr) {
        Fail(client, EFAULT);
        return true;
      }
      int value = 0;
      std::memcpy(&value, arg->data, sizeof(value));
      g_object_unref(arg);
      if (value != sim::kConfigurationValue && value != 0 && value != -1) {
        Fail(client, EINVAL);
        return true;
      }
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_GETDRIVER:
      Fail(client, ENODATA);  // no kernel driver bound to the vendor interface
      return true;
    case USBDEVFS_CLEAR_HALT: {
      UMockdevIoctlData* arg = ResolveArg(client, sizeof(unsigned int));
      if (arg == nullptr) {
        Fail(client, EFAULT);
        return true;
      }
      unsigned int endpoint = 0;
      std::memcpy(&endpoint, arg->data, sizeof(endpoint));
      g_object_unref(arg);
      if ((endpoint & 0x7F) == 0) {
        // The firmware's EP0 handler never completes this: the board hangs.
        sim::BoardFaults faults = board_->faults();
        faults.hang = true;
        board_->SetFaults(faults);
        Fail(client, ETIMEDOUT);
        return true;
      }
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_RESET:
      // A USB port reset re-enumerates the device but does not reset the chip.
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    case USBDEVFS_CONTROL: {
      UMockdevIoctlData* arg = ResolveArg(client, sizeof(usbdevfs_ctrltransfer));
      if (arg == nullptr) {
        Fail(client, EFAULT);
        return true;
      }
      usbdevfs_ctrltransfer ctrl{};
      std::memcpy(&ctrl, arg->data, sizeof(ctrl));
      uint8_t setup[8] = {ctrl.bRequestType, ctrl.bRequest,
                          static_cast<uint8_t>(ctrl.wValue), static_cast<uint8_t>(ctrl.wValue >> 8),
                          static_cast<uint8_t>(ctrl.wIndex), static_cast<uint8_t>(ctrl.wIndex >> 8),
                          static_cast<uint8_t>(ctrl.wLength), static_cast<uint8_t>(ctrl.wLength >> 8)};
      GError* error = nullptr;
      UMockdevIoctlData* data = nullptr;
      if (ctrl.wLength > 0) {
        data = umockdev_ioctl_data_resolve(arg, offsetof(usbdevfs_ctrltransfer, data), ctrl.wLength,
                                           &error);
        if (error != nullptr) g_error_free(error);
      }
      std::vector<uint8_t> scratch(ctrl.wLength);
      const int n = ControlRequest(setup, data ? data->data : scratch.data(), ctrl.wLength);
      if (data) g_object_unref(data);
      g_object_unref(arg);
      if (n < 0) {
        Fail(client, -n);
      } else {
        umockdev_ioctl_client_complete(client, n, 0);
      }
      return true;
    }
    default:
      Fail(client, ENOTTY);
      return true;
  }
}

int UsbfsBoard::ControlRequest(const uint8_t setup[8], uint8_t* data, size_t capacity) {
  const uint8_t request_type = setup[0];
  const uint8_t request = setup[1];
  const uint16_t value = static_cast<uint16_t>(setup[2] | (setup[3] << 8));
  const uint16_t index = static_cast<uint16_t>(setup[4] | (setup[5] << 8));
  const size_t length = std::min<size_t>(static_cast<size_t>(setup[6] | (setup[7] << 8)), capacity);
  std::vector<uint8_t> answer;
  if (request_type == 0x80 && request == 0x06) {  // GET_DESCRIPTOR (device)
    const uint8_t type = static_cast<uint8_t>(value >> 8);
    const uint8_t descriptor_index = static_cast<uint8_t>(value & 0xFF);
    if (type == 0x01) {
      answer = sim::DeviceDescriptor();
    } else if (type == 0x02 && descriptor_index == 0) {
      answer = sim::ConfigurationDescriptor();
    } else if (type == 0x03) {
      auto text = sim::StringDescriptor(descriptor_index);
      if (!text.has_value()) return -EPIPE;
      answer = std::move(*text);
    } else {
      return -EPIPE;
    }
  } else if (request_type == 0x80 && request == 0x08) {  // GET_CONFIGURATION
    answer = {sim::kConfigurationValue};
  } else if ((request_type & 0x9F) == 0x80 && request == 0x00) {  // GET_STATUS
    answer = {0, 0};
  } else if (request_type == 0x02 && request == 0x01 && value == 0) {  // CLEAR_FEATURE(HALT)
    return (index & 0x7F) == 0 ? -ETIMEDOUT : 0;
  } else {
    return -EPIPE;  // the firmware stalls what USB_StandardRequests does not know
  }
  const size_t n = std::min(length, answer.size());
  if (n > 0) std::memcpy(data, answer.data(), n);
  return static_cast<int>(n);
}

void UsbfsBoard::SubmitUrb(UMockdevIoctlClient* client) {
  UMockdevIoctlData* urb_data = ResolveArg(client, sizeof(usbdevfs_urb));
  if (urb_data == nullptr) {
    Fail(client, EFAULT);
    return;
  }
  auto urb = std::make_unique<Urb>();
  urb->client = static_cast<UMockdevIoctlClient*>(g_object_ref(client));
  urb->urb_data = urb_data;
  usbdevfs_urb* u = urb->urb();
  if (u->buffer_length < 0) {
    Fail(client, EINVAL);
    return;
  }
  urb->length = static_cast<size_t>(u->buffer_length);
  if (urb->length > 0) {
    GError* error = nullptr;
    urb->buffer_data =
        umockdev_ioctl_data_resolve(urb_data, offsetof(usbdevfs_urb, buffer), urb->length, &error);
    if (error != nullptr) g_error_free(error);
    if (urb->buffer_data == nullptr) {
      Fail(client, EFAULT);
      return;
    }
  }
  u->status = 0;
  u->actual_length = 0;

  std::unique_lock<std::mutex> lock(mutex_);
  if (unplugged_) {  // pulled while this ioctl was on its way
    lock.unlock();
    Fail(client, ENODEV);
    return;
  }
  ++urbs_submitted_;
  if (u->type == USBDEVFS_URB_TYPE_CONTROL && (u->endpoint & 0x7F) == 0) {
    if (urb->length < 8) {
      lock.unlock();
      Fail(client, EINVAL);
      return;
    }
    const int n = ControlRequest(urb->buffer(), urb->buffer() + 8, urb->length - 8);
    u->actual_length = n < 0 ? 0 : n;
    FinishLocked(std::move(urb), n < 0 ? n : 0);
    UpdateReadinessLocked();
  } else if (u->type == USBDEVFS_URB_TYPE_BULK && u->endpoint == kBulkOutEndpoint) {
    out_queue_.push_back(std::move(urb));
  } else if (u->type == USBDEVFS_URB_TYPE_BULK && u->endpoint == kBulkInEndpoint) {
    in_queue_.push_back(std::move(urb));
  } else {
    lock.unlock();
    Fail(client, ENOENT);  // no such endpoint on this interface
    return;
  }
  lock.unlock();
  wake_pump_.notify_all();
  umockdev_ioctl_client_complete(client, 0, 0);
}

void UsbfsBoard::ReapUrb(UMockdevIoctlClient* client) {
  std::unique_ptr<Urb> urb;
  bool unplugged = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = done_.begin(); it != done_.end(); ++it) {
      if ((*it)->client == client) {
        urb = std::move(*it);
        done_.erase(it);
        break;
      }
    }
    unplugged = unplugged_;
    UpdateReadinessLocked();
  }
  if (urb == nullptr) {
    if (unplugged) {
      // libusb cannot see POLLERR on a FIFO, so it keeps reaping a gone
      // device until it closes it: slow that loop down.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    Fail(client, unplugged ? ENODEV : EAGAIN);
    return;
  }
  UMockdevIoctlData* pointer = ResolveArg(client, sizeof(void*));
  if (pointer == nullptr) {
    Fail(client, EFAULT);
    return;
  }
  // The client gets its own URB address back, with status and data synced.
  umockdev_ioctl_data_set_ptr(pointer, 0, urb->urb_data);
  g_object_unref(pointer);
  umockdev_ioctl_client_complete(client, 0, 0);
}

void UsbfsBoard::DiscardUrb(UMockdevIoctlClient* client) {
  const unsigned long address = ArgValue(client);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto* queue : {&out_queue_, &in_queue_}) {
      for (auto it = queue->begin(); it != queue->end(); ++it) {
        if ((*it)->client == client && (*it)->urb_data->client_addr == address) {
          if (it->get() == in_flight_) {
            (*it)->discard = true;  // the pump finishes it after the board call
            umockdev_ioctl_client_complete(client, 0, 0);
            return;
          }
          std::unique_ptr<Urb> urb = std::move(*it);
          queue->erase(it);
          FinishLocked(std::move(urb), -ENOENT);
          UpdateReadinessLocked();
          umockdev_ioctl_client_complete(client, 0, 0);
          return;
        }
      }
    }
  }
  Fail(client, EINVAL);  // not pending (already completed, or never submitted)
}

void UsbfsBoard::FinishLocked(std::unique_ptr<Urb> urb, int status) {
  usbdevfs_urb* u = urb->urb();
  u->status = status;
  if (u->type == USBDEVFS_URB_TYPE_BULK) u->actual_length = static_cast<int>(urb->done);
  done_.push_back(std::move(urb));
}

void UsbfsBoard::UpdateReadinessLocked() {
  bool ready = unplugged_ || !done_.empty();
  if (ready == fifo_ready_) return;
  char scratch[4096];
  if (ready) {
    while (::read(fifo_fd_, scratch, sizeof(scratch)) > 0) {
    }
  } else {
    std::memset(scratch, 0, sizeof(scratch));
    while (::write(fifo_fd_, scratch, sizeof(scratch)) > 0) {
    }
  }
  fifo_ready_ = ready;
}

bool UsbfsBoard::StepOut(Urb& urb, sim::SimClock::time_point now, sim::SimClock::time_point& wake,
                         std::unique_lock<std::mutex>& lock) {
  const size_t left = urb.length - urb.done;
  const bool zero_packet_flag = (urb.urb()->flags & USBDEVFS_URB_ZERO_PACKET) != 0;
  const bool need_zlp = !urb.zlp_sent && left == 0 &&
                        (urb.length == 0 || (zero_packet_flag && urb.length % kMaxPacketBytes == 0));
  if (left == 0 && !need_zlp) {
    urb.finishing = true;
    return true;
  }
  const size_t n = std::min(left, kMaxPacketBytes);
  in_flight_ = &urb;
  lock.unlock();  // an invoke computes inside OfferOut: keep the ioctl thread free
  const auto result = board_->OfferOut(now, absl::MakeConstSpan(urb.buffer() + urb.done, n));
  lock.lock();
  in_flight_ = nullptr;
  if (!result.accepted) {
    wake = std::min({wake, result.retry_at, now + kIdleRecheck});
    return false;
  }
  urb.done += n;
  if (n == 0) urb.zlp_sent = true;
  link_free_at_ = sim::LinkTimeStart(link_free_at_, now) + result.bus_time;
  if (urb.done == urb.length && (urb.zlp_sent || !(urb.length == 0 ||
      (zero_packet_flag && urb.length % kMaxPacketBytes == 0)))) {
    urb.finishing = true;
  }
  return true;
}

bool UsbfsBoard::StepIn(Urb& urb, sim::SimClock::time_point now, sim::SimClock::time_point& wake,
                        std::unique_lock<std::mutex>& lock) {
  in_flight_ = &urb;
  lock.unlock();
  auto result = board_->PollIn(now);
  lock.lock();
  in_flight_ = nullptr;
  if (!result.packet.has_value()) {
    wake = std::min({wake, result.retry_at, now + kIdleRecheck});
    return false;
  }
  const std::vector<uint8_t>& packet = *result.packet;
  link_free_at_ = sim::LinkTimeStart(link_free_at_, now) + result.bus_time;
  const size_t room = urb.length - urb.done;
  const size_t n = std::min(room, packet.size());
  if (n > 0) std::memcpy(urb.buffer() + urb.done, packet.data(), n);
  urb.done += n;
  if (packet.size() > room) {
    urb.finishing = true;
    urb.finish_status = -EOVERFLOW;  // babble: more than the buffer holds
  } else if (packet.size() < kMaxPacketBytes || urb.done == urb.length) {
    urb.finishing = true;
    if (packet.size() < kMaxPacketBytes && urb.done < urb.length &&
        (urb.urb()->flags & USBDEVFS_URB_SHORT_NOT_OK)) {
      urb.finish_status = -EREMOTEIO;
    }
  }
  return true;
}

void UsbfsBoard::Pump() {
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);  // short link-model waits stay short
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const auto now = sim::SimClock::now();
    auto wake = sim::SimClock::time_point::max();
    bool progress = false;
    for (auto* queue : {&out_queue_, &in_queue_}) {
      // A closed file kills its URBs, as usbfs does.
      while (!queue->empty() && !umockdev_ioctl_client_get_connected(queue->front()->client)) {
        queue->pop_front();
        progress = true;
      }
      if (queue->empty()) continue;
      Urb& urb = *queue->front();
      if (!urb.finishing && link_free_at_ - now >= kMinSleep) {
        wake = std::min(wake, link_free_at_);
        continue;
      }
      if (!urb.finishing) {
        const bool in = queue == &in_queue_;
        progress |= in ? StepIn(urb, now, wake, lock) : StepOut(urb, now, wake, lock);
        if (urb.discard || unplugged_) {
          // Cancelled or unplugged while the board call ran.
          const int status = urb.discard ? -ENOENT : -ESHUTDOWN;
          std::unique_ptr<Urb> cancelled = std::move(queue->front());
          queue->pop_front();
          FinishLocked(std::move(cancelled), status);
          UpdateReadinessLocked();
          progress = true;
          continue;
        }
      }
      if (urb.finishing) {
        if (link_free_at_ > now) {
          wake = std::min(wake, link_free_at_);
        } else {
          std::unique_ptr<Urb> finished = std::move(queue->front());
          queue->pop_front();
          const int status = finished->finish_status;
          FinishLocked(std::move(finished), status);
          UpdateReadinessLocked();
          progress = true;
        }
      }
    }
    if (progress) continue;
    if (wake == sim::SimClock::time_point::max()) {
      wake_pump_.wait(lock);
    } else {
      wake_pump_.wait_until(lock, wake);
    }
  }
}

}  // namespace tinyserve::xcore::testing
