// Operations end to end: Prometheus /metrics scraped and parsed, gRPC health
// (overall and per model), server reflection, and graceful drain on SIGTERM.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kHello = "hello_world_int8";
const std::string kKws = "kws_ref_model";

TEST(ParsedMetricsTest, ParsesTheTextFormat) {
  const std::string text =
      "# HELP x_total Things.\n"
      "# TYPE x_total counter\n"
      "x_total{a=\"1\",b=\"q\\\"uote\\\\d\"} 3\n"
      "x_total{a=\"2\",b=\"\"} 4.5e1\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"0.5\"} 1\n"
      "h_bucket{le=\"+Inf\"} 2\n"
      "h_count 2\n"
      "h_sum 1.25\n"
      "plain 7 1700000000000\n";
  auto m = ParsedMetrics::Parse(text);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->Type("x_total"), "counter");
  EXPECT_EQ(m->Type("h"), "histogram");
  EXPECT_EQ(m->Sum("x_total"), 48);
  ASSERT_EQ(m->Find("x_total", {{"a", "1"}}).size(), 1u);
  EXPECT_EQ(m->Find("x_total", {{"a", "1"}})[0].labels.at("b"), "q\"uote\\d");
  EXPECT_EQ(m->Sum("plain"), 7);
  EXPECT_TRUE(CheckHistograms(*m).empty());
  auto bad = ParsedMetrics::Parse(text + "h_bucket{le=\"1\"} 0\n");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(CheckHistograms(*bad).empty()) << "le=1 holds fewer than le=0.5: not cumulative";
  EXPECT_FALSE(ParsedMetrics::Parse("x{a=\"1\" 3\n").ok());
  EXPECT_FALSE(ParsedMetrics::Parse("x three\n").ok());
}

TEST(MetricsTest, CountersEqualTheRequestsSentAndHistogramsAreConsistent) {
  auto started = ServerProcess::Start([] {
      ServerConfig c;
      c.args = {"--devices", "ref"};  // these tests check what `ref` reports
      return c;
    }());
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;

  // A fresh server: nothing counted yet, every device up, every load counted.
  auto initial = ScrapeMetrics(server.http_port());
  ASSERT_TRUE(initial.ok()) << initial.status();
  EXPECT_EQ(initial->Sum("tinyserve_requests_total"), 0);
  EXPECT_EQ(initial->Sum("tinyserve_device_up", {{"device", "ref"}}), 1);
  for (const std::string& model : BundledModelNames()) {
    EXPECT_EQ(initial->Sum("tinyserve_model_loads_total", {{"model", model}, {"result", "success"}}),
              1)
        << model;
  }

  int64_t hello_at_rails = 0;
  auto send = [&](const v1::ClassifyRequest& request, grpc::StatusCode expected) {
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(server.inference(), request, &response);
    EXPECT_EQ(status.error_code(), expected) << status.error_message();
    if (status.ok() && request.model() == kHello) {
      hello_at_rails += response.metrics().quantization().output_at_rails();
    }
  };
  constexpr int kHelloRaw = 7, kHelloFloat = 2, kKwsRaw = 3, kBadSize = 3, kUnknown = 2;
  for (int i = 0; i < kHelloRaw; ++i) {
    send(RawRequest(kHello, {static_cast<uint8_t>(i * 40)}), grpc::StatusCode::OK);
  }
  for (int i = 0; i < kHelloFloat; ++i) {
    v1::ClassifyRequest request;
    request.set_model(kHello);
    request.mutable_float_input()->add_values(0.5f + static_cast<float>(i));
    send(request, grpc::StatusCode::OK);
  }
  for (int i = 0; i < kKwsRaw; ++i) {
    send(RawRequest(kKws, std::vector<uint8_t>(490, static_cast<uint8_t>(i))),
         grpc::StatusCode::OK);
  }
  for (int i = 0; i < kBadSize; ++i) {
    send(RawRequest(kHello, std::vector<uint8_t>(2 + i)), grpc::StatusCode::INVALID_ARGUMENT);
  }
  for (int i = 0; i < kUnknown; ++i) {
    send(RawRequest("no_such_model", {0}), grpc::StatusCode::NOT_FOUND);
  }

  auto metrics = ScrapeMetrics(server.http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  const ParsedMetrics& m = *metrics;
  const Labels hello_ref = {{"model", kHello}, {"version", "1"}, {"device", "ref"}};
  auto with = [](Labels labels, const std::string& key, const std::string& value) {
    labels[key] = value;
    return labels;
  };
  EXPECT_EQ(m.Sum("tinyserve_requests_total", with(hello_ref, "code", "OK")),
            kHelloRaw + kHelloFloat);
  EXPECT_EQ(m.Sum("tinyserve_requests_total", with(hello_ref, "code", "INVALID_ARGUMENT")),
            kBadSize);
  EXPECT_EQ(m.Sum("tinyserve_requests_total",
                  {{"model", kKws}, {"version", "1"}, {"device", "ref"}, {"code", "OK"}}),
            kKwsRaw);
  EXPECT_EQ(m.Sum("tinyserve_requests_total", {{"model", ""}, {"code", "NOT_FOUND"}}), kUnknown);
  EXPECT_EQ(m.Sum("tinyserve_requests_total"),
            kHelloRaw + kHelloFloat + kKwsRaw + kBadSize + kUnknown);

  // Stage histograms count the successful requests; the SQNR histogram the float ones.
  for (const std::string stage : {"queue", "quantize", "device", "postprocess", "total"}) {
    EXPECT_EQ(m.Sum("tinyserve_request_duration_seconds_count", with(hello_ref, "stage", stage)),
              kHelloRaw + kHelloFloat)
        << stage;
  }
  EXPECT_GT(m.Sum("tinyserve_request_duration_seconds_sum", with(hello_ref, "stage", "total")), 0);
  EXPECT_EQ(m.Sum("tinyserve_input_sqnr_db_count", hello_ref), kHelloFloat);
  EXPECT_EQ(m.Sum("tinyserve_input_sqnr_db_count", {{"model", kKws}}), 0);
  EXPECT_EQ(m.Sum("tinyserve_output_saturated_total", hello_ref),
            static_cast<double>(hello_at_rails));

  const std::vector<std::string> problems = CheckHistograms(m);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
  EXPECT_FALSE(m.Find("tinyserve_request_duration_seconds_bucket").empty());

  // Names, types and the gauges.
  EXPECT_EQ(m.Type("tinyserve_requests_total"), "counter");
  EXPECT_EQ(m.Type("tinyserve_request_duration_seconds"), "histogram");
  EXPECT_EQ(m.Type("tinyserve_input_sqnr_db"), "histogram");
  EXPECT_EQ(m.Type("tinyserve_output_saturated_total"), "counter");
  EXPECT_EQ(m.Type("tinyserve_queue_depth"), "gauge");
  EXPECT_EQ(m.Type("tinyserve_device_up"), "gauge");
  EXPECT_EQ(m.Type("tinyserve_model_loads_total"), "counter");
  ASSERT_EQ(m.Find("tinyserve_queue_depth", {{"device", "ref"}}).size(), 1u);
  EXPECT_EQ(m.Sum("tinyserve_queue_depth", {{"device", "ref"}}), 0);
  EXPECT_EQ(m.Sum("tinyserve_device_up", {{"device", "ref"}}), 1);
  EXPECT_EQ(m.Type("tinyserve_device_state"), "gauge");
  EXPECT_EQ(m.Sum("tinyserve_device_state", {{"device", "ref"}, {"state", "UP"}}), 1);
  EXPECT_EQ(m.Sum("tinyserve_device_state", {{"device", "ref"}}), 1);  // one state at a time
  // Label sets are bounded: only these label names appear.
  for (const MetricSample& s : m.samples()) {
    for (const auto& [key, value] : s.labels) {
      // state: UP/DOWN/RECOVERING; direction, phase: of the link series.
      EXPECT_TRUE(key == "model" || key == "version" || key == "device" || key == "code" ||
                  key == "stage" || key == "result" || key == "le" || key == "state" ||
                  key == "direction" || key == "phase")
          << s.name << " has label " << key;
    }
  }

  // A LoadModel refused before any file is read loads nothing and counts nothing.
  EXPECT_EQ(LoadModel(server.admin(), kKws, 3).error_code(), grpc::StatusCode::NOT_FOUND);
  auto after_load = ScrapeMetrics(server.http_port());
  ASSERT_TRUE(after_load.ok());
  EXPECT_EQ(after_load->Sum("tinyserve_model_loads_total", {{"model", kKws}}), 1);

  auto missing = HttpGet(server.http_port(), "/no_such_page");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
}

TEST(HealthTest, OverallAndPerModelHealthAndReflection) {
  TempDir repo;
  InstallBundledModel(repo.path(), kHello);
  InstallBundledModel(repo.path(), kKws);
  ServerConfig config;
  config.model_repository = repo.path();
  config.args = {"--reflection"};  // reflection is off by default (docs/security.md)
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  constexpr int kServing = 1, kNotServing = 2;

  for (const std::string service : {"", "hello_world_int8", "kws_ref_model"}) {
    const auto [status, serving] = HealthCheck(server.channel(), service);
    ASSERT_TRUE(status.ok()) << "'" << service << "': " << status.error_message();
    EXPECT_EQ(serving, kServing) << "'" << service << "'";
  }
  EXPECT_EQ(HealthCheck(server.channel(), "no_such_model").first.error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A model with no version loaded is NOT_SERVING; loaded again, SERVING.
  ASSERT_TRUE(UnloadModel(server.admin(), kKws, 0).ok());
  EXPECT_EQ(HealthCheck(server.channel(), kKws).second, kNotServing);
  EXPECT_EQ(HealthCheck(server.channel(), "").second, kServing);
  ASSERT_TRUE(LoadModel(server.admin(), kKws, 0).ok());
  EXPECT_EQ(HealthCheck(server.channel(), kKws).second, kServing);

  const auto [status, services] = ReflectionListServices(server.channel());
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const std::string expected :
       {"tinyserve.v1.Inference", "tinyserve.v1.Admin", "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection"}) {
    EXPECT_NE(std::find(services.begin(), services.end(), expected), services.end())
        << expected << " not listed; reflection lists: " << absl::StrJoin(services, ", ");
  }
}

TEST(DrainTest, SigtermFinishesInFlightRequestsRefusesNewOnesAndExitsZero) {
  constexpr int kSlowMillis = 400;
  constexpr int kInFlight = 3;
  ServerConfig config;
  config.binary = TestServerBinary();
  config.args = {"--devices", "ref,slow", "--queue_size", "8", "--drain_timeout", "30"};
  config.env = {{"TINYSERVE_SLOW_DEVICE_MS", std::to_string(kSlowMillis)}};
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;

  std::vector<std::unique_ptr<AsyncClassify>> in_flight;
  for (int i = 0; i < kInFlight; ++i) {
    in_flight.push_back(std::make_unique<AsyncClassify>(
        server.inference(), RawRequest(kHello, {static_cast<uint8_t>(i)}, "slow")));
  }
  // Every one has reached the server: one runs, the others wait.
  ASSERT_TRUE(server.WaitForLog("slow device: invoke #", seconds(10)));
  const auto end = Clock::now() + seconds(10);
  for (;;) {
    v1::ListDevicesResponse devices;
    ASSERT_TRUE(ListDevices(server.inference(), &devices).ok());
    if (devices.devices(1).queue_depth() == kInFlight - 1) break;
    ASSERT_LT(Clock::now(), end) << "the requests never queued";
    std::this_thread::sleep_for(milliseconds(2));
  }

  server.Signal(SIGTERM);
  ASSERT_TRUE(server.WaitForLog("draining", seconds(10))) << server.Log();
  // Give the server a moment to stop listening after it logged the signal.
  std::this_thread::sleep_for(milliseconds(100));
  {
    auto stub = v1::Inference::NewStub(server.NewChannel());
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(*stub, RawRequest(kHello, {0}, "ref"), &response, seconds(5));
    EXPECT_FALSE(status.ok()) << "a new connection's request was accepted while draining";
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  }
  {
    // The connection the in-flight requests use takes no new ones either.
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(server.inference(), RawRequest(kHello, {0}, "ref"), &response, seconds(5));
    EXPECT_FALSE(status.ok()) << "a new request on an open connection was accepted while draining";
    // gRPC answers UNAVAILABLE once the connection has its GOAWAY; a call that
    // races it (seen on slow, sanitized builds) is CANCELLED by the shutting
    // down server instead. Either way it never ran.
    EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                status.error_code() == grpc::StatusCode::CANCELLED)
        << status.error_code() << " " << status.error_message();
  }
  int still_running = 0;
  for (auto& call : in_flight) still_running += call->done() ? 0 : 1;
  EXPECT_GT(still_running, 0) << "the new request was not tried during the drain";

  for (auto& call : in_flight) {
    ASSERT_TRUE(call->Wait());
    EXPECT_TRUE(call->status().ok()) << "an in-flight request was dropped: "
                                     << call->status().error_code() << " "
                                     << call->status().error_message();
    EXPECT_EQ(call->response().metrics().device(), "slow");
  }
  const auto status = server.WaitForExit(seconds(30));
  ASSERT_TRUE(status.has_value()) << "still running 30 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status)) << "wait status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_NE(server.Log().find("tinyserve stopped"), std::string::npos) << server.Log();
}

TEST(DrainTest, PastTheDrainTimeoutTheRestIsCancelledAndTheServerStillExitsZero) {
  constexpr int kInFlight = 4;
  ServerConfig config;
  config.binary = TestServerBinary();
  config.args = {"--devices", "ref,slow", "--queue_size", "8", "--drain_timeout", "0.3"};
  config.env = {{"TINYSERVE_SLOW_DEVICE_MS", "400"}};
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  std::vector<std::unique_ptr<AsyncClassify>> in_flight;
  for (int i = 0; i < kInFlight; ++i) {
    in_flight.push_back(std::make_unique<AsyncClassify>(
        server.inference(), RawRequest(kHello, {static_cast<uint8_t>(i)}, "slow")));
  }
  ASSERT_TRUE(server.WaitForLog("slow device: invoke #", seconds(10)));
  server.Signal(SIGTERM);
  int ok = 0;
  for (auto& call : in_flight) {
    ASSERT_TRUE(call->Wait());
    if (call->status().ok()) {
      ++ok;
    } else {
      EXPECT_TRUE(call->status().error_code() == grpc::StatusCode::CANCELLED ||
                  call->status().error_code() == grpc::StatusCode::UNAVAILABLE)
          << call->status().error_code() << " " << call->status().error_message();
    }
  }
  EXPECT_LT(ok, kInFlight) << "1.6 s of work cannot finish in a 0.3 s drain";
  const auto status = server.WaitForExit(seconds(30));
  ASSERT_TRUE(status.has_value()) << "still running 30 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status)) << "wait status " << *status << "\n" << server.Log();
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
}  // namespace tinyserve::testing
