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

// The xs3 device's compile report: per-op placement, output transform, and
// cycles and chip time on 1 and 5 threads, in text and JSON.
TEST(ModelToolTest, InspectXs3ReportsPlacementCyclesAndChipTime) {
  const std::string model = testing::BundledModelPath("kws_ref_model");
  auto r = RunTool("inspect " + model + " --device xs3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* text : {"xs3 compile report", "us 1T", "us 5T", "vpu", "reference: ",
                           "group", "total: ", "ms on 5 threads"}) {
    EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
  }
  r = RunTool("inspect " + model + " --device xs3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto doc = nlohmann::json::parse(r.output);
  const auto& xs3 = doc["xs3"];
  ASSERT_EQ(xs3["ops"].size(), 13u);
  int64_t sum = 0;
  for (const auto& op : xs3["ops"]) {
    EXPECT_TRUE(op["placement"] == "vpu" || op["placement"] == "reference") << op;
    EXPECT_GT(op["cycles_1_thread"].get<int64_t>(), 0) << op;
    EXPECT_NEAR(op["us_1_thread"].get<double>(), op["cycles_1_thread"].get<double>() / 600.0,
                1e-9);
    if (op["placement"] == "vpu" && op["op"] != "MAX_POOL_2D") {
      EXPECT_TRUE(op["output_transform"].is_string()) << op;
    }
    sum += op["cycles_1_thread"].get<int64_t>();
  }
  EXPECT_EQ(xs3["total"]["cycles_1_thread"].get<int64_t>(), sum);
  EXPECT_LT(xs3["total"]["cycles_5_threads"].get<int64_t>(), sum);
  // The clock of XMOS's profiled board (cycle_model.h kTileClockMhz: its
  // XC_pad_3_to_4 time matches lib_nn's instruction count at 600 MHz only).
  EXPECT_EQ(xs3["clock_mhz"], 600.0);
  // Other devices have no xs3 section.
  r = RunTool("inspect " + model + " --json");
  EXPECT_FALSE(nlohmann::json::parse(r.output).contains("xs3"));
}

// `inspect --device xs3 --profile`: per node and per class in the layout of
// XMOS's profiler, on 1 and 5 threads; in JSON the same with ticks that add up.
TEST(ModelToolTest, InspectXs3ProfileInXmosLayout) {
  const std::string model = testing::BundledModelPath("vww_96_int8");
  auto r = RunTool("inspect " + model + " --device xs3 --profile");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* text : {"xs3 compile report", "xs3 profile of 'vww_96_int8'",
                           "--- 1 thread ---", "--- 5 threads ---", "node 0/pad_3_to_4",
                           "OP_XC_pad_3_to_4", "OP_XC_conv2d_v2", "OP_SOFTMAX",
                           "Cumulative times for invoke()...", "Total time for invoke() - "}) {
    EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
  }
  r = RunTool("inspect " + model + " --device xs3 --json --profile");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto doc = nlohmann::json::parse(r.output);
  const auto& profile = doc["xs3"]["profile"];
  EXPECT_EQ(profile["tick_ns"], 10.0);
  for (const char* threads : {"1_thread", "5_threads"}) {
    SCOPED_TRACE(threads);
    const std::string ticks = std::string("ticks_") + threads;
    const std::string cycles = std::string("cycles_") + threads;
    int64_t node_ticks = 0, node_cycles = 0, class_ticks = 0;
    for (const auto& node : profile["nodes"]) {
      EXPECT_GT(node[ticks].get<int64_t>(), 0) << node;
      node_ticks += node[ticks].get<int64_t>();
      node_cycles += node[cycles].get<int64_t>();
    }
    size_t counted = 0;
    for (const auto& c : profile["classes"]) {
      class_ticks += c[ticks].get<int64_t>();
      counted += c["count"].get<size_t>();
      EXPECT_NEAR(c[std::string("ms_") + threads].get<double>(),
                  c[ticks].get<double>() * 1e-5, 1e-9) << c;
    }
    EXPECT_EQ(counted, profile["nodes"].size());
    EXPECT_EQ(node_ticks, profile["total"][ticks].get<int64_t>());
    EXPECT_EQ(class_ticks, profile["total"][ticks].get<int64_t>());
    EXPECT_EQ(node_cycles, doc["xs3"]["total"][cycles].get<int64_t>());
  }
  EXPECT_LE(profile["total"]["ticks_5_threads"].get<int64_t>(),
            profile["total"]["ticks_1_thread"].get<int64_t>());
  // Without --profile the JSON has no profile; without xs3 --profile is refused.
  r = RunTool("inspect " + model + " --device xs3 --json");
  EXPECT_FALSE(nlohmann::json::parse(r.output)["xs3"].contains("profile"));
  r = RunTool("inspect " + model + " --profile");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--profile needs --device xs3"), std::string::npos) << r.output;
}

TEST(ModelToolTest, BenchAndRunOnXs3ReportChipCyclesAndSaturations) {
  const std::string model = testing::BundledModelPath("hello_world_int8");
  auto r = RunTool("bench " + model + " --device xs3 --iterations 3 --warmup 0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto doc = nlohmann::json::parse(r.output);
  EXPECT_GT(doc["chip_cycles"].get<int64_t>(), 0);
  EXPECT_NEAR(doc["estimated_chip_us"].get<double>(), doc["chip_cycles"].get<double>() / 600.0,
              1e-6);
  EXPECT_GE(doc["saturation_events"].get<int64_t>(), 0);
  r = RunTool("bench " + model + " --device xs3 --iterations 3 --warmup 0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("chip: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("saturation events"), std::string::npos) << r.output;
  r = RunTool("bench " + model + " --device ref --iterations 3 --warmup 0 --json");
  EXPECT_FALSE(nlohmann::json::parse(r.output).contains("chip_cycles"));

  const std::string in = TempPath("hw_in.bin"), out = TempPath("hw_out.bin");
  { std::ofstream(in, std::ios::binary) << 'x'; }
  r = RunTool("run " + model + " --device xs3 --input " + in + " --output " + out);
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("chip: "), std::string::npos) << r.output;
}

TEST(ModelToolTest, FidelityJsonOnRandomInputsReportsEndToEndAndPerOp) {
  const auto r = RunTool("fidelity " + testing::BundledModelPath("kws_ref_model") +
                         " --random 3 --seed 7 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto doc = nlohmann::json::parse(r.output);
  EXPECT_EQ(doc["device"], "xs3");
  EXPECT_EQ(doc["against"], "ref");
  EXPECT_EQ(doc["inferences"], 3);
  EXPECT_EQ(doc["end_to_end"]["elements"], 3 * 12);
  EXPECT_EQ(doc["top1"]["compared"], 3);
  EXPECT_GE(doc["saturation_events"].get<int64_t>(), 0);
  ASSERT_EQ(doc["ops"].size(), 13u);
  double worst = 0;
  for (const auto& op : doc["ops"]) {
    const double d = op["max_abs_diff_lsb"];
    worst = std::max(worst, d);
    // Same input on both sides: within XMOS's 1 LSB per op, references exact.
    EXPECT_LE(d, 1.0) << op;
    if (op["placement"] == "reference") {
      EXPECT_EQ(d, 0.0) << op;
    }
    EXPECT_GT(op["elements"].get<int64_t>(), 0) << op;
  }
  EXPECT_EQ(doc["worst_op_max_abs_diff_lsb"].get<double>(), worst);
}

TEST(ModelToolTest, FidelityOnOracleInputsPrintsTables) {
  const auto oracle = testing::OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  const auto r = RunTool("fidelity " + testing::BundledModelPath("hello_world_int8") +
                         " --oracle " + *oracle + "/hello_world_int8");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // 14 vector files, one of them the 256-input sweep.
  EXPECT_NE(r.output.find("270 inferences"), std::string::npos) << r.output;
  for (const char* text : {"end to end: ", "top-1 n/a", "16-bit saturation events",
                           "per op", "FULLY_CONNECTED", "worst per-op max |d|: 1 LSB"}) {
    EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
  }
}

TEST(ModelToolTest, FidelityNeedsInputsAndTheXs3Device) {
  const std::string model = testing::BundledModelPath("hello_world_int8");
  auto r = RunTool("fidelity " + model);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("needs --oracle DIR or --random N"), std::string::npos) << r.output;
  r = RunTool("fidelity " + model + " --device ref --random 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("is not xs3"), std::string::npos) << r.output;
  r = RunTool("fidelity " + model + " --oracle /no/such/dir");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("cannot open oracle index"), std::string::npos) << r.output;
  r = RunTool("fidelity " + model + " --oracle /tmp --random 2");
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace tinyserve
