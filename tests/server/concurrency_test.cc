// Concurrency end to end: hot reload under load (Admin API and repository
// polling), and per-device scheduling with the test-only "slow" device: queue
// full, expired deadlines and cancelled calls are not run, and one device's
// backlog never blocks another's traffic.
#include <array>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kKws = "kws_ref_model";

// An input for kws_ref_model: the oracle's first, else a fixed pattern.
std::vector<uint8_t> KwsInput() {
  std::string why;
  if (auto oracle = LoadOracle(kKws, &why)) return oracle->vectors.front().input;
  std::vector<uint8_t> input(490);
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i * 13 + 5);
  return input;
}

// Client threads sending the same Classify continuously until stopped, and
// what they saw.
class ClientLoad {
 public:
  ClientLoad(ServerProcess& server, int threads, v1::ClassifyRequest request,
             std::string expected_output)
      : request_(std::move(request)), expected_(std::move(expected_output)) {
    const auto hard_end = Clock::now() + seconds(60);  // bound even if never stopped
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, &server, hard_end] {
        auto stub = v1::Inference::NewStub(server.NewChannel());
        while (!stop_.load() && Clock::now() < hard_end) {
          v1::ClassifyResponse response;
          const grpc::Status status = Classify(*stub, request_, &response, seconds(20));
          std::string problem;
          if (!status.ok()) {
            problem = absl::StrCat("status ", status.error_code(), ": ", status.error_message());
          } else if (response.version() < 1 || response.version() > 2) {
            problem = absl::StrCat("ran on version ", response.version());
          } else if (response.outputs_size() != 1 || response.outputs(0).raw() != expected_) {
            problem = absl::StrCat("version ", response.version(), " returned other outputs");
          }
          if (!problem.empty()) {
            std::lock_guard<std::mutex> lock(mu_);
            failures_.push_back(problem);
          } else {
            seen_[response.version()].fetch_add(1);
          }
        }
      });
    }
  }
  ~ClientLoad() { Stop(); }

  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int64_t seen(int version) const { return seen_[version].load(); }
  // Waits until `count` more responses from `version` arrive; false on timeout.
  bool WaitForMore(int version, int64_t count, milliseconds timeout) const {
    const int64_t target = seen(version) + count;
    const auto end = Clock::now() + timeout;
    while (seen(version) < target) {
      if (Clock::now() >= end) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }
  std::vector<std::string> failures() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }

 private:
  const v1::ClassifyRequest request_;
  const std::string expected_;
  std::atomic<bool> stop_{false};
  std::array<std::atomic<int64_t>, 3> seen_{};
  mutable std::mutex mu_;
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

std::string FirstFailures(const std::vector<std::string>& failures) {
  std::string out;
  for (size_t i = 0; i < failures.size() && i < 5; ++i) absl::StrAppend(&out, failures[i], "\n");
  return out;
}

std::vector<int64_t> LoadedVersions(ServerProcess& server, const std::string& model) {
  v1::ListModelsResponse models;
  EXPECT_TRUE(ListModels(server.inference(), &models).ok());
  for (const auto& m : models.models()) {
    if (m.name() == model) return {m.versions().begin(), m.versions().end()};
  }
  return {};
}

TEST(HotReloadTest, LoadingAndUnloadingVersionsUnderLoadFailsNoRequest) {
  TempDir repo;
  InstallBundledModel(repo.path(), kKws, 1);
  ServerConfig config;
  config.model_repository = repo.path();
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;

  const std::vector<uint8_t> input = KwsInput();
  v1::ClassifyResponse baseline;
  ASSERT_TRUE(Classify(server.inference(), RawRequest(kKws, input), &baseline).ok());
  ASSERT_EQ(baseline.outputs_size(), 1);

  ClientLoad load(server, 4, RawRequest(kKws, input), baseline.outputs(0).raw());
  ASSERT_TRUE(load.WaitForMore(1, 8, seconds(20)));
  const fs::path model_dir = fs::path(repo.path()) / kKws;
  const auto end = Clock::now() + seconds(3);
  int cycles = 0;
  // Version `from` serves alone; make `to` serve alone instead.
  auto swap = [&](int from, int to) {
    InstallBundledModel(repo.path(), kKws, to);
    v1::LoadModelResponse loaded;
    const grpc::Status load_status = LoadModel(server.admin(), kKws, to, &loaded);
    ASSERT_TRUE(load_status.ok()) << load_status.error_message();
    EXPECT_EQ(loaded.version(), to);
    v1::UnloadModelResponse unloaded;
    const grpc::Status unload_status = UnloadModel(server.admin(), kKws, from, &unloaded);
    ASSERT_TRUE(unload_status.ok()) << unload_status.error_message();
    EXPECT_EQ(std::vector<int64_t>(unloaded.versions().begin(), unloaded.versions().end()),
              std::vector<int64_t>{from});
    // Loaded models do not need their file any more.
    fs::remove_all(model_dir / std::to_string(from));
    EXPECT_EQ(LoadedVersions(server, kKws), std::vector<int64_t>{to});
    EXPECT_TRUE(load.WaitForMore(to, 4, seconds(20))) << "no response from version " << to;
  };
  while ((Clock::now() < end || cycles < 2) && cycles < 100) {
    swap(1, 2);
    if (HasFatalFailure()) break;
    swap(2, 1);
    if (HasFatalFailure()) break;
    ++cycles;
  }
  load.Stop();

  const auto failures = load.failures();
  EXPECT_TRUE(failures.empty()) << failures.size() << " requests failed, e.g.:\n"
                                << FirstFailures(failures);
  EXPECT_GT(load.seen(1), 0);
  EXPECT_GT(load.seen(2), 0);
  std::cout << "hot reload: " << cycles << " cycles, " << load.seen(1) << " responses from v1, "
            << load.seen(2) << " from v2\n";

  // The metrics agree: no failed request, one successful load per LoadModel.
  auto metrics = ScrapeMetrics(server.http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  const double all = metrics->Sum("tinyserve_requests_total", {{"model", kKws}});
  const double ok = metrics->Sum("tinyserve_requests_total", {{"model", kKws}, {"code", "OK"}});
  EXPECT_EQ(all, ok);
  // Series of unloaded versions go (issue 12): only what the versions still
  // loaded served is counted.
  EXPECT_GT(ok, 0);
  EXPECT_LE(ok, static_cast<double>(load.seen(1) + load.seen(2) + 1));
  EXPECT_EQ(metrics->Sum("tinyserve_model_loads_total", {{"model", kKws}, {"result", "success"}}),
            1 + 2 * cycles);
}

TEST(HotReloadTest, PolledRepositoryServesANewVersionWithoutFailingRequests) {
  TempDir repo;
  InstallBundledModel(repo.path(), kKws, 1);
  ServerConfig config;
  config.model_repository = repo.path();
  config.repository_poll_seconds = 0.1;
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;

  const std::vector<uint8_t> input = KwsInput();
  v1::ClassifyResponse baseline;
  ASSERT_TRUE(Classify(server.inference(), RawRequest(kKws, input), &baseline).ok());
  ClientLoad load(server, 4, RawRequest(kKws, input), baseline.outputs(0).raw());
  ASSERT_TRUE(load.WaitForMore(1, 8, seconds(20)));
  InstallBundledModel(repo.path(), kKws, 2);
  // The poller loads version 2 and retires version 1.
  EXPECT_TRUE(load.WaitForMore(2, 8, seconds(20))) << server.Log();
  load.Stop();
  const auto failures = load.failures();
  EXPECT_TRUE(failures.empty()) << failures.size() << " requests failed, e.g.:\n"
                                << FirstFailures(failures);
  EXPECT_EQ(LoadedVersions(server, kKws), std::vector<int64_t>{2});
}

// Rolling back through the Admin API (load v1, unload v2) holds while v2's
// directory is still in the repository: polling must not bring v2 back.
TEST(HotReloadTest, AdminRollbackIsNotUndoneByPolling) {
  TempDir repo;
  InstallBundledModel(repo.path(), kKws, 1);
  InstallBundledModel(repo.path(), kKws, 2);
  ServerConfig config;
  config.model_repository = repo.path();
  config.repository_poll_seconds = 0.05;
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  ASSERT_EQ(LoadedVersions(server, kKws), std::vector<int64_t>{2});
  ASSERT_TRUE(LoadModel(server.admin(), kKws, 1).ok());
  ASSERT_TRUE(UnloadModel(server.admin(), kKws, 2).ok());
  // Many poll periods; the Admin API's choice must stand.
  std::this_thread::sleep_for(milliseconds(800));
  EXPECT_EQ(LoadedVersions(server, kKws), std::vector<int64_t>{1});
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify(server.inference(), RawRequest(kKws, KwsInput()), &response).ok());
  EXPECT_EQ(response.version(), 1);
  // Loading v2 explicitly makes it eligible again.
  ASSERT_TRUE(LoadModel(server.admin(), kKws, 2).ok());
  ASSERT_TRUE(Classify(server.inference(), RawRequest(kKws, KwsInput()), &response).ok());
  EXPECT_EQ(response.version(), 2);
}

// --- The slow device --------------------------------------------------------

constexpr int kSlowMillis = 500;
const std::string kInvokeStarted = "slow device: invoke #";
const std::string kHello = "hello_world_int8";

// tinyserve_test_server with devices ref and slow, one worker and three queue
// slots per device; one server for the suite.
class SlowDeviceTest : public SharedServerTest<SlowDeviceTest> {
 protected:
  static void SetUpTestSuite() {
    ServerConfig config;
    config.binary = TestServerBinary();
    config.args = {"--devices", "ref,slow", "--queue_size", "3", "--workers_per_device", "1"};
    config.env = {{"TINYSERVE_SLOW_DEVICE_MS", std::to_string(kSlowMillis)}};
    StartServer(config);
  }
  static int QueueDepth(const std::string& device) {
    v1::ListDevicesResponse devices;
    EXPECT_TRUE(ListDevices(server_->inference(), &devices).ok());
    for (const auto& d : devices.devices()) {
      if (d.name() == device) return d.queue_depth();
    }
    return -1;
  }
  // Waits until the device's queue holds `depth` requests; false on timeout.
  static bool WaitForQueueDepth(const std::string& device, int depth) {
    const auto end = Clock::now() + seconds(10);
    while (QueueDepth(device) != depth) {
      if (Clock::now() >= end) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }
  static double Requests(const ParsedMetrics& m, const std::string& device,
                         const std::string& code) {
    return m.Sum("tinyserve_requests_total",
                 {{"model", kHello}, {"device", device}, {"code", code}});
  }
};

TEST_F(SlowDeviceTest, ListDevicesShowsBothDevicesAndTheirQueues) {
  v1::ListDevicesResponse devices;
  ASSERT_TRUE(ListDevices(server_->inference(), &devices).ok());
  ASSERT_EQ(devices.devices_size(), 2);
  EXPECT_EQ(devices.devices(0).name(), "ref");
  EXPECT_EQ(devices.devices(1).name(), "slow");
  EXPECT_EQ(devices.devices(1).kind(), "test-slow");
  for (const auto& d : devices.devices()) {
    EXPECT_EQ(d.state(), v1::DeviceStatus::UP);
    EXPECT_EQ(d.queue_capacity(), 3);
  }
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata(server_->inference(), kHello, 0, &metadata).ok());
  ASSERT_EQ(metadata.devices_size(), 2);
  EXPECT_EQ(metadata.devices(0).device(), "ref");
  EXPECT_EQ(metadata.devices(1).device(), "slow");
  EXPECT_EQ(metadata.config().default_device(), "ref");  // the first in --devices
}

TEST_F(SlowDeviceTest, FullQueueIsRefusedAtOnceAndOtherDevicesKeepServing) {
  constexpr int kFlood = 8;
  std::vector<std::unique_ptr<AsyncClassify>> flood;
  for (int i = 0; i < kFlood; ++i) {
    flood.push_back(std::make_unique<AsyncClassify>(server_->inference(),
                                                    RawRequest(kHello, {0}, "slow")));
  }
  // The queue fills up (one runs, three wait) and the rest are refused: wait
  // for the first refusal, so slow's backlog is certainly in place.
  const auto end = Clock::now() + seconds(20);
  while (std::none_of(flood.begin(), flood.end(), [](const auto& c) { return c->done(); })) {
    ASSERT_LT(Clock::now(), end) << "no call of the flood finished";
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_GE(QueueDepth("slow"), 2);
  // Meanwhile ref answers, while slow's requests are still waiting.
  for (int i = 0; i < 5; ++i) {
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(server_->inference(), RawRequest(kHello, {static_cast<uint8_t>(i)}, "ref"),
                 &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.metrics().device(), "ref");
  }
  const int still_running = static_cast<int>(
      std::count_if(flood.begin(), flood.end(), [](const auto& c) { return !c->done(); }));
  EXPECT_GT(still_running, 0) << "ref's requests waited for slow's";

  int ok = 0, exhausted = 0;
  int64_t first_ok = INT64_MAX, first_exhausted = INT64_MAX;
  for (auto& call : flood) {
    ASSERT_TRUE(call->Wait());
    const grpc::Status& s = call->status();
    if (s.ok()) {
      ++ok;
      first_ok = std::min(first_ok, call->finish_order());
      EXPECT_EQ(call->response().metrics().device(), "slow");
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
      EXPECT_NE(s.error_message().find("queue is full"), std::string::npos) << s.error_message();
      ++exhausted;
      first_exhausted = std::min(first_exhausted, call->finish_order());
    }
  }
  EXPECT_EQ(ok + exhausted, kFlood);
  EXPECT_GE(ok, 1);
  EXPECT_GE(exhausted, 1);
  // Refusals did not wait for the device: one came back before any success.
  EXPECT_LT(first_exhausted, first_ok);
  EXPECT_TRUE(WaitForQueueDepth("slow", 0));
}

TEST_F(SlowDeviceTest, ExpiredOrCancelledRequestsAreNotRun) {
  auto before = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(before.ok()) << before.status();
  // A runs (the slow device says so); B and C wait behind it: B is
  // cancelled, C's deadline passes.
  const int invokes = server_->CountInLog(kInvokeStarted);
  AsyncClassify a(server_->inference(), RawRequest(kHello, {0}, "slow"));
  ASSERT_TRUE(server_->WaitForLogCount(kInvokeStarted, invokes + 1, seconds(10)));
  AsyncClassify b(server_->inference(), RawRequest(kHello, {0}, "slow"));
  AsyncClassify c(server_->inference(), RawRequest(kHello, {0}, "slow"),
                  milliseconds(kSlowMillis / 2));
  ASSERT_TRUE(WaitForQueueDepth("slow", 2));
  b.Cancel();
  for (AsyncClassify* call : {&a, &b, &c}) ASSERT_TRUE(call->Wait());
  EXPECT_TRUE(a.status().ok()) << a.status().error_message();
  EXPECT_EQ(b.status().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(c.status().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  // The server reaches B and C after A; wait until it has counted all three.
  const auto end = Clock::now() + seconds(20);
  absl::StatusOr<ParsedMetrics> after;
  for (;;) {
    after = ScrapeMetrics(server_->http_port());
    ASSERT_TRUE(after.ok()) << after.status();
    const double finished =
        after->Sum("tinyserve_requests_total", {{"model", kHello}, {"device", "slow"}}) -
        before->Sum("tinyserve_requests_total", {{"model", kHello}, {"device", "slow"}});
    if (finished >= 3 || Clock::now() >= end) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(Requests(*after, "slow", "OK") - Requests(*before, "slow", "OK"), 1)
      << "only A may run";
  EXPECT_EQ(Requests(*after, "slow", "CANCELLED") - Requests(*before, "slow", "CANCELLED"), 1);
  EXPECT_EQ(Requests(*after, "slow", "DEADLINE_EXCEEDED") -
                Requests(*before, "slow", "DEADLINE_EXCEEDED"),
            1);
  const Labels total = {{"model", kHello}, {"device", "slow"}, {"stage", "total"}};
  EXPECT_EQ(after->Sum("tinyserve_request_duration_seconds_count", total) -
                before->Sum("tinyserve_request_duration_seconds_count", total),
            1)
      << "stage times are observed for requests that ran";
  EXPECT_EQ(server_->CountInLog(kInvokeStarted), invokes + 1) << "B or C ran";
  // Still serving.
  v1::ClassifyResponse response;
  EXPECT_TRUE(Classify(server_->inference(), RawRequest(kHello, {0}, "slow"), &response).ok());
}

}  // namespace
}  // namespace tinyserve::testing
