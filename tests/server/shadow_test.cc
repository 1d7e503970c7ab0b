// Shadow traffic end to end: sampled Classify requests run again on the shadow
// device after the caller has been answered; mismatches are counted and the
// last ones kept for GetShadowMismatches; the caller's answer and latency are
// never affected; a bad shadow config fails the model's load clearly.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_process.h"

namespace tinyserve::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPerturbIndex = 5;
constexpr size_t kInputBytes = 490;  // kws_ref_model: int8[1,49,10,1]

std::string BundledText(const std::string& model, const std::string& file) {
  std::ifstream in(BundledModelsDir() + "/" + model + "/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// kws_ref_model under `name` with its labels and config, plus `extra_config`.
void InstallKws(const std::string& repo, const std::string& name, const std::string& extra_config) {
  InstallBundledModel(repo, "kws_ref_model", 1, name);
  WriteFile(repo + "/" + name + "/labels.txt", BundledText("kws_ref_model", "labels.txt"));
  WriteFile(repo + "/" + name + "/config.pbtxt",
            BundledText("kws_ref_model", "config.pbtxt") + "\n" + extra_config + "\n");
}

std::vector<std::vector<uint8_t>> RandomInputs(int n, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<std::vector<uint8_t>> inputs(n, std::vector<uint8_t>(kInputBytes));
  for (auto& input : inputs) {
    for (uint8_t& b : input) b = static_cast<uint8_t>(random());
  }
  return inputs;
}

std::string AsString(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

// tinyserve_shadow_total for a model summed over `results`, polled until it
// reaches `want` (shadow runs finish after the responses) or 15 s pass.
double WaitForShadowCount(const ServerProcess& server, const std::string& model,
                          const std::vector<std::string>& results, double want) {
  double got = -1;
  const auto end = Clock::now() + std::chrono::seconds(15);
  do {
    auto metrics = ScrapeMetrics(server.http_port());
    if (metrics.ok()) {
      got = 0;
      for (const std::string& r : results) {
        got += metrics->Sum("tinyserve_shadow_total", {{"model", model}, {"result", r}});
      }
      if (got >= want) return got;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (Clock::now() < end);
  return got;
}

double ShadowCount(const ServerProcess& server, const Labels& labels) {
  auto metrics = ScrapeMetrics(server.http_port());
  EXPECT_TRUE(metrics.ok()) << metrics.status();
  return metrics.ok() ? metrics->Sum("tinyserve_shadow_total", labels) : -1;
}

class ShadowTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<ServerProcess>> StartServer(
      const std::string& devices, std::vector<std::pair<std::string, std::string>> env = {},
      std::vector<std::string> more_args = {}) {
    ServerConfig c;
    c.binary = TestServerBinary();
    c.model_repository = repo_.path();
    c.args = {"--devices", devices};
    c.args.insert(c.args.end(), more_args.begin(), more_args.end());
    c.env = std::move(env);
    c.env.push_back({"TINYSERVE_PERTURB_INDEX", std::to_string(kPerturbIndex)});
    return ServerProcess::Start(c);
  }

  TempDir repo_;
};

TEST_F(ShadowTest, EveryMismatchIsCountedAndTheLastOnesKeptWhileCallersGetRefAnswers) {
  InstallKws(repo_.path(), "kws_shadow",
             R"(shadow { device: "perturb" sample_fraction: 1.0 })");
  auto server = StartServer("ref,perturb");
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;

  constexpr int kRequests = 20;  // more than the 16 kept by default
  const auto inputs = RandomInputs(kRequests, 11);
  const int64_t start_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  for (int i = 0; i < kRequests; ++i) {
    SCOPED_TRACE(i);
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(s.inference(), RawRequest("kws_shadow", inputs[i]), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.metrics().device(), "ref");
    // The caller's answer is exactly a ref run of the same input.
    v1::CompareRequest compare;
    compare.set_model("kws_shadow");
    compare.set_raw_input(AsString(inputs[i]));
    compare.add_devices("ref");
    compare.add_devices("perturb");
    v1::CompareResponse reference;
    ASSERT_TRUE(Compare(s.inference(), compare, &reference).ok());
    const v1::ClassifyResponse& ref = reference.results(0).response();
    ASSERT_EQ(response.outputs_size(), ref.outputs_size());
    EXPECT_EQ(response.outputs(0).raw(), ref.outputs(0).raw());
    ASSERT_EQ(response.classes_size(), ref.classes_size());
    for (int k = 0; k < ref.classes_size(); ++k) {
      EXPECT_EQ(response.classes(k).index(), ref.classes(k).index());
      EXPECT_EQ(response.classes(k).raw(), ref.classes(k).raw());
    }
  }

  const Labels series = {{"model", "kws_shadow"}, {"primary", "ref"}, {"shadow", "perturb"}};
  EXPECT_EQ(WaitForShadowCount(s, "kws_shadow", {"differs", "top1_differs"}, kRequests),
            kRequests);
  for (const char* result : {"exact", "dropped", "error"}) {
    Labels l = series;
    l["result"] = result;
    EXPECT_EQ(ShadowCount(s, l), 0) << result;
  }
  // Shadow runs are not requests: perturb only counts the Compare calls' runs.
  auto metrics = ScrapeMetrics(s.http_port());
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->Sum("tinyserve_requests_total",
                         {{"model", "kws_shadow"}, {"device", "perturb"}, {"code", "OK"}}),
            kRequests);

  v1::GetShadowMismatchesResponse all;
  grpc::Status status = GetShadowMismatches(s.inference(), "kws_shadow", 0, &all);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(all.sampled(), kRequests);
  EXPECT_EQ(all.mismatched(), kRequests);
  ASSERT_EQ(all.mismatches_size(), 16);
  for (int k = 0; k < all.mismatches_size(); ++k) {
    SCOPED_TRACE(k);
    const v1::ShadowMismatch& m = all.mismatches(k);
    EXPECT_EQ(m.raw_input(), AsString(inputs[kRequests - 1 - k]));  // newest first
    EXPECT_EQ(m.version(), 1);
    EXPECT_EQ(m.primary_device(), "ref");
    EXPECT_EQ(m.shadow_device(), "perturb");
    EXPECT_GE(m.unix_micros(), start_micros);
    if (k > 0) {
      EXPECT_LE(m.unix_micros(), all.mismatches(k - 1).unix_micros());
    }
    const v1::PairComparison& c = m.comparison();
    EXPECT_EQ(c.device_a(), "ref");
    EXPECT_EQ(c.device_b(), "perturb");
    EXPECT_FALSE(c.bit_exact());
    EXPECT_EQ(c.differing_elements(), 1);
    EXPECT_EQ(c.first_diff_index(), kPerturbIndex);
    EXPECT_EQ(c.first_diff_b(), static_cast<int8_t>(c.first_diff_a() + 1));  // wraps as int8
    EXPECT_EQ(c.max_abs_diff(), c.first_diff_a() == 127 ? 255 : 1);
  }

  v1::GetShadowMismatchesResponse three;
  ASSERT_TRUE(GetShadowMismatches(s.inference(), "kws_shadow", 3, &three).ok());
  ASSERT_EQ(three.mismatches_size(), 3);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(three.mismatches(k).raw_input(), all.mismatches(k).raw_input());

  // The dashboard's view of the primary series carries the same counts.
  auto stats = HttpGet(s.http_port(), "/api/v1/stats");
  ASSERT_TRUE(stats.ok()) << stats.status();
  const auto doc = nlohmann::json::parse(stats->body);
  bool found = false;
  for (const auto& entry : doc["series"]) {
    if (entry["model"] == "kws_shadow" && entry["device"] == "ref") {
      found = true;
      EXPECT_EQ(entry["totals"]["shadow"]["device"], "perturb");
      EXPECT_EQ(entry["totals"]["shadow"]["sampled"], kRequests);
      EXPECT_EQ(entry["totals"]["shadow"]["mismatched"], kRequests);
    }
    if (entry["model"] == "kws_shadow" && entry["device"] == "perturb") {
      EXPECT_FALSE(entry["totals"].contains("shadow"));  // never a primary
    }
  }
  EXPECT_TRUE(found) << stats->body;
}

TEST_F(ShadowTest, GetShadowMismatchesErrors) {
  InstallKws(repo_.path(), "kws_shadow", R"(shadow { device: "perturb" sample_fraction: 0.5 })");
  InstallKws(repo_.path(), "kws_plain", "");
  auto server = StartServer("ref,perturb");
  ASSERT_TRUE(server.ok()) << server.status();
  v1::GetShadowMismatchesResponse response;
  grpc::Status s = GetShadowMismatches((*server)->inference(), "nosuchmodel", 0, &response);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND) << s.error_message();
  s = GetShadowMismatches((*server)->inference(), "kws_plain", 0, &response);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("shadow"), std::string::npos);
  s = GetShadowMismatches((*server)->inference(), "kws_shadow", -1, &response);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT) << s.error_message();
  s = GetShadowMismatches((*server)->inference(), "kws_shadow", 0, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.sampled(), 0);
  EXPECT_EQ(response.mismatches_size(), 0);
}

TEST_F(ShadowTest, ABadShadowConfigFailsThatModelsLoadClearly) {
  InstallKws(repo_.path(), "good", R"(shadow { device: "perturb" sample_fraction: 1.0 })");
  InstallKws(repo_.path(), "unknown_device", R"(shadow { device: "nosuchdevice" sample_fraction: 1.0 })");
  // host is a device this build knows, but this server does not run it.
  InstallKws(repo_.path(), "not_running", R"(shadow { device: "host" sample_fraction: 1.0 })");
  InstallKws(repo_.path(), "bad_fraction", R"(shadow { device: "perturb" sample_fraction: 1.5 })");
  InstallKws(repo_.path(), "bad_keep",
             R"(shadow { device: "perturb" sample_fraction: 0.5 keep_mismatches: -2 })");
  auto server = StartServer("ref,perturb");
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  const std::string log = s.Log();
  EXPECT_NE(log.find("shadow device 'nosuchdevice' is unknown"), std::string::npos) << log;
  EXPECT_NE(log.find("shadow device 'host' is not running"), std::string::npos) << log;
  EXPECT_NE(log.find("sample_fraction must be in [0, 1], got 1.5"), std::string::npos) << log;
  EXPECT_NE(log.find("keep_mismatches must be in"), std::string::npos) << log;
  v1::ListModelsResponse models;
  ASSERT_TRUE(ListModels(s.inference(), &models).ok());
  ASSERT_EQ(models.models_size(), 1);
  EXPECT_EQ(models.models(0).name(), "good");
  grpc::Status status = LoadModel(s.admin(), "unknown_device", 0);
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT) << status.error_message();
  status = LoadModel(s.admin(), "not_running", 0);
  EXPECT_EQ(status.error_code(), grpc::FAILED_PRECONDITION) << status.error_message();
  v1::ClassifyResponse response;
  EXPECT_TRUE(Classify(s.inference(), RawRequest("good", std::vector<uint8_t>(kInputBytes)),
                       &response)
                  .ok());
}

TEST_F(ShadowTest, ASlowOrFullShadowDeviceNeitherDelaysNorFailsTheCaller) {
  // The shadow device sleeps 1 s per run; with a queue of 4 a shadow run may
  // only wait in the first 2 slots, so a burst drops the rest.
  InstallKws(repo_.path(), "kws_shadow", R"(shadow { device: "slow" sample_fraction: 1.0 })");
  auto server = StartServer("ref,slow", {{"TINYSERVE_SLOW_DEVICE_MS", "1000"}},
                            {"--queue_size", "4"});
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  constexpr int kRequests = 6;
  const auto inputs = RandomInputs(kRequests, 5);
  for (int i = 0; i < kRequests; ++i) {
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(s.inference(), RawRequest("kws_shadow", inputs[i], "ref"), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  // Had any caller waited for its shadow run, every accepted run would have
  // finished by now; the callers were answered while runs were still pending.
  const double exact_when_answered =
      ShadowCount(s, {{"model", "kws_shadow"}, {"result", "exact"}});
  // slow is ref with a sleep: every completed shadow run is exact.
  EXPECT_EQ(WaitForShadowCount(s, "kws_shadow", {"exact", "dropped"}, kRequests), kRequests);
  EXPECT_LT(exact_when_answered, ShadowCount(s, {{"model", "kws_shadow"}, {"result", "exact"}}));
  const double dropped = ShadowCount(s, {{"model", "kws_shadow"}, {"result", "dropped"}});
  EXPECT_GE(dropped, 1);
  EXPECT_EQ(ShadowCount(s, {{"model", "kws_shadow"}, {"result", "differs"}}), 0);
  v1::GetShadowMismatchesResponse mismatches;
  ASSERT_TRUE(GetShadowMismatches(s.inference(), "kws_shadow", 0, &mismatches).ok());
  EXPECT_EQ(mismatches.sampled(), kRequests - dropped);
  EXPECT_EQ(mismatches.mismatched(), 0);
  EXPECT_EQ(mismatches.mismatches_size(), 0);
}

TEST_F(ShadowTest, AFailingShadowDeviceIsCountedAndLoggedWhileCallersSucceed) {
  // hello_world's output is one byte: the perturb device's index 5 is past it,
  // so every shadow run fails.
  InstallBundledModel(repo_.path(), "hello_world_int8", 1, "hw");
  WriteFile(repo_.path() + "/hw/config.pbtxt",
            "kind: REGRESSOR\nshadow { device: \"perturb\" sample_fraction: 1.0 }\n");
  auto server = StartServer("ref,perturb");
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  constexpr int kRequests = 3;
  for (int i = 0; i < kRequests; ++i) {
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(s.inference(), RawRequest("hw", {static_cast<uint8_t>(i * 40)}), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(response.has_score());
  }
  EXPECT_EQ(WaitForShadowCount(s, "hw", {"error"}, kRequests), kRequests);
  EXPECT_TRUE(s.WaitForLog("shadow run of model hw version 1 on perturb failed",
                           std::chrono::seconds(5)))
      << s.Log();
  v1::GetShadowMismatchesResponse mismatches;
  ASSERT_TRUE(GetShadowMismatches(s.inference(), "hw", 0, &mismatches).ok());
  EXPECT_EQ(mismatches.sampled(), 0);
  EXPECT_EQ(mismatches.mismatches_size(), 0);
}

}  // namespace
}  // namespace tinyserve::testing
