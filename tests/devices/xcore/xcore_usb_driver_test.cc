// The production USB path end to end: libusb-1.0's own Linux backend, the
// board inventory (enumeration, hot-plug), the libusb transport and the xcore
// device, in a child process (xcore_usb_driver_probe) run under the umockdev
// testbed whose simulated boards answer the usbfs ioctls.
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "devices/device_registry.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/devices/xcore/umockdev_board_testbed.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xcore::testing {
namespace {

using tinyserve::testing::BundledModelPath;
using tinyserve::testing::CommandResult;
using tinyserve::testing::RunCommand;
using tinyserve::testing::TempPath;

std::shared_ptr<sim::BoardStateMachine> MakeBoard(const std::vector<std::string>& names) {
  sim::Firmware firmware;
  auto xs3 = CreateDevice("xs3");
  EXPECT_TRUE(xs3.ok());
  for (const std::string& name : names) {
    auto model = Model::LoadFile(BundledModelPath(name));
    EXPECT_TRUE(model.ok()) << model.status();
    auto exe = (*xs3)->Compile(*model);
    EXPECT_TRUE(exe.ok()) << exe.status();
    firmware.models.push_back(*exe);
  }
  auto board = sim::BoardStateMachine::Create(std::move(firmware), sim::DefaultBoardTiming());
  EXPECT_TRUE(board.ok()) << board.status();
  return std::shared_ptr<sim::BoardStateMachine>(std::move(*board));
}

bool WaitForFile(const std::string& path, std::future<CommandResult>& child) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(path) && std::chrono::steady_clock::now() < until) {
    if (child.wait_for(std::chrono::milliseconds(10)) == std::future_status::ready) break;
  }
  return std::filesystem::exists(path);
}

class XcoreUsbDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto testbed = UmockdevBoardTestbed::Create();
    ASSERT_TRUE(testbed.ok()) << testbed.status();
    testbed_ = std::move(*testbed);
  }
  CommandResult Probe(const std::string& args) {
    CommandResult r =
        RunCommand(absl::StrCat(testbed_->ShellPrefix(), TINYSERVE_XCORE_USB_DRIVER_PROBE, " ", args));
    r.output += r.error;
    return r;
  }
  std::future<CommandResult> ProbeInBackground(const std::string& args) {
    return std::async(std::launch::async, [this, args] { return Probe(args); });
  }
  static bool Has(const CommandResult& r, const std::string& text) {
    return r.output.find(text) != std::string::npos;
  }

  std::unique_ptr<UmockdevBoardTestbed> testbed_;
};

TEST_F(XcoreUsbDriverTest, EnumeratesAndClassifiesOnEveryModelOfTheFirmware) {
  const std::vector<std::string> names = {"hello_world_int8", "vww_96_int8", "kws_ref_model"};
  ASSERT_TRUE(testbed_->AddBoard("1-2", MakeBoard(names)).ok());
  std::string args = "classify";
  for (const auto& n : names) absl::StrAppend(&args, " ", BundledModelPath(n));
  const CommandResult r = Probe(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r, "boards: xcore@1-2\n")) << r.output;
  EXPECT_TRUE(Has(r, "xcore.ai board on USB at bus-port 1-2")) << r.output;
  for (int m = 0; m < 3; ++m) {
    EXPECT_TRUE(Has(r, absl::StrCat("xcore@1-2 model ", m, ": MATCH"))) << r.output;
  }
  // vww: RECV_INPUT + 27648 bytes + ZLP, INVOKE + ZLP, SEND_OUTPUT + read.
  EXPECT_TRUE(Has(r, "model 1: MATCH transfers=7 bytes_out=27657 bytes_in=4")) << r.output;
}

TEST_F(XcoreUsbDriverTest, TwoBoardsAreServedAtOnce) {
  ASSERT_TRUE(testbed_->AddBoard("1-2", MakeBoard({"vww_96_int8"})).ok());
  ASSERT_TRUE(testbed_->AddBoard("1-3.1", MakeBoard({"vww_96_int8"})).ok());
  const CommandResult r = Probe(absl::StrCat("classify ", BundledModelPath("vww_96_int8")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r, "boards: xcore@1-2 xcore@1-3.1\n")) << r.output;
  EXPECT_TRUE(Has(r, "xcore@1-2 model 0: MATCH")) << r.output;
  EXPECT_TRUE(Has(r, "xcore@1-3.1 model 0: MATCH")) << r.output;
  EXPECT_EQ(testbed_->board("1-2")->invokes(), 1);
  EXPECT_EQ(testbed_->board("1-3.1")->invokes(), 1);
}

TEST_F(XcoreUsbDriverTest, AHungBoardAnswersWithinTheDeadlineWhileOtherDevicesServe) {
  ASSERT_TRUE(testbed_->AddBoard("1-2", MakeBoard({"vww_96_int8"})).ok());
  sim::BoardFaults faults;
  faults.hang_after_out_packets = 4;  // takes RECV_INPUT and some data, then NAKs for ever
  testbed_->board("1-2")->SetFaults(faults);
  const CommandResult r = Probe(absl::StrCat("hung ", BundledModelPath("vww_96_int8")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r, "health: UP")) << r.output;
  EXPECT_TRUE(Has(r, "status: DEADLINE_EXCEEDED: xcore@1-2")) << r.output;
  EXPECT_TRUE(Has(r, "other device: OK")) << r.output;
  const size_t at = r.output.find("elapsed_ms: ");
  ASSERT_NE(at, std::string::npos) << r.output;
  EXPECT_LT(std::stoi(r.output.substr(at + 12)), 3000) << r.output;  // deadline 500 ms
  // It took part of the input: out of step until replugged.
  EXPECT_TRUE(Has(r, "health after: DOWN out of step")) << r.output;
}

TEST_F(XcoreUsbDriverTest, ShortRepliesAreAClearErrorNotACrash) {
  ASSERT_TRUE(testbed_->AddBoard("1-2", MakeBoard({"vww_96_int8"})).ok());
  sim::BoardFaults faults;
  faults.short_replies = true;
  testbed_->board("1-2")->SetFaults(faults);
  const CommandResult r = Probe(absl::StrCat("error ", BundledModelPath("vww_96_int8")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r, "status: UNAVAILABLE: xcore@1-2: output 0: the board sent")) << r.output;
  EXPECT_TRUE(Has(r, "health after: DOWN")) << r.output;
}

TEST_F(XcoreUsbDriverTest, UnplugIsDownAndUnavailableReplugIsUpAgain) {
  ASSERT_TRUE(testbed_->AddBoard("1-2", MakeBoard({"hello_world_int8"})).ok());
  const std::string ready = TempPath("replug");
  auto child = ProbeInBackground(absl::StrCat("replug ", BundledModelPath("hello_world_int8"), " ", ready));
  ASSERT_TRUE(WaitForFile(absl::StrCat(ready, ".up"), child)) << child.get().output;
  ASSERT_TRUE(testbed_->Unplug("1-2").ok());
  ASSERT_TRUE(WaitForFile(absl::StrCat(ready, ".down"), child)) << child.get().output;
  ASSERT_TRUE(testbed_->Replug("1-2").ok());
  const CommandResult r = child.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r, "first: MATCH")) << r.output;
  EXPECT_TRUE(Has(r, "down: unplugged")) << r.output;
  EXPECT_TRUE(Has(r, "while down: ERROR UNAVAILABLE: xcore@1-2 is DOWN")) << r.output;
  const size_t at = r.output.find("while down ms: ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_LT(std::stoi(r.output.substr(at + 15)), 1000) << r.output;  // at once
  EXPECT_TRUE(Has(r, "saw RECOVERING: yes")) << r.output;
  EXPECT_TRUE(Has(r, "after replug: MATCH")) << r.output;
  for (const char* stage : {".up", ".down"}) std::filesystem::remove(absl::StrCat(ready, stage));
}

TEST_F(XcoreUsbDriverTest, ABoardPluggedInLaterIsAnnounced) {
  const std::string ready = TempPath("arrival");
  auto child = ProbeInBackground(absl::StrCat("arrival ", BundledModelPath("hello_world_int8"), " ", ready));
  ASSERT_TRUE(WaitForFile(absl::StrCat(ready, ".watching"), child)) << child.get().output;
  ASSERT_TRUE(testbed_->AddBoard("1-4", MakeBoard({"hello_world_int8"})).ok());
  const CommandResult r = child.get();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Has(r, "boards at start: 0")) << r.output;
  EXPECT_TRUE(Has(r, "arrived: xcore@1-4")) << r.output;
  EXPECT_TRUE(Has(r, "classify: MATCH")) << r.output;
  std::filesystem::remove(absl::StrCat(ready, ".watching"));
}

}  // namespace
}  // namespace tinyserve::xcore::testing
