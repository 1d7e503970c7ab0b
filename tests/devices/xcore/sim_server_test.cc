// The simulator's socket protocol (sim_wire_format.h), spoken by a minimal
// client written here: hello, OUT acknowledgements held back by NAKs, IN
// answered packet by packet, replug on reconnect, faults; and the
// tinyserve-xcore-sim command line.
#include "devices/xcore/sim/sim_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "devices/device_registry.h"
#include "devices/xcore/io_server_protocol.h"
#include "devices/xcore/sim/sim_wire_format.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xcore::sim {
namespace {

using Bytes = std::vector<uint8_t>;

std::shared_ptr<const Executable> Xs3Executable(const std::string& name) {
  auto model = Model::LoadFile(testing::BundledModelPath(name));
  EXPECT_TRUE(model.ok()) << model.status();
  auto device = CreateDevice("xs3");
  auto exe = (*device)->Compile(*model);
  EXPECT_TRUE(exe.ok()) << exe.status();
  return *exe;
}

std::shared_ptr<BoardStateMachine> MakeBoard(const std::string& name) {
  Firmware firmware;
  firmware.models.push_back(Xs3Executable(name));
  auto board = BoardStateMachine::Create(std::move(firmware), DefaultBoardTiming());
  EXPECT_TRUE(board.ok()) << board.status();
  return std::shared_ptr<BoardStateMachine>(std::move(*board));
}

// The host side of the framing, blocking with a timeout per read.
class FrameClient {
 public:
  static std::optional<FrameClient> Connect(const std::string& address) {
    int fd = -1;
    if (address.find('/') != std::string::npos) {
      fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      std::strncpy(addr.sun_path, address.c_str(), sizeof(addr.sun_path) - 1);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return std::nullopt;
      }
    } else {
      const size_t colon = address.rfind(':');
      int port = 0;
      if (!absl::SimpleAtoi(address.substr(colon + 1), &port)) return std::nullopt;
      fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return std::nullopt;
      }
    }
    return FrameClient(fd);
  }
  FrameClient(FrameClient&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ~FrameClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  void Send(uint8_t endpoint, const Bytes& payload) {
    Bytes frame = {endpoint, static_cast<uint8_t>(payload.size() & 0xFF),
                   static_cast<uint8_t>(payload.size() >> 8)};
    frame.insert(frame.end(), payload.begin(), payload.end());
    ASSERT_EQ(::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(frame.size()));
  }
  // One frame, or nullopt on timeout or a closed connection. An OUT
  // acknowledgement has no payload: its length field is the packet's length,
  // returned here as that many zero bytes.
  std::optional<std::pair<uint8_t, Bytes>> Receive(int timeout_ms = 5000) {
    uint8_t header[3];
    if (!ReadExact(header, 3, timeout_ms)) return std::nullopt;
    Bytes payload(header[1] | (header[2] << 8));
    if (header[0] == kBulkOutEndpoint) return std::make_pair(header[0], payload);
    if (!ReadExact(payload.data(), payload.size(), timeout_ms)) return std::nullopt;
    return std::make_pair(header[0], payload);
  }
  // True when the server closed the connection (EOF within the timeout).
  bool Closed(int timeout_ms = 5000) {
    pollfd fd{fd_, POLLIN, 0};
    if (::poll(&fd, 1, timeout_ms) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) <= 0;
  }

  // OUT packet, then its acknowledgement.
  bool Out(const Bytes& packet, int timeout_ms = 5000) {
    Send(kBulkOutEndpoint, packet);
    auto ack = Receive(timeout_ms);
    return ack && ack->first == kBulkOutEndpoint && ack->second.size() == packet.size();
  }
  // A transfer: packets, pipelined, then the acknowledgements.
  bool OutTransfer(const Bytes& data) {
    size_t offset = 0, packets = 0;
    while (data.size() - offset >= kMaxPacketBytes) {
      Send(kBulkOutEndpoint, Bytes(data.begin() + offset, data.begin() + offset + kMaxPacketBytes));
      offset += kMaxPacketBytes;
      ++packets;
    }
    Send(kBulkOutEndpoint, Bytes(data.begin() + offset, data.end()));
    ++packets;
    for (size_t i = 0; i < packets; ++i) {
      auto ack = Receive();
      if (!ack || ack->first != kBulkOutEndpoint) return false;
    }
    return true;
  }
  // IN request of `max` bytes; the packets that answer it.
  std::optional<Bytes> In(uint32_t max, int timeout_ms = 5000) {
    Send(kBulkInEndpoint, {static_cast<uint8_t>(max), static_cast<uint8_t>(max >> 8),
                           static_cast<uint8_t>(max >> 16), static_cast<uint8_t>(max >> 24)});
    Bytes data;
    while (true) {
      auto frame = Receive(timeout_ms);
      if (!frame || frame->first != kBulkInEndpoint) return std::nullopt;
      data.insert(data.end(), frame->second.begin(), frame->second.end());
      if (frame->second.size() < kMaxPacketBytes || data.size() >= max) return data;
    }
  }

 private:
  explicit FrameClient(int fd) : fd_(fd) {}
  bool ReadExact(uint8_t* out, size_t n, int timeout_ms) {
    size_t done = 0;
    while (done < n) {
      pollfd fd{fd_, POLLIN, 0};
      if (::poll(&fd, 1, timeout_ms) <= 0) return false;
      const ssize_t r = ::recv(fd_, out + done, n - done, 0);
      if (r <= 0) return false;
      done += static_cast<size_t>(r);
    }
    return true;
  }
  int fd_;
};

Bytes Hello(FrameClient& client) {
  auto hello = client.Receive();
  EXPECT_TRUE(hello.has_value());
  if (!hello) return {};
  EXPECT_EQ(hello->first, kHelloEndpoint);
  return hello->second;
}

Bytes RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

std::optional<Bytes> Classify(FrameClient& client, const Bytes& input) {
  if (!client.Out({0x03, 0, 0}) || !client.OutTransfer(input)) return std::nullopt;
  if (input.size() % kMaxPacketBytes == 0 && !input.empty() && !client.Out({})) return std::nullopt;
  if (!client.Out({0x01, 0, 0}) || !client.Out({})) return std::nullopt;
  if (!client.Out({0x02, 0, 0}, 30000)) return std::nullopt;
  return client.In(64 * 1024);
}

TEST(SimServerTest, HelloCarriesTheBoardsUsbIdentity) {
  auto server = SimServer::Start("127.0.0.1:0", MakeBoard("hello_world_int8"));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE((*server)->address().find("127.0.0.1:"), std::string::npos);
  EXPECT_EQ((*server)->address().find(":0"), std::string::npos) << "the real port is reported";
  auto client = FrameClient::Connect((*server)->address());
  ASSERT_TRUE(client);
  const Bytes hello = Hello(*client);
  ASSERT_EQ(hello.size(), kDeviceDescriptorBytes + 6);
  EXPECT_EQ(hello[0], 18);
  EXPECT_EQ(hello[1], 0x01);
  EXPECT_EQ(hello[8] | (hello[9] << 8), kXmosVendorId);
  EXPECT_EQ(hello[10] | (hello[11] << 8), kIoServerProductId);
  EXPECT_EQ(hello[16], 0) << "no serial number";
  EXPECT_EQ(std::string(hello.begin() + kDeviceDescriptorBytes, hello.end()), "xAISRV");
}

TEST(SimServerTest, ClassifiesLikeXs3OverTcpAndUnixSockets) {
  auto exe = Xs3Executable("vww_96_int8");
  const Bytes input = RandomBytes(exe->model().input(0).bytes, 3);
  auto session = exe->NewSession();
  std::memcpy((*session)->input(0).data(), input.data(), input.size());
  ASSERT_TRUE((*session)->Invoke(InvokeOptions{}).ok());
  const auto span = (*session)->output(0);
  const Bytes expected(span.begin(), span.end());

  const std::string unix_path = testing::TempPath("xcore-sim.sock");
  for (const std::string& address : {std::string("127.0.0.1:0"), unix_path}) {
    SCOPED_TRACE(address);
    auto board = MakeBoard("vww_96_int8");
    auto server = SimServer::Start(address, board);
    ASSERT_TRUE(server.ok()) << server.status();
    auto client = FrameClient::Connect((*server)->address());
    ASSERT_TRUE(client);
    Hello(*client);
    for (int round = 0; round < 2; ++round) {
      auto output = Classify(*client, input);
      ASSERT_TRUE(output.has_value());
      ASSERT_EQ(output->size(), (expected.size() + 3) / 4 * 4);
      output->resize(expected.size());
      EXPECT_EQ(*output, expected);
    }
    EXPECT_EQ(board->invokes(), 2);
  }
}

TEST(SimServerTest, NakHoldsTheAcknowledgementBack) {
  auto board = MakeBoard("hello_world_int8");
  auto server = SimServer::Start("127.0.0.1:0", board);
  ASSERT_TRUE(server.ok());
  auto client = FrameClient::Connect((*server)->address());
  ASSERT_TRUE(client);
  Hello(*client);
  BoardFaults faults;
  faults.hang = true;
  board->SetFaults(faults);
  client->Send(kBulkOutEndpoint, {0x01, 0, 0});
  EXPECT_FALSE(client->Receive(200).has_value()) << "a hung board acknowledges nothing";
  board->SetFaults(BoardFaults{});
  auto ack = client->Receive();
  ASSERT_TRUE(ack.has_value()) << "the packet is taken once the board answers again";
  EXPECT_EQ(ack->first, kBulkOutEndpoint);
}

TEST(SimServerTest, ANewConnectionIsAReplugAndReplacesTheOld) {
  auto board = MakeBoard("hello_world_int8");
  auto server = SimServer::Start("127.0.0.1:0", board);
  ASSERT_TRUE(server.ok());
  auto first = FrameClient::Connect((*server)->address());
  ASSERT_TRUE(first);
  Hello(*first);
  // Trap the board: a one-byte tensor sent as nothing.
  ASSERT_TRUE(first->Out({0x03, 0, 0}));
  ASSERT_TRUE(first->Out({}));
  EXPECT_TRUE(board->trapped());
  auto second = FrameClient::Connect((*server)->address());
  ASSERT_TRUE(second);
  Hello(*second);
  EXPECT_TRUE(first->Closed());
  EXPECT_FALSE(board->trapped()) << "power-cycled";
  auto output = Classify(*second, {0x42});
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->size(), 4u);
  EXPECT_EQ((*server)->connections(), 2);
}

TEST(SimServerTest, DisconnectFaultAndExitCloseTheConnection) {
  auto board = MakeBoard("hello_world_int8");
  auto server = SimServer::Start("127.0.0.1:0", board);
  ASSERT_TRUE(server.ok());
  {
    auto client = FrameClient::Connect((*server)->address());
    Hello(*client);
    (*server)->DisconnectAfterFrames(2);
    EXPECT_TRUE(client->Out({0x03, 0, 0}));
    EXPECT_TRUE(client->Out({0x10}));
    client->Send(kBulkOutEndpoint, {0x01, 0, 0});
    EXPECT_TRUE(client->Closed());
  }
  {
    auto client = FrameClient::Connect((*server)->address());
    Hello(*client);
    EXPECT_TRUE(client->Out({0x08, 0, 0}));  // EXIT: the chip resets
    client->Send(kBulkOutEndpoint, {0x01, 0, 0});
    EXPECT_TRUE(client->Closed());
  }
  {
    auto client = FrameClient::Connect((*server)->address());
    Hello(*client);
    client->Send(0x02, {1, 2, 3});  // no such endpoint
    EXPECT_TRUE(client->Closed());
  }
}

TEST(SimServerTest, StartRefusesBadAddressesAndStopIsClean) {
  auto board = MakeBoard("hello_world_int8");
  for (const char* bad : {"nonsense", "127.0.0.1:99999", "999.1.1.1:5", "127.0.0.1:x"}) {
    auto server = SimServer::Start(bad, board);
    ASSERT_FALSE(server.ok()) << bad;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(server.status().message().find(bad), std::string::npos);
  }
  auto server = SimServer::Start("127.0.0.1:0", board);
  ASSERT_TRUE(server.ok());
  auto client = FrameClient::Connect((*server)->address());
  Hello(*client);
  (*server)->Stop();
  EXPECT_TRUE(client->Closed());
  (*server)->Stop();  // idempotent
}

// --- the tinyserve-xcore-sim binary ---

TEST(XcoreSimCliTest, HelpIsTruthful) {
  const auto result = testing::RunCommand(std::string(TINYSERVE_XCORE_SIM) + " --help");
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option : {"--listen", "--model", "--fault", "--link_slowdown", "--chip_mhz",
                             "hang-after=N", "disconnect-after=N", "listening on"}) {
    EXPECT_NE(result.output.find(option), std::string::npos) << option;
  }
}

TEST(XcoreSimCliTest, BadArgumentsFailWithOneClearLine) {
  const std::string sim = TINYSERVE_XCORE_SIM;
  const std::string model = testing::BundledModelPath("hello_world_int8");
  const std::string not_a_model = testing::TempPath("not_a_model.tflite");
  ASSERT_EQ(testing::RunCommand("echo garbage > " + not_a_model).exit_code, 0);
  struct Case {
    std::string args;
    std::string message;
  };
  const Case cases[] = {
      {"", "--model"},
      {"--model /nonexistent.tflite", "/nonexistent.tflite"},
      {"--model " + not_a_model, "cannot load model"},
      {"--model " + model + " --listen bogus", "bogus"},
      {"--model " + model + " --fault sometimes", "--fault sometimes"},
      {"--model " + model + " --fault hang-after=x", "hang-after=N"},
      {"--model " + model + " --link_slowdown 0.5", "link_slowdown"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const auto result = testing::RunCommand(sim + " " + c.args);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.error.find(c.message), std::string::npos) << result.error;
    EXPECT_TRUE(result.output.empty()) << result.output;
  }
}

TEST(XcoreSimCliTest, ServesUntilSigterm) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const std::string sim = TINYSERVE_XCORE_SIM;
  const std::string model = testing::BundledModelPath("hello_world_int8");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::execl(sim.c_str(), sim.c_str(), "--model", model.c_str(), "--model", model.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  pollfd fd{out[0], POLLIN, 0};
  while (line.find('\n') == std::string::npos && ::poll(&fd, 1, 30000) > 0 &&
         ::read(out[0], &c, 1) == 1) {
    line += c;
  }
  const std::string prefix = "tinyserve-xcore-sim: listening on ";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  const std::string address = line.substr(prefix.size(), line.size() - prefix.size() - 1);
  auto client = FrameClient::Connect(address);
  ASSERT_TRUE(client);
  EXPECT_EQ(Hello(*client).size(), kDeviceDescriptorBytes + 6);
  auto output = Classify(*client, {0x01});
  ASSERT_TRUE(output.has_value());
  EXPECT_EQ(output->size(), 4u);
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(out[0]);
}

}  // namespace
}  // namespace tinyserve::xcore::sim
