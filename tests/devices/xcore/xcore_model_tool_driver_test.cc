// tinyserve-model on a board without a server: run and bench with --device
// xcore / xcore@simN against a simulated board (the simulator's server
// in-process, the tool as a child process).
#include <filesystem>
#include <fstream>
#include <string>

#include "devices/device_registry.h"
#include "devices/xcore/sim/board_state_machine.h"
#include "devices/xcore/sim/sim_server.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xcore {
namespace {

using testing::BundledModelPath;
using testing::TempPath;

testing::CommandResult Tool(const std::string& args) {
  testing::CommandResult r = testing::RunCommand(std::string(TINYSERVE_MODEL_TOOL) + " " + args);
  r.output += r.error;
  return r;
}

class ModelToolOnABoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Firmware: model 0 hello_world, model 1 vww.
    sim::Firmware firmware;
    auto xs3 = CreateDevice("xs3");
    ASSERT_TRUE(xs3.ok());
    for (const char* name : {"hello_world_int8", "vww_96_int8"}) {
      auto model = Model::LoadFile(BundledModelPath(name));
      ASSERT_TRUE(model.ok());
      auto exe = (*xs3)->Compile(*model);
      ASSERT_TRUE(exe.ok());
      firmware.models.push_back(*exe);
    }
    auto board = sim::BoardStateMachine::Create(std::move(firmware), sim::DefaultBoardTiming());
    ASSERT_TRUE(board.ok());
    auto server = sim::SimServer::Start(
        "127.0.0.1:0", std::shared_ptr<sim::BoardStateMachine>(std::move(*board)));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  std::unique_ptr<sim::SimServer> server_;
};

TEST_F(ModelToolOnABoardTest, RunOnTheBoardWritesWhatXs3ComputesAndPrintsTheLink) {
  const std::string in = TempPath("vww_in.bin");
  {
    std::ofstream f(in, std::ios::binary);
    for (int i = 0; i < 96 * 96 * 3; ++i) f.put(static_cast<char>(i * 31 + 7));
  }
  const std::string board_out = TempPath("vww_board.bin"), xs3_out = TempPath("vww_xs3.bin");
  const auto board = Tool("run " + BundledModelPath("vww_96_int8") +
                          " --device xcore --xcore_sim " + server_->address() +
                          " --xcore_model_index 1 --input " + in + " --output " + board_out);
  ASSERT_EQ(board.exit_code, 0) << board.output;
  EXPECT_NE(board.output.find("link: 7 transfers, 27657 B out, 4 B in; host->board "),
            std::string::npos)
      << board.output;
  const auto xs3 = Tool("run " + BundledModelPath("vww_96_int8") + " --device xs3 --input " + in +
                        " --output " + xs3_out);
  ASSERT_EQ(xs3.exit_code, 0) << xs3.output;
  EXPECT_EQ(testing::ReadBytes(board_out), testing::ReadBytes(xs3_out));
  for (const auto& p : {in, board_out, xs3_out}) std::filesystem::remove(p);
}

TEST_F(ModelToolOnABoardTest, BenchReportsLinkFiguresPerInference) {
  const auto r = Tool("bench " + BundledModelPath("hello_world_int8") +
                      " --device xcore@sim0 --xcore_sim " + server_->address() +
                      " --iterations 5 --warmup 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto doc = nlohmann::json::parse(r.output);
  EXPECT_EQ(doc["device"], "xcore@sim0");
  ASSERT_TRUE(doc.contains("link")) << r.output;
  EXPECT_EQ(doc["link"]["transfers"], 6);  // 4-byte input: no ZLP after it
  EXPECT_EQ(doc["link"]["bytes_in"], 4);
  EXPECT_GT(doc["link"]["on_board_median_us"].get<double>(), 0.0);
  EXPECT_EQ(server_->board().invokes(), 6);
}

TEST_F(ModelToolOnABoardTest, AMismatchedFirmwareModelIsRefusedNamingBoth) {
  const auto r = Tool("run " + BundledModelPath("hello_world_int8") + " --device xcore --xcore_sim " +
                      server_->address() + " --firmware_model " + BundledModelPath("vww_96_int8") +
                      " --input /dev/null --output /dev/null");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("tinyserve-model: error: xcore@sim0: the served model and the "
                          "firmware's model"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("'hello_world_int8' does not match '" + BundledModelPath("vww_96_int8") +
                          "': input 0"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(server_->board().invokes(), 0);
}

TEST(ModelToolWithoutABoardTest, SaysWhyNoBoardWasFound) {
  const auto r = Tool("run " + BundledModelPath("hello_world_int8") +
                      " --device xcore --xcore_sim 127.0.0.1:1 --input /dev/null --output /dev/null");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("tinyserve-model: error: no xcore board found"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("sim0 (127.0.0.1:1)"), std::string::npos) << r.output;
}

TEST(ModelToolWithoutABoardTest, HelpDescribesTheBoardOptions) {
  const auto r = Tool("run --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option : {"--xcore_sim", "--xcore_model_index", "--firmware_model",
                             "xcore@BUS-PORT"}) {
    EXPECT_NE(r.output.find(option), std::string::npos) << option << "\n" << r.output;
  }
}

}  // namespace
}  // namespace tinyserve::xcore
