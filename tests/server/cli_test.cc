// tinyserve-cli end to end against a real tinyserve process.
#include <cstring>
#include <fstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_process.h"
#include "tests/support/run_command.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto server = ServerProcess::Start([] {
      ServerConfig c;
      c.args = {"--devices", "ref"};  // these tests check what `ref` reports
      return c;
    }());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  CommandResult Cli(const std::string& args) {
    return RunCommand(std::string(TINYSERVE_CLI_BINARY) + " --server " + server_->grpc_address() +
                      " " + args);
  }

  static ServerProcess* server_;
};
ServerProcess* CliTest::server_ = nullptr;

std::string Example(const std::string& name) {
  return BundledModelsDir() + "/vww_96_int8/examples/" + name;
}

// The bundled example image is the oracle's real_person vector as pixels; the
// CLI decodes it, the server quantizes the floats: the result must be TFLM's.
TEST_F(CliTest, ClassifiesAnImageLikeTheOracle) {
  const auto oracle = OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  for (const std::string name : {"person", "no_person"}) {
    const auto r = Cli("classify --model vww_96_int8 --input " + Example(name + ".bmp") + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.error;
    const auto doc = nlohmann::json::parse(r.output);
    const auto expected =
        ReadBytes(*oracle + "/vww_96_int8/outputs/real_" + name + "_output.bin");
    ASSERT_EQ(doc["classes"].size(), 2u);
    for (const auto& c : doc["classes"]) {
      const int index = c["index"];
      EXPECT_EQ(c["raw"].get<int>(), static_cast<int8_t>(expected[index])) << name;
    }
    // Labels come from the repository's labels.txt, in class index order.
    for (const auto& c : doc["classes"]) {
      EXPECT_EQ(c["label"], c["index"] == 0 ? "no person" : "person");
    }
    // Pixels map exactly onto the input's quantization: nothing lost.
    EXPECT_EQ(doc["metrics"]["quantization"]["input_sqnr_db"], "Infinity");
  }
}

TEST_F(CliTest, HumanOutputShowsLabelsScoresAndMetricsBlock) {
  const auto r = Cli("classify --model vww_96_int8 --input " + Example("person.bmp"));
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_NE(r.output.find("vww_96_int8 v1 on ref"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("person"), std::string::npos);
  EXPECT_NE(r.output.find("latency us: total"), std::string::npos);
  EXPECT_NE(r.output.find("quantization: input scale"), std::string::npos);
}

TEST_F(CliTest, RawAndNpyInputsGiveTheOracleOutput) {
  const auto oracle = OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  const std::string dir = *oracle + "/kws_ref_model";
  const auto input = ReadBytes(dir + "/inputs/input_02.bin");
  const auto expected = ReadBytes(dir + "/outputs/output_02.bin");
  auto check = [&](const CommandResult& r) {
    ASSERT_EQ(r.exit_code, 0) << r.error;
    const auto doc = nlohmann::json::parse(r.output);
    EXPECT_EQ(doc["classes"].size(), 12u);
    for (const auto& c : doc["classes"]) {
      EXPECT_EQ(c["raw"].get<int>(), static_cast<int8_t>(expected[c["index"].get<int>()]));
    }
  };
  check(Cli("classify --model kws_ref_model --top_k 12 --json --input " + dir +
            "/inputs/input_02.bin"));
  // The same bytes as an int8 .npy array (format 1.0).
  const std::string npy = TempPath("input.npy");
  {
    std::string header = "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 49, 10, 1), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    std::ofstream out(npy, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    const uint16_t len = static_cast<uint16_t>(header.size());
    out.write(reinterpret_cast<const char*>(&len), 2);
    out << header;
    out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
  }
  check(Cli("classify --model kws_ref_model --top_k 12 --json --input " + npy));
  std::filesystem::remove(npy);
}

TEST_F(CliTest, ListingCommands) {
  auto r = Cli("models");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_NE(r.output.find("vww_96_int8"), std::string::npos);
  EXPECT_NE(r.output.find("AUTOENCODER"), std::string::npos);
  r = Cli("devices --json");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(nlohmann::json::parse(r.output)["devices"][0]["name"], "ref");
  r = Cli("metadata kws_ref_model");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_NE(r.output.find("2656768 MACs"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("labels  down, go, left"), std::string::npos) << r.output;
}

TEST_F(CliTest, RepeatReportsPercentiles) {
  const auto oracle = OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  const auto r = Cli("classify --model hello_world_int8 --repeat 20 --json --input " + *oracle +
                     "/hello_world_int8/inputs/input_00.bin");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const auto doc = nlohmann::json::parse(r.output);
  EXPECT_EQ(doc["requests"], 20);
  EXPECT_LE(doc["server_total_us"]["p50"].get<double>(), doc["server_total_us"]["p99"].get<double>());
}

TEST_F(CliTest, ErrorsAreOneLineAndNonZero) {
  auto r = Cli("classify --model nope --input " + Example("person.bmp"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.error, "tinyserve-cli: error: NOT_FOUND: model 'nope' is not loaded\n");
  // kws has no image preprocessing in its config.
  r = Cli("classify --model kws_ref_model --input " + Example("person.bmp"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.error.find("no image preprocessing"), std::string::npos) << r.error;
  r = Cli("classify --model kws_ref_model --input /no/such/file.bin");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.error.find("cannot read input file"), std::string::npos) << r.error;
  r = RunCommand(std::string(TINYSERVE_CLI_BINARY) + " --server 127.0.0.1:1 --timeout 2 models");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.error.find("unavailable"), std::string::npos) << r.error;
}

TEST_F(CliTest, LoadAndUnload) {
  auto r = Cli("unload hello_world_int8");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(r.output, "unloaded hello_world_int8 version(s) 1\n");
  r = Cli("load hello_world_int8");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(r.output, "loaded hello_world_int8 v1 on ref\n");
}

}  // namespace
}  // namespace tinyserve::testing
