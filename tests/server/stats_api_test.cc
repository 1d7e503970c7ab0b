// GET /api/v1/stats end to end (docs/stats-api.md): the JSON the dashboard
// reads, with a series per loaded model version × device and the traffic sent.
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_process.h"

namespace tinyserve::testing {
namespace {

using nlohmann::json;

absl::StatusOr<json> GetStats(int port, const std::string& query = "") {
  auto response = HttpGet(port, "/api/v1/stats" + query);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat("HTTP ", response->status, ": ", response->body));
  }
  return json::parse(response->body);
}

const json* FindSeries(const json& doc, const std::string& model, const std::string& device) {
  for (const json& s : doc["series"]) {
    if (s["model"] == model && s["device"] == device) return &s;
  }
  return nullptr;
}

int64_t SumPoints(const json& series, const std::string& field) {
  int64_t sum = 0;
  for (const json& p : series["points"]) sum += p[field].get<int64_t>();
  return sum;
}

TEST(StatsApiTest, SeriesForEveryModelAndDeviceWithTheTrafficSent) {
  auto server = ServerProcess::Start([] {
    ServerConfig c;
    c.args = {"--devices", "ref,host"};
    return c;
  }());
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;

  // Every model on every device that runs it: (1 + its index) requests, and
  // one wrong-size request on ref.
  v1::ListModelsResponse models;
  ASSERT_TRUE(ListModels(s.inference(), &models).ok());
  ASSERT_GT(models.models_size(), 0);
  std::map<std::pair<std::string, std::string>, int> sent;
  for (int m = 0; m < models.models_size(); ++m) {
    const std::string name = models.models(m).name();
    v1::ModelMetadata metadata;
    ASSERT_TRUE(GetModelMetadata(s.inference(), name, 0, &metadata).ok());
    int64_t bytes = 1;
    for (int d : metadata.inputs(0).shape()) bytes *= d;
    for (const v1::DeviceArena& device : metadata.devices()) {
      for (int i = 0; i <= m; ++i) {
        v1::ClassifyResponse response;
        ASSERT_TRUE(Classify(s.inference(),
                             RawRequest(name, std::vector<uint8_t>(bytes), device.device()),
                             &response)
                        .ok());
      }
      sent[{name, device.device()}] = m + 1;
    }
    v1::ClassifyResponse response;
    EXPECT_FALSE(Classify(s.inference(), RawRequest(name, {1, 2, 3}, "ref"), &response).ok());
    sent[{name, "ref"}] += 1;
  }
  // One Compare: ref is device_a.
  const std::string first = models.models(0).name();
  {
    v1::ModelMetadata metadata;
    ASSERT_TRUE(GetModelMetadata(s.inference(), first, 0, &metadata).ok());
    int64_t bytes = 1;
    for (int d : metadata.inputs(0).shape()) bytes *= d;
    v1::CompareRequest request;
    request.set_model(first);
    request.set_raw_input(std::string(bytes, '\0'));
    request.add_devices("ref");
    request.add_devices("host");
    v1::CompareResponse response;
    ASSERT_TRUE(Compare(s.inference(), request, &response).ok());
    sent[{first, "ref"}] += 1;
    sent[{first, "host"}] += 1;
  }

  // Points cover complete seconds only: poll until the last request's second
  // has closed.
  json doc;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto stats = GetStats(s.http_port());
    ASSERT_TRUE(stats.ok()) << stats.status();
    doc = *stats;
    bool complete = true;
    for (const auto& [key, n] : sent) {
      const json* series = FindSeries(doc, key.first, key.second);
      ASSERT_NE(series, nullptr) << key.first << " on " << key.second;
      complete = complete && SumPoints(*series, "requests") == n;
    }
    if (complete || std::chrono::steady_clock::now() > end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  EXPECT_GT(doc["now_unix_ms"].get<int64_t>(), 1600000000000);
  EXPECT_GE(doc["uptime_seconds"].get<double>(), 0);
  EXPECT_EQ(doc["window_seconds"], 120);
  std::set<std::string> devices;
  for (const json& d : doc["devices"]) {
    devices.insert(d["name"].get<std::string>());
    EXPECT_EQ(d["state"], "UP");
    EXPECT_GT(d["queue_capacity"].get<int>(), 0);
    EXPECT_TRUE(d["capabilities"].is_array());
  }
  EXPECT_EQ(devices, (std::set<std::string>{"ref", "host"}));
  EXPECT_EQ(doc["series"].size(), sent.size());

  for (const auto& [key, n] : sent) {
    SCOPED_TRACE(key.first + " on " + key.second);
    const json& series = *FindSeries(doc, key.first, key.second);
    EXPECT_EQ(series["version"], 1);
    const json& points = series["points"];
    ASSERT_EQ(points.size(), 120u);
    for (size_t i = 1; i < points.size(); ++i) {
      ASSERT_EQ(points[i]["t"].get<int64_t>() - points[i - 1]["t"].get<int64_t>(), 1000);
    }
    EXPECT_EQ(SumPoints(series, "requests"), n);
    EXPECT_EQ(series["totals"]["requests"], n);
    const int64_t errors = key.second == "ref" ? 1 : 0;
    EXPECT_EQ(SumPoints(series, "errors"), errors);
    if (errors > 0) {
      EXPECT_EQ(series["totals"]["errors_by_code"]["INVALID_ARGUMENT"], 1);
    } else {
      EXPECT_TRUE(series["totals"]["errors_by_code"].empty());
    }
    bool had_latency = false;
    for (const json& p : points) {
      for (const char* field : {"requests", "errors", "queue_depth", "outputs_at_rails", "compare",
                                "compare_mismatches", "shadow_sampled", "shadow_mismatches"}) {
        ASSERT_TRUE(p[field].is_number_integer()) << field;
      }
      if (p["requests"].get<int64_t>() > p["errors"].get<int64_t>()) {
        had_latency = true;
        EXPECT_GT(p["latency_p50_us"].get<double>(), 0);
        EXPECT_GE(p["latency_p99_us"].get<double>(), p["latency_p50_us"].get<double>());
        EXPECT_GT(p["device_p50_us"].get<double>(), 0);
      } else {
        EXPECT_TRUE(p["latency_p50_us"].is_null());
      }
      EXPECT_TRUE(p["input_sqnr_db"].is_null());      // raw input only
      EXPECT_TRUE(p["saturation_events"].is_null());  // ref and host report none
      EXPECT_TRUE(p["estimated_chip_us"].is_null());
    }
    EXPECT_TRUE(had_latency);
    EXPECT_FALSE(series["totals"].contains("shadow"));  // no shadow config
    const bool compared = key.first == first && key.second == "ref";
    EXPECT_EQ(series["totals"]["compare"]["exact"], compared ? 1 : 0);
    EXPECT_EQ(SumPoints(series, "compare"), compared ? 1 : 0);
    EXPECT_EQ(SumPoints(series, "compare_mismatches"), 0);
  }
}

TEST(StatsApiTest, WindowParameter) {
  auto server = ServerProcess::Start([] {
    ServerConfig c;
    c.args = {"--devices", "ref"};
    return c;
  }());
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->http_port();
  for (int window : {10, 300}) {
    auto doc = GetStats(port, "?window=" + std::to_string(window));
    ASSERT_TRUE(doc.ok()) << doc.status();
    EXPECT_EQ((*doc)["window_seconds"], window);
    ASSERT_FALSE((*doc)["series"].empty());
    for (const json& series : (*doc)["series"]) {
      EXPECT_EQ(series["points"].size(), static_cast<size_t>(window));
      // Idle series are all zeros, not absent.
      EXPECT_EQ(SumPoints(series, "requests"), 0);
    }
  }
  for (const std::string bad : {"?window=9", "?window=301", "?window=abc", "?window="}) {
    auto response = HttpGet(port, "/api/v1/stats" + bad);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 400) << bad;
    EXPECT_TRUE(json::parse(response->body).contains("error")) << response->body;
  }
  // Unknown parameters are ignored; /metrics is unaffected.
  EXPECT_TRUE(GetStats(port, "?foo=1").ok());
  EXPECT_TRUE(ScrapeMetrics(port).ok());
}

}  // namespace
}  // namespace tinyserve::testing
