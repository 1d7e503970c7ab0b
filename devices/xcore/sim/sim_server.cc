#include "devices/xcore/sim/sim_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "devices/xcore/io_server_protocol.h"
#include "devices/xcore/sim/board_descriptors.h"
#include "devices/xcore/sim/sim_wire_format.h"

namespace tinyserve::xcore::sim {
namespace {

// While the board will not answer by itself (hung, trapped, output unread),
// look again this often: faults and resets come from other threads.
constexpr auto kIdleRecheck = std::chrono::milliseconds(5);
// Link-model delays below this are carried forward instead of slept.
constexpr auto kMinSleep = std::chrono::microseconds(200);

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

struct Listener {
  int fd = -1;
  std::string address;
  std::string unix_path;
};

absl::StatusOr<Listener> ListenUnix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unix socket path '", path, "' is empty or longer than ",
                     sizeof(addr.sun_path) - 1, " bytes"));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 4) != 0) {
    const absl::Status status = Errno(absl::StrCat("cannot listen on unix socket '", path, "'"));
    ::close(fd);
    return status;
  }
  return Listener{fd, path, path};
}

absl::StatusOr<Listener> ListenTcp(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address '", address, "' is neither HOST:PORT nor a unix socket path"));
  }
  std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", address, "': port '", port_text, "' is not 0..65535"));
  }
  if (host == "localhost" || host.empty()) host = "127.0.0.1";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address '", address, "': '", host, "' is not an IPv4 address"));
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd, 4) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const absl::Status status = Errno(absl::StrCat("cannot listen on ", address));
    ::close(fd);
    return status;
  }
  return Listener{fd, absl::StrCat(host, ":", ntohs(addr.sin_port)), ""};
}

void PutFrameHeader(std::vector<uint8_t>& out, uint8_t endpoint, size_t length) {
  out.push_back(endpoint);
  out.push_back(static_cast<uint8_t>(length & 0xFF));
  out.push_back(static_cast<uint8_t>((length >> 8) & 0xFF));
}

}  // namespace

// One host connection: frame I/O and the link clock, on the serving thread.
class SimServer::Connection {
 public:
  enum class Event { kReady, kTimeout, kStop, kPeerGone, kNewConnection };

  Connection(SimServer& server, int fd) : server_(server), fd_(fd) {}
  ~Connection() { ::close(fd_); }

  // Serves frames until the connection ends; returns why.
  Event Run() {
    std::vector<uint8_t> hello = DeviceDescriptor();
    const std::string product = ProductString();
    hello.insert(hello.end(), product.begin(), product.end());
    std::vector<uint8_t> frame;
    PutFrameHeader(frame, kHelloEndpoint, hello.size());
    frame.insert(frame.end(), hello.begin(), hello.end());
    if (!Write(frame)) return Event::kPeerGone;

    while (true) {
      const Event event = Wait(SimClock::time_point::max(), /*want_data=*/true);
      if (event != Event::kReady) return event;
      uint8_t header[kFrameHeaderBytes];
      if (const Event e = ReadExact(header, sizeof(header)); e != Event::kReady) return e;
      const uint8_t endpoint = header[0];
      const size_t length = header[1] | (static_cast<size_t>(header[2]) << 8);
      std::vector<uint8_t> payload(length);
      if (const Event e = ReadExact(payload.data(), length); e != Event::kReady) return e;

      int64_t left = server_.disconnect_after_frames_.load();
      if (left == 0) {
        server_.disconnect_after_frames_.store(-1);
        return Event::kPeerGone;  // the fault: the cable is pulled mid-transfer
      }
      if (left > 0) server_.disconnect_after_frames_.compare_exchange_strong(left, left - 1);

      Event result;
      if (endpoint == kBulkOutEndpoint && length <= kMaxPacketBytes) {
        result = HandleOut(payload);
      } else if (endpoint == kBulkInEndpoint && length == 4) {
        const uint32_t max = payload[0] | (uint32_t{payload[1]} << 8) |
                             (uint32_t{payload[2]} << 16) | (uint32_t{payload[3]} << 24);
        result = HandleIn(max);
      } else {
        std::fprintf(stderr,
                     "tinyserve-xcore-sim: protocol error: frame for endpoint 0x%02x with %zu "
                     "bytes; closing the connection\n",
                     endpoint, length);
        return Event::kPeerGone;
      }
      if (result != Event::kReady) return result;
    }
  }

 private:
  Event HandleOut(const std::vector<uint8_t>& packet) {
    BoardStateMachine& board = *server_.board_;
    while (true) {
      const auto now = SimClock::now();
      const auto result = board.OfferOut(now, packet);
      if (result.accepted) {
        const bool ends_transfer = packet.size() < kMaxPacketBytes;
        if (const Event e = ChargeLink(now, result.bus_time, ends_transfer); e != Event::kReady) {
          return e;
        }
        std::vector<uint8_t> ack;
        PutFrameHeader(ack, kBulkOutEndpoint, packet.size());
        return Write(ack) ? Event::kReady : Event::kPeerGone;
      }
      if (board.exited()) return Event::kPeerGone;  // the chip reset: off the bus
      const Event e = Wait(std::min(result.retry_at, now + kIdleRecheck), /*want_data=*/false);
      if (e != Event::kTimeout) return e;
    }
  }

  Event HandleIn(uint32_t max_bytes) {
    BoardStateMachine& board = *server_.board_;
    size_t remaining = max_bytes;
    while (remaining > 0) {
      const auto now = SimClock::now();
      auto result = board.PollIn(now);
      if (!result.packet.has_value()) {
        if (board.exited()) return Event::kPeerGone;
        const Event e = Wait(std::min(result.retry_at, now + kIdleRecheck), /*want_data=*/false);
        if (e != Event::kTimeout) return e;
        continue;
      }
      std::vector<uint8_t>& data = *result.packet;
      const bool short_packet = data.size() < kMaxPacketBytes;
      // A packet larger than the host asked for is babble on real USB: the
      // host sees only what fits.
      if (data.size() > remaining) data.resize(remaining);
      if (const Event e = ChargeLink(now, result.bus_time, short_packet); e != Event::kReady) {
        return e;
      }
      std::vector<uint8_t> frame;
      PutFrameHeader(frame, kBulkInEndpoint, data.size());
      frame.insert(frame.end(), data.begin(), data.end());
      if (!Write(frame)) return Event::kPeerGone;
      remaining -= data.size();
      if (short_packet) break;
    }
    return Event::kReady;
  }

  // Advances the link clock by one packet and sleeps off the debt: always at
  // the end of a transfer (a short packet), within one once it is worth a sleep.
  Event ChargeLink(SimClock::time_point now, std::chrono::nanoseconds bus_time,
                   bool ends_transfer) {
    // A link busy until a moment ago counts as still busy: sleeping a little
    // long must not add to the next packet's time.
    link_free_at_ = LinkTimeStart(link_free_at_, now) + bus_time;
    if (!ends_transfer && link_free_at_ - now < kMinSleep) return Event::kReady;
    const Event e = Wait(link_free_at_, /*want_data=*/false);
    return e == Event::kTimeout ? Event::kReady : e;
  }

  // Waits until `until`, a stop, a new connection, the peer leaving, or (with
  // want_data) a frame to read.
  Event Wait(SimClock::time_point until, bool want_data) {
    while (true) {
      pollfd fds[3] = {{server_.wake_fd_, POLLIN, 0},
                       {server_.listen_fd_, POLLIN, 0},
                       {fd_, static_cast<short>(POLLRDHUP | (want_data ? POLLIN : 0)), 0}};
      timespec timeout{};
      const timespec* timeout_ptr = nullptr;
      if (until != SimClock::time_point::max()) {
        const auto left = until - SimClock::now();
        if (left <= std::chrono::nanoseconds(0)) return Event::kTimeout;
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        timeout.tv_sec = static_cast<time_t>(ns / 1000000000);
        timeout.tv_nsec = static_cast<long>(ns % 1000000000);
        timeout_ptr = &timeout;
      }
      const int n = ::ppoll(fds, 3, timeout_ptr, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Event::kStop;
      }
      if (fds[0].revents != 0 || server_.stopping_.load()) return Event::kStop;
      if (fds[1].revents & POLLIN) return Event::kNewConnection;
      if (want_data && (fds[2].revents & POLLIN)) return Event::kReady;
      if (fds[2].revents & (POLLRDHUP | POLLHUP | POLLERR)) return Event::kPeerGone;
      if (n == 0 && until != SimClock::time_point::max() && SimClock::now() >= until) {
        return Event::kTimeout;
      }
    }
  }

  Event ReadExact(uint8_t* out, size_t n) {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::recv(fd_, out + done, n - done, 0);
      if (r > 0) {
        done += static_cast<size_t>(r);
        continue;
      }
      if (r == 0) return Event::kPeerGone;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return Event::kPeerGone;
      const Event e = Wait(SimClock::time_point::max(), /*want_data=*/true);
      if (e != Event::kReady) return e;
    }
    return Event::kReady;
  }

  bool Write(const std::vector<uint8_t>& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t r = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (r > 0) {
        done += static_cast<size_t>(r);
      } else if (r < 0 && errno == EINTR) {
        continue;
      } else {
        return false;
      }
    }
    return true;
  }

  SimServer& server_;
  const int fd_;
  SimClock::time_point link_free_at_{};
};

absl::StatusOr<std::unique_ptr<SimServer>> SimServer::Start(
    const std::string& address, std::shared_ptr<BoardStateMachine> board) {
  if (board == nullptr) return absl::InvalidArgumentError("SimServer needs a board");
  absl::StatusOr<Listener> listener;
  if (address.rfind("unix:", 0) == 0) {
    listener = ListenUnix(address.substr(5));
  } else if (address.find('/') != std::string::npos) {
    listener = ListenUnix(address);
  } else {
    listener = ListenTcp(address);
  }
  if (!listener.ok()) return listener.status();
  const int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    const absl::Status status = Errno("eventfd");
    ::close(listener->fd);
    return status;
  }
  std::unique_ptr<SimServer> server(new SimServer(listener->fd, wake_fd, listener->address,
                                                  listener->unix_path, std::move(board)));
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

SimServer::SimServer(int listen_fd, int wake_fd, std::string address, std::string unix_path,
                     std::shared_ptr<BoardStateMachine> board)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      address_(std::move(address)),
      unix_path_(std::move(unix_path)),
      board_(std::move(board)) {}

SimServer::~SimServer() {
  Stop();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void SimServer::Stop() {
  if (stopping_.exchange(true)) {
    if (thread_.joinable()) thread_.join();
    return;
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void SimServer::Serve() {
  // Link-model sleeps are short: ask the kernel not to stretch them (the
  // default timer slack is 50 us).
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  bool pending = false;  // a connection is waiting in the listen queue
  while (!stopping_.load()) {
    if (!pending) {
      pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
      if (fds[0].revents != 0 || stopping_.load()) return;
      if (!(fds[1].revents & POLLIN)) continue;
    }
    pending = false;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // fails harmlessly on unix
    connections_.fetch_add(1);
    board_->Reset();  // a new connection is a replugged, power-cycled board
    Connection connection(*this, fd);
    const Connection::Event end = connection.Run();
    if (end == Connection::Event::kStop) return;
    pending = end == Connection::Event::kNewConnection;
  }
}

}  // namespace tinyserve::xcore::sim
