#include "devices/xcore/socket_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "devices/xcore/io_server_protocol.h"
#include "devices/xcore/sim/sim_wire_format.h"

namespace tinyserve::xcore {
namespace {

using Clock = std::chrono::steady_clock;
// How often a wait wakes up to look at `cancelled`.
constexpr auto kPollSlice = std::chrono::milliseconds(5);

void AppendFrame(std::vector<uint8_t>& out, uint8_t endpoint, absl::Span<const uint8_t> payload) {
  out.push_back(endpoint);
  out.push_back(static_cast<uint8_t>(payload.size() & 0xff));
  out.push_back(static_cast<uint8_t>(payload.size() >> 8));
  out.insert(out.end(), payload.begin(), payload.end());
}

size_t FrameLength(const uint8_t* header) {
  return static_cast<size_t>(header[1]) | static_cast<size_t>(header[2]) << 8;
}

bool Cancelled(const TransferLimits& limits) {
  return limits.cancelled != nullptr && *limits.cancelled && (*limits.cancelled)();
}

// A connected, non-blocking stream socket, or why not.
absl::StatusOr<int> Dial(const std::string& address, Clock::time_point deadline) {
  int fd = -1;
  int rc = -1;
  if (address.find('/') != std::string::npos) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    if (address.size() >= sizeof(un.sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat("unix socket path '", address,
                                                     "' is longer than ",
                                                     sizeof(un.sun_path) - 1, " bytes"));
    }
    std::memcpy(un.sun_path, address.data(), address.size());
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
    rc = connect(fd, reinterpret_cast<const sockaddr*>(&un), sizeof(un));
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "simulator address '", address, "' is neither HOST:PORT nor a unix socket path"));
    }
    std::string host = address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int err = getaddrinfo(host.c_str(), address.c_str() + colon + 1, &hints, &found);
        err != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("simulator address '", address, "': ", gai_strerror(err)));
    }
    fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      freeaddrinfo(found);
      return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
    }
    rc = connect(fd, found->ai_addr, found->ai_addrlen);
    freeaddrinfo(found);
    const int one = 1;  // frames are small and latency is what is measured
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    rc = poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (rc == 0) {
      close(fd);
      return absl::UnavailableError("connect: timed out");
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    errno = err;
    rc = err == 0 ? 0 : -1;
  }
  if (rc != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", std::strerror(err)));
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SocketTransport>> SocketTransport::Connect(
    const std::string& address, std::string name, Clock::time_point deadline) {
  const std::string who = absl::StrCat("simulated board ", name, " at ", address);
  absl::StatusOr<int> fd = Dial(address, deadline);
  if (!fd.ok()) {
    return absl::Status(fd.status().code(), absl::StrCat(who, ": ", fd.status().message()));
  }
  std::unique_ptr<SocketTransport> transport(new SocketTransport(*fd, address, std::move(name)));

  // The hello frame: the board's device descriptor and product string.
  const TransferLimits limits{deadline, nullptr};
  uint8_t header[sim::kFrameHeaderBytes];
  absl::Status s = transport->ReadExact(absl::MakeSpan(header), limits);
  const size_t n = FrameLength(header);
  if (s.ok() && (header[0] != sim::kHelloEndpoint || n < sim::kDeviceDescriptorBytes)) {
    s = absl::UnavailableError("the first frame is not a hello frame (not tinyserve-xcore-sim?)");
  }
  std::vector<uint8_t> hello(n);
  if (s.ok()) s = transport->ReadExact(absl::MakeSpan(hello), limits);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat(who, ": no hello: ", s.message()));
  const uint16_t vid = static_cast<uint16_t>(hello[8] | hello[9] << 8);
  const uint16_t pid = static_cast<uint16_t>(hello[10] | hello[11] << 8);
  const std::string product(hello.begin() + sim::kDeviceDescriptorBytes, hello.end());
  if (hello[0] != sim::kDeviceDescriptorBytes || hello[1] != 0x01 || vid != kXmosVendorId ||
      pid != kIoServerProductId || product != kIoServerProductString) {
    return absl::UnavailableError(absl::StrCat(
        who, ": not an io_server board (descriptor type ", hello[1], ", VID 0x",
        absl::Hex(vid, absl::kZeroPad4), ", PID 0x", absl::Hex(pid, absl::kZeroPad4),
        ", product '", product, "'; expected VID 0x20b1, PID 0xa15e, product 'xAISRV')"));
  }
  return transport;
}

SocketTransport::~SocketTransport() { close(fd_); }

bool SocketTransport::Lost() const {
  if (broken_.load()) return true;
  pollfd p{fd_, POLLRDHUP, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

absl::Status SocketTransport::Break(absl::Status why) {
  if (!broken_.exchange(true)) shutdown(fd_, SHUT_RDWR);
  return why;
}

absl::Status SocketTransport::Gone(const std::string& what) {
  return Break(absl::UnavailableError(absl::StrCat("simulated board ", name_, " (", address_,
                                                   ") disconnected: ", what)));
}

absl::Status SocketTransport::Wait(short events, const TransferLimits& limits) {
  while (true) {
    if (Cancelled(limits)) return absl::CancelledError("cancelled");
    const Clock::time_point now = Clock::now();
    if (now >= limits.deadline) return absl::DeadlineExceededError("timed out");
    const auto slice = std::min<Clock::duration>(kPollSlice, limits.deadline - now);
    const int ms =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count());
    pollfd p{fd_, events, 0};
    const int rc = poll(&p, 1, ms);
    if (rc < 0 && errno != EINTR) return Gone(absl::StrCat("poll: ", std::strerror(errno)));
    if (rc > 0) {
      if ((p.revents & events) != 0) return absl::OkStatus();
      if ((p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) return Gone("connection closed");
    }
  }
}

absl::Status SocketTransport::WriteAll(absl::Span<const uint8_t> bytes,
                                       const TransferLimits& limits) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (absl::Status s = Wait(POLLOUT, limits); !s.ok()) {
        // A frame cut in half cannot be taken back.
        return done == 0 ? s : Break(s);
      }
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return Gone(n == 0 ? "connection closed" : std::strerror(errno));
    }
  }
  return absl::OkStatus();
}

absl::Status SocketTransport::ReadExact(absl::Span<uint8_t> bytes, const TransferLimits& limits) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = recv(fd_, bytes.data() + done, bytes.size() - done, MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0) {
      return Gone("connection closed");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (absl::Status s = Wait(POLLIN, limits); !s.ok()) return s;
    } else if (errno != EINTR) {
      return Gone(std::strerror(errno));
    }
  }
  return absl::OkStatus();
}

absl::Status SocketTransport::BulkOut(absl::Span<const uint8_t> data, const TransferLimits& limits,
                                      size_t* sent) {
  size_t taken = 0;
  if (sent != nullptr) *sent = 0;
  if (broken_.load()) return Gone("the connection was lost earlier");
  if (Cancelled(limits)) return absl::CancelledError("cancelled");
  if (Clock::now() >= limits.deadline) return absl::DeadlineExceededError("timed out");

  std::vector<uint8_t> frames;
  std::vector<size_t> packets;
  size_t offset = 0;
  do {
    const size_t n = std::min(kMaxPacketBytes, data.size() - offset);
    AppendFrame(frames, kBulkOutEndpoint, data.subspan(offset, n));
    packets.push_back(n);
    offset += n;
  } while (offset < data.size());

  absl::Status s = WriteAll(frames, limits);
  if (!s.ok()) {
    // Nothing reached the simulator only if the connection is intact.
    if (sent != nullptr && broken_.load()) *sent = std::max<size_t>(data.size(), 1);
    return s;
  }
  for (size_t n : packets) {
    uint8_t ack[sim::kFrameHeaderBytes];
    s = ReadExact(absl::MakeSpan(ack), limits);
    if (s.ok() && (ack[0] != kBulkOutEndpoint || FrameLength(ack) != n)) {
      s = Break(absl::UnavailableError(absl::StrCat(
          "simulated board ", name_, ": malformed acknowledgement (endpoint 0x",
          absl::Hex(ack[0], absl::kZeroPad2), ", length ", FrameLength(ack), " for a ", n,
          "-byte packet)")));
    }
    if (!s.ok()) {
      // The packets already written may still be taken: the connection is
      // out of step for good, and the board counts as having seen them.
      if (sent != nullptr) *sent = std::max<size_t>(data.size(), 1);
      return Break(s);
    }
    taken += n;
    if (sent != nullptr) *sent = taken;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> SocketTransport::BulkIn(absl::Span<uint8_t> buffer,
                                               const TransferLimits& limits) {
  if (broken_.load()) return Gone("the connection was lost earlier");
  if (Cancelled(limits)) return absl::CancelledError("cancelled");
  if (Clock::now() >= limits.deadline) return absl::DeadlineExceededError("timed out");
  std::vector<uint8_t> request;
  const uint32_t max = static_cast<uint32_t>(buffer.size());
  const uint8_t max_le[4] = {static_cast<uint8_t>(max), static_cast<uint8_t>(max >> 8),
                             static_cast<uint8_t>(max >> 16), static_cast<uint8_t>(max >> 24)};
  AppendFrame(request, kBulkInEndpoint, max_le);
  if (absl::Status s = WriteAll(request, limits); !s.ok()) return s;
  // From here on an unfinished read leaves packets in flight: give up = break.
  size_t got = 0;
  while (true) {
    uint8_t header[sim::kFrameHeaderBytes];
    absl::Status s = ReadExact(absl::MakeSpan(header), limits);
    const size_t n = FrameLength(header);
    if (s.ok() && (header[0] != kBulkInEndpoint || n > kMaxPacketBytes ||
                   n > buffer.size() - got)) {
      s = absl::UnavailableError(absl::StrCat(
          "simulated board ", name_, ": malformed IN frame (endpoint 0x",
          absl::Hex(header[0], absl::kZeroPad2), ", length ", n, ", ", buffer.size() - got,
          " bytes of room)"));
    }
    if (s.ok()) s = ReadExact(buffer.subspan(got, n), limits);
    if (!s.ok()) return Break(s);
    got += n;
    if (n < kMaxPacketBytes || got == buffer.size()) return got;
  }
}

}  // namespace tinyserve::xcore
