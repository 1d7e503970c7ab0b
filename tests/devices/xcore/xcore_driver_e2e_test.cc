// The host driver end to end against simulated boards (the simulator's
// server in-process, over real sockets): the catalog finds them, the device
// runs every bundled model and gets xs3's bytes back, and the failures a board
// can have (hang, short replies, a lost connection, unplug and replug) end in
// clear errors, the right health and recovery.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "devices/device_catalog.h"
#include "devices/device_registry.h"
#include "devices/xcore/io_server_protocol.h"
#include "devices/xcore/sim/board_state_machine.h"
#include "devices/xcore/sim/sim_server.h"
#include "engine/model.h"
#include "engine/util/splitmix64.h"
#include "gtest/gtest.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xcore {
namespace {

using Clock = std::chrono::steady_clock;

struct FirmwareModel {
  std::string name;
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Executable> xs3;
};

// Every bundled model compiled for xs3, in BundledModelNames() order: the
// firmware of every simulated board here (model index = position).
const std::vector<FirmwareModel>& Firmware() {
  static const std::vector<FirmwareModel>* firmware = [] {
    auto* models = new std::vector<FirmwareModel>;
    auto xs3 = CreateDevice("xs3");
    if (!xs3.ok()) return models;
    for (const std::string& name : testing::BundledModelNames()) {
      auto model = Model::LoadFile(testing::BundledModelPath(name), name);
      if (!model.ok()) continue;
      auto exe = (*xs3)->Compile(*model);
      if (!exe.ok()) continue;
      models->push_back({name, *model, *exe});
    }
    return models;
  }();
  return *firmware;
}

int IndexOf(const std::string& name) {
  for (size_t i = 0; i < Firmware().size(); ++i) {
    if (Firmware()[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::unique_ptr<sim::SimServer> StartBoard(const std::string& address = "127.0.0.1:0") {
  sim::Firmware firmware;
  for (const FirmwareModel& m : Firmware()) firmware.models.push_back(m.xs3);
  auto board = sim::BoardStateMachine::Create(std::move(firmware), sim::DefaultBoardTiming());
  if (!board.ok()) return nullptr;
  auto server = sim::SimServer::Start(address, std::shared_ptr<sim::BoardStateMachine>(
                                                   std::move(*board)));
  if (!server.ok()) return nullptr;
  return std::move(*server);
}

std::vector<std::vector<uint8_t>> RandomInputs(const Model& model, uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<std::vector<uint8_t>> inputs;
  for (int i = 0; i < model.num_inputs(); ++i) {
    std::vector<uint8_t> bytes(model.input(i).bytes);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng.NextInt8());
    inputs.push_back(std::move(bytes));
  }
  return inputs;
}

absl::StatusOr<std::vector<std::vector<uint8_t>>> RunOn(
    const Executable& exe, const std::vector<std::vector<uint8_t>>& inputs,
    const InvokeOptions& options = {}, InvokeStats* stats_out = nullptr) {
  auto session = exe.NewSession();
  if (!session.ok()) return session.status();
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::copy(inputs[i].begin(), inputs[i].end(), (*session)->input(static_cast<int>(i)).begin());
  }
  auto stats = (*session)->Invoke(options);
  if (!stats.ok()) return stats.status();
  if (stats_out != nullptr) *stats_out = *stats;
  std::vector<std::vector<uint8_t>> outputs;
  for (int o = 0; o < exe.model().num_outputs(); ++o) {
    const auto out = (*session)->output(o);
    outputs.emplace_back(out.begin(), out.end());
  }
  return outputs;
}

CompileOptions Bound(int model_index) {
  CompileOptions options;
  options.firmware = FirmwareBinding{model_index, "", ""};
  return options;
}

InvokeOptions WithDeadline(std::chrono::milliseconds in) {
  InvokeOptions options;
  options.deadline = std::chrono::system_clock::now() + in;
  return options;
}

// Waits (up to 10 s) until `device` reports `state`.
bool WaitFor(const Device& device, DeviceState state) {
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until) {
    if (device.Health().state == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Health changes as the listener saw them.
struct HealthLog {
  std::mutex mu;
  std::vector<DeviceState> states;
  void Attach(Device& device) {
    device.SetHealthListener([this](const DeviceHealth& h) {
      std::lock_guard<std::mutex> lock(mu);
      states.push_back(h.state);
    });
  }
  bool Saw(DeviceState s) {
    std::lock_guard<std::mutex> lock(mu);
    return std::find(states.begin(), states.end(), s) != states.end();
  }
};

class XcoreDriverEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Firmware().empty()) << "no bundled model compiles for xs3";
    server_ = StartBoard();
    ASSERT_NE(server_, nullptr);
    catalog_ = DeviceCatalog::Create(
        DeviceCatalogOptions{.xcore_usb = false, .xcore_simulators = {server_->address()}});
    auto names = catalog_->Expand("xcore");
    ASSERT_TRUE(names.ok());
    ASSERT_EQ(*names, (std::vector<std::string>{"xcore@sim0"})) << catalog_->xcore_note();
    auto device = catalog_->Create("xcore@sim0");
    ASSERT_TRUE(device.ok()) << device.status();
    device_ = std::move(*device);
    ASSERT_EQ(device_->Health().state, DeviceState::kUp) << device_->Health().reason;
  }

  std::shared_ptr<const Executable> Compile(const std::string& name) {
    const int index = IndexOf(name);
    EXPECT_GE(index, 0) << name;
    auto exe = device_->CompileWithOptions(Firmware()[index].model, Bound(index));
    EXPECT_TRUE(exe.ok()) << exe.status();
    return exe.ok() ? *exe : nullptr;
  }

  std::unique_ptr<sim::SimServer> server_;
  std::unique_ptr<DeviceCatalog> catalog_;
  std::unique_ptr<Device> device_;
};

TEST_F(XcoreDriverEndToEndTest, EveryBundledModelReturnsWhatXs3Computes) {
  EXPECT_EQ(Firmware().size(), testing::BundledModelNames().size());
  EXPECT_NE(device_->Describe().description.find("tinyserve-xcore-sim at " + server_->address()),
            std::string::npos);
  for (size_t i = 0; i < Firmware().size(); ++i) {
    const FirmwareModel& fw = Firmware()[i];
    SCOPED_TRACE(fw.name);
    auto exe = device_->CompileWithOptions(fw.model, Bound(static_cast<int>(i)));
    ASSERT_TRUE(exe.ok()) << exe.status();
    const auto inputs = RandomInputs(*fw.model, 0x5EED0000 + i);
    InvokeStats stats;
    auto board = RunOn(**exe, inputs, WithDeadline(std::chrono::seconds(60)), &stats);
    ASSERT_TRUE(board.ok()) << board.status();
    auto xs3 = RunOn(*fw.xs3, inputs);
    ASSERT_TRUE(xs3.ok()) << xs3.status();
    EXPECT_EQ(*board, *xs3);

    ASSERT_TRUE(stats.link.has_value());
    const LinkStats& link = *stats.link;
    int64_t in_bytes = 0, out_padded = 0, transfers = 2 + fw.model->num_outputs() * 2;
    for (const auto& in : inputs) {
      in_bytes += static_cast<int64_t>(in.size());
      transfers += 2 + (in.size() % 512 == 0 ? 1 : 0);
    }
    for (int o = 0; o < fw.model->num_outputs(); ++o) {
      out_padded += static_cast<int64_t>(WordPaddedBytes(fw.model->output(o).bytes));
    }
    EXPECT_EQ(link.bytes_out, in_bytes + 3 * (fw.model->num_inputs() + 1 + fw.model->num_outputs()));
    EXPECT_EQ(link.bytes_in, out_padded);
    EXPECT_EQ(link.transfers, transfers);
    EXPECT_GT(link.host_to_board_ns, 0);
    EXPECT_GT(link.on_board_ns, 0);  // the simulator holds SEND_OUTPUT for the cycle estimate
    EXPECT_GT(link.board_to_host_ns, 0);
    EXPECT_GE(stats.device_nanoseconds,
              link.host_to_board_ns + link.on_board_ns + link.board_to_host_ns);
  }
}

TEST_F(XcoreDriverEndToEndTest, AHungBoardAnswersWithinTheDeadline) {
  auto exe = Compile("hello_world_int8");
  ASSERT_NE(exe, nullptr);
  sim::BoardFaults faults = server_->board().faults();
  faults.hang = true;
  server_->board().SetFaults(faults);
  const auto start = Clock::now();
  auto result = RunOn(*exe, RandomInputs(exe->model(), 1), WithDeadline(std::chrono::milliseconds(300)));
  const auto took = Clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().code() == absl::StatusCode::kDeadlineExceeded ||
              result.status().code() == absl::StatusCode::kUnavailable)
      << result.status();
  EXPECT_NE(result.status().message().find("xcore@sim0"), std::string::npos) << result.status();
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(XcoreDriverEndToEndTest, CancellationEndsAWaitOnAHungBoard) {
  auto exe = Compile("hello_world_int8");
  ASSERT_NE(exe, nullptr);
  sim::BoardFaults faults;
  faults.hang = true;
  server_->board().SetFaults(faults);
  const auto start = Clock::now();
  InvokeOptions options = WithDeadline(std::chrono::seconds(30));
  options.cancelled = [start] { return Clock::now() - start > std::chrono::milliseconds(100); };
  auto result = RunOn(*exe, RandomInputs(exe->model(), 1), options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled) << result.status();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(XcoreDriverEndToEndTest, ShortRepliesAreAClearErrorAndThePowerCycledBoardComesBack) {
  HealthLog log;
  log.Attach(*device_);
  auto exe = Compile("vww_96_int8");
  ASSERT_NE(exe, nullptr);
  sim::BoardFaults faults;
  faults.short_replies = true;
  server_->board().SetFaults(faults);
  const auto inputs = RandomInputs(exe->model(), 2);
  auto result = RunOn(*exe, inputs, WithDeadline(std::chrono::seconds(30)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_NE(result.status().message().find("output 0: the board sent"), std::string::npos)
      << result.status();
  EXPECT_TRUE(log.Saw(DeviceState::kDown));

  server_->board().SetFaults(sim::BoardFaults{});
  ASSERT_TRUE(WaitFor(*device_, DeviceState::kUp)) << device_->Health().reason;
  EXPECT_TRUE(log.Saw(DeviceState::kRecovering));
  auto again = RunOn(*exe, inputs, WithDeadline(std::chrono::seconds(30)));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *RunOn(*Firmware()[IndexOf("vww_96_int8")].xs3, inputs));
}

TEST_F(XcoreDriverEndToEndTest, ALostConnectionMidTransferIsAnUnplugAndAReconnectAReplug) {
  auto exe = Compile("vww_96_int8");
  ASSERT_NE(exe, nullptr);
  const auto inputs = RandomInputs(exe->model(), 3);
  server_->DisconnectAfterFrames(10);  // inside the 27648-byte input
  auto result = RunOn(*exe, inputs, WithDeadline(std::chrono::seconds(30)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_NE(result.status().message().find("disconnected"), std::string::npos) << result.status();
  EXPECT_NE(device_->Health().state, DeviceState::kUp);
  ASSERT_TRUE(WaitFor(*device_, DeviceState::kUp)) << device_->Health().reason;
  auto again = RunOn(*exe, inputs, WithDeadline(std::chrono::seconds(30)));
  ASSERT_TRUE(again.ok()) << again.status();
}

TEST_F(XcoreDriverEndToEndTest, RequestsOnOneBoardTakeTurns) {
  auto exe = Compile("hello_world_int8");
  ASSERT_NE(exe, nullptr);
  const auto& xs3 = *Firmware()[IndexOf("hello_world_int8")].xs3;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const auto inputs = RandomInputs(exe->model(), 100 + t * 10 + i);
        auto out = RunOn(*exe, inputs, WithDeadline(std::chrono::seconds(30)));
        if (out.ok() && *out == *RunOn(xs3, inputs)) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 20);
}

TEST(XcoreDriverHotPlugTest, ABoardThatAppearsIsAnnouncedAndAReplugComesBackUp) {
  ASSERT_FALSE(Firmware().empty());
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("xcore_hotplug_" + std::to_string(getpid()) + ".sock"))
                               .string();
  std::filesystem::remove(path);
  auto catalog = DeviceCatalog::Create(
      DeviceCatalogOptions{.xcore_usb = false, .xcore_simulators = {path}});
  EXPECT_TRUE(catalog->Expand("xcore")->empty());
  EXPECT_NE(catalog->xcore_note().find("sim0 (" + path + ")"), std::string::npos)
      << catalog->xcore_note();
  std::mutex mu;
  std::vector<std::string> arrived;
  catalog->WatchArrivals([&](const std::string& name) {
    std::lock_guard<std::mutex> lock(mu);
    arrived.push_back(name);
  });

  auto server = StartBoard(path);
  ASSERT_NE(server, nullptr);
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until) {
    std::lock_guard<std::mutex> lock(mu);
    if (!arrived.empty()) break;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(arrived, (std::vector<std::string>{"xcore@sim0"}));
  }
  auto device = catalog->Create("xcore@sim0");
  ASSERT_TRUE(device.ok());
  ASSERT_TRUE(WaitFor(**device, DeviceState::kUp)) << (*device)->Health().reason;
  HealthLog log;
  log.Attach(**device);
  const int index = IndexOf("hello_world_int8");
  auto exe = (*device)->CompileWithOptions(Firmware()[index].model, Bound(index));
  ASSERT_TRUE(exe.ok());
  const auto inputs = RandomInputs((*exe)->model(), 4);
  ASSERT_TRUE(RunOn(**exe, inputs, WithDeadline(std::chrono::seconds(30))).ok());

  // Unplug while idle: DOWN, and requests fail at once.
  server.reset();
  ASSERT_TRUE(WaitFor(**device, DeviceState::kDown));
  const auto start = Clock::now();
  auto down = RunOn(**exe, inputs, WithDeadline(std::chrono::seconds(30)));
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));

  // Replug: the same device comes back; no second arrival.
  server = StartBoard(path);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(WaitFor(**device, DeviceState::kUp)) << (*device)->Health().reason;
  EXPECT_TRUE(log.Saw(DeviceState::kRecovering));
  auto up = RunOn(**exe, inputs, WithDeadline(std::chrono::seconds(30)));
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_EQ(*up, *RunOn(*Firmware()[index].xs3, inputs));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(arrived.size(), 1u);
}

TEST(XcoreDriverTwoBoardsTest, TwoBoardsServeAtOnce) {
  ASSERT_FALSE(Firmware().empty());
  auto a = StartBoard();
  auto b = StartBoard();
  ASSERT_TRUE(a != nullptr && b != nullptr);
  auto catalog = DeviceCatalog::Create(DeviceCatalogOptions{
      .xcore_usb = false, .xcore_simulators = {a->address(), b->address()}});
  auto names = catalog->Expand("xcore");
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(*names, (std::vector<std::string>{"xcore@sim0", "xcore@sim1"}));
  const int index = IndexOf("vww_96_int8");
  ASSERT_GE(index, 0);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (const std::string& name : *names) {
    threads.emplace_back([&, name] {
      auto device = catalog->Create(name);
      if (!device.ok()) return;
      auto exe = (*device)->CompileWithOptions(Firmware()[index].model, Bound(index));
      if (!exe.ok()) return;
      for (int i = 0; i < 3; ++i) {
        const auto inputs = RandomInputs((*exe)->model(), 200 + i);
        auto out = RunOn(**exe, inputs, WithDeadline(std::chrono::seconds(60)));
        if (out.ok() && *out == *RunOn(*Firmware()[index].xs3, inputs)) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 6);
  EXPECT_EQ(a->board().invokes(), 3);
  EXPECT_EQ(b->board().invokes(), 3);
}

}  // namespace
}  // namespace tinyserve::xcore
