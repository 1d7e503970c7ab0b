// tinyserve-model end to end: the real binary, its files and exit codes.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <unistd.h>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

// Runs tinyserve-model with `args`; output holds stdout then stderr.
testing::CommandResult RunTool(const std::string& args) {
  testing::CommandResult r = testing::RunCommand(std::string(TINYSERVE_MODEL_TOOL) + " " + args);
  r.output += r.error;
  return r;
}

using testing::TempPath;

TEST(ModelToolTest, RunReproducesOracleOutputsByteForByte) {
  const auto oracle = testing::OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  int checked = 0;
  for (const std::string& name : testing::BundledModelNames()) {
    const std::string dir = *oracle + "/" + name;
    if (!std::filesystem::exists(dir + "/inputs/input_00.bin")) continue;
    for (const char* vector : {"00", "05"}) {
      const std::string out = TempPath(name + ".bin");
      const auto run = RunTool("run " + testing::BundledModelPath(name) +
                                 " --device ref --input " + dir + "/inputs/input_" + vector +
                                 ".bin --output " + out);
      ASSERT_EQ(run.exit_code, 0) << run.output;
      EXPECT_EQ(testing::ReadBytes(out),
                testing::ReadBytes(dir + "/outputs/output_" + vector + ".bin"))
          << name << " vector " << vector;
      std::filesystem::remove(out);
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(ModelToolTest, RunRejectsWrongInputSizeWithOneLineError) {
  const std::string in = TempPath("short.bin");
  { std::ofstream(in) << "abc"; }
  const auto r = RunTool("run " + testing::BundledModelPath("kws_ref_model") +
                           " --device ref --input " + in + " --output " + TempPath("o.bin"));
  std::filesystem::remove(in);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("tinyserve-model: error: input file"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("needs 490"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(ModelToolTest, UnknownDeviceAndBadModelFail) {
  auto r = RunTool("bench " + testing::BundledModelPath("kws_ref_model") + " --device nope");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("unknown device 'nope'"), std::string::npos) << r.output;
  r = RunTool("inspect /dev/null");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("too short to be a TFLite model"), std::string::npos) << r.output;
  r = RunTool("inspect /no/such/model.tflite");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("cannot open"), std::string::npos) << r.output;
}

TEST(ModelToolTest, InspectJsonHasOpsMacsAndArena) {
  const auto r = RunTool("inspect " + testing::BundledModelPath("kws_ref_model") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto doc = nlohmann::json::parse(r.output);
  EXPECT_EQ(doc["model"], "kws_ref_model");
  EXPECT_EQ(doc["operators"].size(), 13u);
  EXPECT_EQ(doc["operators"][0]["op"], "CONV_2D");
  // DS-CNN's published figure is 2.66 M MACs; 49x10 input, 10x4 stride-2 conv to 25x5x64, ...
  EXPECT_EQ(doc["total_macs"].get<int64_t>(), 2656768);
  EXPECT_GT(doc["arena_bytes"].get<int64_t>(), 0);
  EXPECT_GT(doc["weight_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(doc["tensors"][0]["zero_point"][0], 83);
}

TEST(ModelToolTest, BenchJsonReportsOrderedLatencies) {
  const auto r = RunTool("bench " + testing::BundledModelPath("hello_world_int8") +
                           " --device ref --iterations 20 --warmup 2 --per-op --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto doc = nlohmann::json::parse(r.output);
  EXPECT_EQ(doc["iterations"], 20);
  const double min = doc["min_us"], median = doc["median_us"], p90 = doc["p90_us"],
               max = doc["max_us"];
  EXPECT_LE(min, median);
  EXPECT_LE(median, p90);
  EXPECT_LE(p90, max);
  EXPECT_EQ(doc["per_op"].size(), 3u);
}

}  // namespace
}  // namespace tinyserve
