// The umockdev testbed, proven with an independent raw-libusb program
// (umockdev_probe) run as its child: libusb's own Linux backend enumerates the
// simulated boards, reads their strings, moves io_server traffic, times out on
// a hung board, reports NO_DEVICE on unplug and fires hot-plug callbacks.
#include "tests/devices/xcore/umockdev_board_testbed.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "devices/device_registry.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xcore::testing {
namespace {

using Bytes = std::vector<uint8_t>;
using tinyserve::testing::CommandResult;
using tinyserve::testing::RunCommand;
using tinyserve::testing::TempPath;

std::shared_ptr<const Executable> Xs3Executable(const std::string& name) {
  auto model = Model::LoadFile(tinyserve::testing::BundledModelPath(name));
  EXPECT_TRUE(model.ok()) << model.status();
  auto device = CreateDevice("xs3");
  auto exe = (*device)->Compile(*model);
  EXPECT_TRUE(exe.ok()) << exe.status();
  return *exe;
}

std::shared_ptr<sim::BoardStateMachine> MakeBoard(const std::string& name) {
  sim::Firmware firmware;
  firmware.models.push_back(Xs3Executable(name));
  auto board = sim::BoardStateMachine::Create(std::move(firmware), sim::DefaultBoardTiming());
  EXPECT_TRUE(board.ok()) << board.status();
  return std::shared_ptr<sim::BoardStateMachine>(std::move(*board));
}

class UmockdevTestbedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto testbed = UmockdevBoardTestbed::Create();
    ASSERT_TRUE(testbed.ok()) << testbed.status();
    testbed_ = std::move(*testbed);
  }
  CommandResult Probe(const std::string& args) {
    return RunCommand(testbed_->ShellPrefix() + TINYSERVE_UMOCKDEV_PROBE + " " + args);
  }
  // Runs the probe on another thread; the test acts once it wrote `ready`.
  std::future<CommandResult> ProbeInBackground(const std::string& args, const std::string& ready) {
    auto future = std::async(std::launch::async, [this, args] { return Probe(args); });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(ready) && std::chrono::steady_clock::now() < until &&
           future.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
    }
    EXPECT_TRUE(std::filesystem::exists(ready)) << "the probe never got ready";
    return future;
  }

  std::unique_ptr<UmockdevBoardTestbed> testbed_;
};

TEST_F(UmockdevTestbedTest, LibusbEnumeratesTheBoardsByPortPath) {
  ASSERT_EQ(testbed_->AddBoard("1-2", MakeBoard("hello_world_int8")), absl::OkStatus());
  ASSERT_EQ(testbed_->AddBoard("1-3.1", MakeBoard("hello_world_int8")), absl::OkStatus());
  const CommandResult result = Probe("list");
  EXPECT_EQ(result.exit_code, 0) << result.output << result.error;
  // LIBUSB_SPEED_HIGH is 3; no serial number string.
  EXPECT_NE(result.output.find("device 1-2 20b1:a15e speed=3 serial_index=0"), std::string::npos)
      << result.output << result.error;
  EXPECT_NE(result.output.find("device 1-3.1 20b1:a15e speed=3 serial_index=0"),
            std::string::npos)
      << result.output;
}

TEST_F(UmockdevTestbedTest, IoServerExchangeThroughLibusbEqualsXs3OnTwoBoards) {
  struct Board {
    std::string path;
    std::string model;
  };
  const Board boards[] = {{"1-2", "vww_96_int8"}, {"1-3", "hello_world_int8"}};
  for (const Board& b : boards) ASSERT_EQ(testbed_->AddBoard(b.path, MakeBoard(b.model)), absl::OkStatus());
  for (const Board& b : boards) {
    SCOPED_TRACE(b.path);
    auto exe = Xs3Executable(b.model);
    Bytes input(exe->model().input(0).bytes);
    std::mt19937 rng(17);
    for (auto& byte : input) byte = static_cast<uint8_t>(rng());
    const std::string input_file = TempPath("input.bin");
    const std::string output_file = TempPath("output.bin");
    std::ofstream(input_file, std::ios::binary)
        .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
    const size_t output_bytes = exe->model().output(0).bytes;
    const CommandResult result = Probe("classify " + b.path + " " + input_file + " " +
                                       std::to_string(output_bytes) + " " + output_file);
    ASSERT_EQ(result.exit_code, 0) << result.output << result.error;
    EXPECT_NE(result.output.find("product xAISRV"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("received " + std::to_string((output_bytes + 3) / 4 * 4) +
                                 " bytes"),
              std::string::npos)
        << result.output;
    std::ifstream in(output_file, std::ios::binary);
    const Bytes output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    auto session = exe->NewSession();
    std::memcpy((*session)->input(0).data(), input.data(), input.size());
    ASSERT_TRUE((*session)->Invoke(InvokeOptions{}).ok());
    const auto expected = (*session)->output(0);
    EXPECT_EQ(output, Bytes(expected.begin(), expected.end()));
    EXPECT_EQ(testbed_->board(b.path)->invokes(), 1);
  }
}

TEST_F(UmockdevTestbedTest, HungBoardTimesOutInLibusb) {
  auto board = MakeBoard("hello_world_int8");
  sim::BoardFaults faults;
  faults.hang = true;
  board->SetFaults(faults);
  ASSERT_EQ(testbed_->AddBoard("1-2", board), absl::OkStatus());
  const CommandResult result = Probe("hung 1-2 300");
  EXPECT_EQ(result.exit_code, 0) << result.output << result.error;
  EXPECT_NE(result.output.find("result LIBUSB_ERROR_TIMEOUT"), std::string::npos) << result.output;
}

TEST_F(UmockdevTestbedTest, UnplugGivesNoDeviceToAnOpenHandle) {
  ASSERT_EQ(testbed_->AddBoard("1-2", MakeBoard("hello_world_int8")), absl::OkStatus());
  const std::string ready = TempPath("ready");
  auto probe = ProbeInBackground("unplug 1-2 " + ready, ready);
  ASSERT_EQ(testbed_->Unplug("1-2"), absl::OkStatus());
  const CommandResult result = probe.get();
  EXPECT_EQ(result.exit_code, 0) << result.output << result.error;
  EXPECT_NE(result.output.find("result LIBUSB_ERROR_NO_DEVICE"), std::string::npos)
      << result.output;
  // Gone for new programs too.
  const CommandResult list = Probe("list");
  EXPECT_EQ(list.output.find("device 1-2 "), std::string::npos) << list.output;
}

TEST_F(UmockdevTestbedTest, HotplugCallbacksFireOnUnplugAndReplug) {
  ASSERT_EQ(testbed_->AddBoard("1-2", MakeBoard("hello_world_int8")), absl::OkStatus());
  const std::string ready = TempPath("ready");
  auto probe = ProbeInBackground("hotplug " + ready, ready);
  const std::string first_node = testbed_->device_node("1-2");
  // The events reach the probe in order over one socket: remove, then add.
  ASSERT_EQ(testbed_->Unplug("1-2"), absl::OkStatus());
  ASSERT_EQ(testbed_->Replug("1-2"), absl::OkStatus());
  EXPECT_NE(testbed_->device_node("1-2"), first_node) << "a replugged device gets a new address";
  const CommandResult result = probe.get();
  EXPECT_EQ(result.exit_code, 0) << result.output << result.error;
  EXPECT_NE(result.output.find("left 1-2"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("arrived 1-2"), std::string::npos) << result.output;
  // And the replugged board works.
  const std::string input_file = TempPath("input.bin");
  std::ofstream(input_file, std::ios::binary).put(5);
  const CommandResult classify =
      Probe("classify 1-2 " + input_file + " 1 " + TempPath("output.bin"));
  EXPECT_EQ(classify.exit_code, 0) << classify.output << classify.error;
}

TEST_F(UmockdevTestbedTest, RefusesBadPathsAndUnknownBoards) {
  auto board = MakeBoard("hello_world_int8");
  for (const char* bad : {"", "1", "x-2", "1-", "1-0", "1-2..3", "300-1"}) {
    EXPECT_EQ(testbed_->AddBoard(bad, board).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  ASSERT_EQ(testbed_->AddBoard("2-1", board), absl::OkStatus());
  EXPECT_EQ(testbed_->AddBoard("2-1", board).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(testbed_->device_node("2-1"), "/dev/bus/usb/002/002");
  EXPECT_EQ(testbed_->Unplug("9-9").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(testbed_->Replug("2-1").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tinyserve::xcore::testing
