// tinyserve-cli ab and bench end to end against a real server process (the
// test server binary: the real devices plus the test-only "perturb" device,
// which changes one output byte, so disagreements are known in advance).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_process.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

// The output byte the perturb device increments (kws_ref_model has 12
// outputs; hello_world_int8 has 1, so there the perturb device fails).
constexpr int kPerturbIndex = 5;

class AbBenchTest : public SharedServerTest<AbBenchTest> {
 protected:
  static void SetUpTestSuite() {
    StartServer(PerturbTestServerConfig("ref,host,perturb", kPerturbIndex));
  }

  static CommandResult Cli(const std::string& args) {
    return RunCommand(std::string(TINYSERVE_CLI_BINARY) + " --server " + server_->grpc_address() +
                      " " + args);
  }
  // Runs the command, expects `exit_code` and a JSON document on stdout.
  static nlohmann::json CliJson(const std::string& args, int exit_code = 0) {
    const CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, exit_code) << args << "\n" << r.error << r.output;
    try {
      return nlohmann::json::parse(r.output);
    } catch (const nlohmann::json::exception& e) {
      ADD_FAILURE() << args << ": not JSON (" << e.what() << "):\n" << r.output << r.error;
      return nlohmann::json::object();
    }
  }
};

// A latency summary with samples: positive and ordered.
void ExpectPlausible(const nlohmann::json& s, int64_t count, const std::string& what) {
  SCOPED_TRACE(what + ": " + s.dump());
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["count"].get<int64_t>(), count);
  if (count == 0) return;
  const double min = s["min"], p50 = s["p50"], p90 = s["p90"], p95 = s["p95"], p99 = s["p99"],
               max = s["max"], mean = s["mean"];
  EXPECT_GT(min, 0);
  EXPECT_LE(min, p50);
  EXPECT_LE(p50, p90);
  EXPECT_LE(p90, p95);
  EXPECT_LE(p95, p99);
  EXPECT_LE(p99, max);
  EXPECT_LE(min, mean);
  EXPECT_LE(mean, max);
  EXPECT_LT(max, 60e6);  // under a minute
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(AbBenchTest, AbRefVsHostRandomIsBitExact) {
  const auto doc = CliJson("ab --model ad01_int8 --devices ref,host --random 20 --json");
  EXPECT_EQ(doc["command"], "ab");
  EXPECT_EQ(doc["model"], "ad01_int8");
  EXPECT_EQ(doc["kind"], "AUTOENCODER");
  EXPECT_EQ(doc["devices"], (nlohmann::json{"ref", "host"}));
  EXPECT_EQ(doc["inputs"], 20);
  EXPECT_EQ(doc["compared"], 20);
  EXPECT_EQ(doc["failed"], 0);
  EXPECT_TRUE(doc["errors"].empty()) << doc["errors"];
  ASSERT_EQ(doc["pairs"].size(), 1u);
  const auto& pair = doc["pairs"][0];
  EXPECT_EQ(pair["device_a"], "ref");
  EXPECT_EQ(pair["device_b"], "host");
  EXPECT_EQ(pair["compared"], 20);
  EXPECT_EQ(pair["exact"], 20);
  EXPECT_EQ(pair["exact_rate"], 1.0);
  EXPECT_EQ(pair["max_abs_diff"], 0);
  EXPECT_EQ(pair["differing_elements"], 0);
  EXPECT_EQ(pair["max_abs_diff_histogram"]["0"], 20);
  EXPECT_EQ(pair["max_abs_diff_histogram"]["32+"], 0);
  EXPECT_EQ(pair["top1_agree"], nullptr);  // not a classifier
  EXPECT_EQ(doc["mismatches_total"], 0);
  ASSERT_EQ(doc["per_device"].size(), 2u);
  for (const auto& d : doc["per_device"]) {
    ExpectPlausible(d["latency_us"]["device"], 20, d["device"].get<std::string>() + " device");
    ExpectPlausible(d["latency_us"]["server_total"], 20, d["device"].get<std::string>() + " total");
    EXPECT_LE(d["latency_us"]["device"]["p50"].get<double>(),
              d["latency_us"]["server_total"]["max"].get<double>());
    EXPECT_EQ(d["accuracy"], nullptr);
    EXPECT_EQ(d["oracle_exact"], nullptr);
  }
  ExpectPlausible(doc["round_trip_us"], 20, "round trip");
}

TEST_F(AbBenchTest, AbOracleChecksTflmOutputsAndAccuracyAndWritesCsv) {
  const auto oracle = OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  const std::string csv = TempPath("ab.csv");
  const auto doc = CliJson("ab --model vww_96_int8 --devices ref,host --oracle " + *oracle +
                           "/vww_96_int8 --concurrency 3 --json --csv " + csv);
  EXPECT_EQ(doc["labels"], "oracle");
  EXPECT_EQ(doc["inputs"], 16);  // 10 random, 4 edge, 2 real
  EXPECT_EQ(doc["compared"], 16);
  EXPECT_EQ(doc["pairs"][0]["exact"], 16);
  EXPECT_EQ(doc["pairs"][0]["top1_agree"], 16);
  for (const auto& d : doc["per_device"]) {
    SCOPED_TRACE(d.dump());
    // Both devices are bit-exact with TFLM, so top-1 matches its too.
    EXPECT_EQ(d["oracle_exact"]["compared"], 16);
    EXPECT_EQ(d["oracle_exact"]["exact"], 16);
    EXPECT_EQ(d["accuracy"]["labelled"], 16);
    EXPECT_EQ(d["accuracy"]["correct"], 16);
    EXPECT_EQ(d["accuracy"]["rate"], 1.0);
  }
  const auto lines = Lines(csv);
  ASSERT_EQ(lines.size(), 17u);
  EXPECT_EQ(lines[0].rfind("index,input,label,status,round_trip_us,ref_top1,", 0), 0u) << lines[0];
  for (size_t i = 1; i < lines.size(); ++i) {
    EXPECT_NE(lines[i].find(",OK,"), std::string::npos) << lines[i];
  }
  std::filesystem::remove(csv);
}

// A labels file against the two example images; the expected accuracy comes
// from TFLM's outputs for the same pictures (the oracle's real vectors).
TEST_F(AbBenchTest, AbLabelsFileGivesAccuracy) {
  const auto oracle = OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  auto top1 = [&](const std::string& name) {
    const auto out = ReadBytes(*oracle + "/vww_96_int8/outputs/real_" + name + "_output.bin");
    return static_cast<int8_t>(out[1]) > static_cast<int8_t>(out[0]) ? 1 : 0;
  };
  const int expected_correct = (top1("person") == 1 ? 1 : 0) + (top1("no_person") == 0 ? 1 : 0);
  const std::string labels = TempPath("labels.csv");
  std::ofstream(labels) << "file,class\nperson.bmp,person\nno_person.bmp,0\n";
  const auto doc = CliJson("ab --model vww_96_int8 --devices host,ref --inputs " +
                           BundledModelsDir() + "/vww_96_int8/examples --labels " + labels +
                           " --json");
  EXPECT_EQ(doc["labels"], "file");
  EXPECT_EQ(doc["compared"], 2);
  for (const auto& d : doc["per_device"]) {
    EXPECT_EQ(d["accuracy"]["labelled"], 2);
    EXPECT_EQ(d["accuracy"]["correct"], expected_correct) << d.dump();
  }
  // The human report says the same.
  const auto r = Cli("ab --model vww_96_int8 --devices host,ref --inputs " + BundledModelsDir() +
                     "/vww_96_int8/examples --labels " + labels);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_NE(r.output.find("accuracy (labels: from the labels file)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("host vs ref"), std::string::npos) << r.output;
  std::filesystem::remove(labels);
}

// The perturb device bumps output byte 5: every input differs in exactly that
// element, and the report says so.
TEST_F(AbBenchTest, AbReportsEveryMismatch) {
  const auto doc =
      CliJson("ab --model kws_ref_model --devices ref,perturb --random 10 --seed 7 --json");
  EXPECT_EQ(doc["compared"], 10);
  const auto& pair = doc["pairs"][0];
  EXPECT_EQ(pair["exact"], 0);
  EXPECT_EQ(pair["exact_rate"], 0.0);
  EXPECT_EQ(pair["differing_elements"], 10);
  const auto& h = pair["max_abs_diff_histogram"];
  // +1, or 255 where 127 wrapped to -128.
  EXPECT_EQ(h["1"].get<int>() + h["32+"].get<int>(), 10) << h;
  EXPECT_EQ(doc["mismatches_total"], 10);
  ASSERT_EQ(doc["mismatches"].size(), 10u);
  for (const auto& m : doc["mismatches"]) {
    EXPECT_EQ(m["first_diff"]["index"], kPerturbIndex) << m;
    EXPECT_EQ(m["differing_elements"], 1);
  }
  EXPECT_EQ(doc["mismatches"][0]["input"], "random_0000");
  // The human report lists them with the histogram.
  const auto r = Cli("ab --model kws_ref_model --devices ref,perturb --random 3");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_NE(r.output.find("3 input(s) differ on at least one pair"), std::string::npos) << r.output;
}

// Every call fails (the perturb index is past hello_world's single output):
// each is counted by status code, the run goes on to the end, exit 1.
TEST_F(AbBenchTest, AbCountsFailedCallsAndFinishesTheRun) {
  const auto doc =
      CliJson("ab --model hello_world_int8 --devices ref,perturb --random 6 --json", 1);
  EXPECT_EQ(doc["inputs"], 6);
  EXPECT_EQ(doc["compared"], 0);
  EXPECT_EQ(doc["failed"], 6);
  EXPECT_EQ(doc["errors"], (nlohmann::json{{"INVALID_ARGUMENT", 6}})) << doc["errors"];
  EXPECT_FALSE(doc["error_examples"]["INVALID_ARGUMENT"].get<std::string>().empty());
  EXPECT_EQ(doc["round_trip_us"]["count"], 6);
}

TEST_F(AbBenchTest, BenchClosedLoopCountsEveryRequest) {
  const std::string csv = TempPath("bench.csv");
  const auto doc = CliJson(
      "bench --model ad01_int8 --device host --concurrency 1,2 --requests 50 --warmup 0.2 "
      "--json --csv " + csv);
  EXPECT_EQ(doc["command"], "bench");
  EXPECT_EQ(doc["mode"], "concurrency");
  EXPECT_EQ(doc["device"], "host");
  EXPECT_EQ(doc["requests_per_step"], 50);
  ASSERT_EQ(doc["steps"].size(), 2u);
  for (int i = 0; i < 2; ++i) {
    const auto& step = doc["steps"][i];
    SCOPED_TRACE(step.dump());
    EXPECT_EQ(step["concurrency"], i + 1);
    EXPECT_EQ(step["sent"], 50);
    EXPECT_EQ(step["ok"], 50);
    EXPECT_TRUE(step["errors"].empty());
    EXPECT_GT(step["throughput_rps"].get<double>(), 0);
    EXPECT_GT(step["elapsed_s"].get<double>(), 0);
    // throughput = ok / elapsed
    EXPECT_NEAR(step["throughput_rps"].get<double>() * step["elapsed_s"].get<double>(), 50, 1e-6);
    const auto& latency = step["latency_us"];
    ExpectPlausible(latency["round_trip"], 50, "round trip");
    ExpectPlausible(latency["server"]["device"], 50, "device");
    ExpectPlausible(latency["server"]["total"], 50, "server total");
    EXPECT_EQ(latency["server"]["queue"]["count"], 50);
    // Each request's server time is inside its round trip, so every order
    // statistic is too.
    for (const char* q : {"min", "p50", "p99", "max"}) {
      EXPECT_LE(latency["server"]["total"][q].get<double>(),
                latency["round_trip"][q].get<double>()) << q;
    }
  }
  const auto lines = Lines(csv);
  ASSERT_EQ(lines.size(), 101u);
  EXPECT_EQ(lines[0].rfind("step,concurrency,rate,index,", 0), 0u) << lines[0];
  EXPECT_EQ(lines[100].rfind("1,2,,49,", 0), 0u) << lines[100];
  std::filesystem::remove(csv);
}

// Constant arrivals at 200/s for 0.5 s: exactly the 100 scheduled requests.
TEST_F(AbBenchTest, BenchOpenLoopSendsTheSchedule) {
  const auto doc = CliJson(
      "bench --model hello_world_int8 --device ref --rate 200 --arrival constant --duration 0.5 "
      "--warmup 0 --json");
  EXPECT_EQ(doc["mode"], "rate");
  EXPECT_EQ(doc["arrival"], "constant");
  ASSERT_EQ(doc["steps"].size(), 1u);
  const auto& step = doc["steps"][0];
  EXPECT_EQ(step["rate"], 200.0);
  EXPECT_EQ(step["sent"], 100);
  EXPECT_EQ(step["ok"], 100);
  // Sends spread over the half second: at most 200/s plus the last answer.
  EXPECT_GE(step["elapsed_s"].get<double>(), 0.49);
  EXPECT_LE(step["throughput_rps"].get<double>(), 205);
  ExpectPlausible(step["latency_us"]["round_trip"], 100, "round trip");
}

TEST_F(AbBenchTest, BenchHumanTable) {
  const auto r = Cli("bench --model ad01_int8 --device host --concurrency 1,2 --requests 20 "
                     "--warmup 0");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_NE(r.output.find("bench ad01_int8 v1 on host"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("client round trip (us):"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("server stages, p50 / p99 (us):"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("errors: none"), std::string::npos) << r.output;
  EXPECT_EQ(r.error, "");  // no progress line when stderr is not a terminal
}

TEST_F(AbBenchTest, Errors) {
  // Unknown model: the server's message, non-zero.
  for (const std::string cmd : {"ab --model nope --devices ref,host --random 2",
                                "bench --model nope --requests 2 --warmup 0"}) {
    const auto r = Cli(cmd);
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_EQ(r.error, "tinyserve-cli: error: NOT_FOUND: model 'nope' is not loaded\n") << cmd;
    EXPECT_EQ(r.output, "") << cmd;
  }
  // Usage errors, before anything is sent.
  auto r = Cli("ab --model ad01_int8 --devices host --random 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("--devices needs at least two devices"), std::string::npos) << r.error;
  r = Cli("ab --model ad01_int8 --devices host,host --random 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("names a device twice"), std::string::npos) << r.error;
  r = Cli("ab --model ad01_int8 --devices ref,host");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("exactly one of --inputs, --random, --oracle"), std::string::npos)
      << r.error;
  r = Cli("ab --model ad01_int8 --devices ref,host --random 2 --labels /dev/null");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("accuracy needs a CLASSIFIER"), std::string::npos) << r.error;
  // A device the model is not on.
  r = Cli("ab --model ad01_int8 --devices ref,xs9 --random 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.error.find("not compiled on device 'xs9'"), std::string::npos) << r.error;
  // Absurd values are refused by the argument parser, naming the option.
  r = Cli("bench --model ad01_int8 --duration 100000");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.error.find("--duration"), std::string::npos) << r.error;
  r = Cli("bench --model ad01_int8 --concurrency 1,0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.error.find("--concurrency"), std::string::npos) << r.error;
  r = Cli("bench --model ad01_int8 --concurrency 2 --rate 10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.error.find("excludes"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tinyserve::testing
