// Device health and life end to end (issue 10): the device list comes from the
// device catalog; a device's state (UP, DOWN, RECOVERING) shows in
// ListDevices, /metrics and the stats API; a device going DOWN fails its
// queued requests UNAVAILABLE at once and refuses new ones, and serves again
// when UP; boards arriving while the server runs are served without a
// restart; a family name ("fakeboard", like "xcore") picks an UP member; a
// hung device gives up at the call's deadline or cancellation while the
// others keep serving; link figures reach the response, Prometheus and the
// CLI. Test devices: tests/server/test_devices.h ("hang", "fakeboard@ID").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_process.h"
#include "tests/support/run_command.h"

namespace tinyserve::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kModel[] = "hello_world_int8";  // int8[1,1] -> int8[1,1]

const v1::DeviceStatus* FindDevice(const v1::ListDevicesResponse& list, const std::string& name) {
  for (const auto& d : list.devices()) {
    if (d.name() == name) return &d;
  }
  return nullptr;
}

std::vector<std::string> DeviceNames(ServerProcess& server) {
  v1::ListDevicesResponse list;
  const grpc::Status status = ListDevices(server.inference(), &list);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  for (const auto& d : list.devices()) names.push_back(d.name());
  return names;
}

// Polls ListDevices until `device` reports `state`; false after `timeout`.
bool WaitForState(ServerProcess& server, const std::string& device, v1::DeviceStatus::State state,
                  milliseconds timeout = milliseconds(10000)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    v1::ListDevicesResponse list;
    if (ListDevices(server.inference(), &list).ok()) {
      const v1::DeviceStatus* d = FindDevice(list, device);
      if (d != nullptr && d->state() == state) return true;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

// Files that plug fake boards in and out (see test_devices.h).
class FakeBoards {
 public:
  const std::string& dir() const { return dir_.path(); }
  void Set(const std::string& id, const std::string& state) {
    // Written beside, then renamed: the catalog never reads half a file.
    const std::string tmp = dir() + "/" + id + ".tmp";
    WriteFile(tmp, state);
    std::filesystem::rename(tmp, dir() + "/" + id + ".state");
  }
  void Unplug(const std::string& id) { std::filesystem::remove(dir() + "/" + id + ".state"); }

 private:
  TempDir dir_;
};

ServerConfig FakeBoardServer(const FakeBoards& boards, const std::string& devices,
                             int invoke_ms) {
  ServerConfig config;
  config.binary = TestServerBinary();
  config.args = {"--devices", devices, "--xcore_usb=false", "--queue_size", "8"};
  config.env = {{"TINYSERVE_FAKEBOARD_DIR", boards.dir()},
                {"TINYSERVE_FAKEBOARD_INVOKE_MS", std::to_string(invoke_ms)}};
  return config;
}

// --- the device list ---------------------------------------------------------------

TEST(DeviceListTest, DefaultIsEveryFamilyOfTheCatalogAndAnEmptyBoardFamilyIsWatched) {
  ServerConfig config;
  config.args = {"--xcore_usb=false"};  // no USB scan in CI: the xcore family is empty
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(DeviceNames(**server), (std::vector<std::string>{"host", "ref", "xs3"}));
  // The empty family is said once, with the catalog's note, and watched.
  EXPECT_EQ((*server)->CountInLog("xcore: no device yet, watching for arrivals"), 1)
      << (*server)->Log();
  v1::ListDevicesResponse list;
  ASSERT_TRUE(ListDevices((*server)->inference(), &list).ok());
  for (const auto& d : list.devices()) {
    EXPECT_EQ(d.state(), v1::DeviceStatus::UP) << d.name();
    EXPECT_EQ(d.state_reason(), "") << d.name();
  }
  // "xcore" names a family this server serves, with no board yet.
  v1::ClassifyResponse response;
  const grpc::Status status =
      Classify((*server)->inference(), RawRequest(kModel, {0}, "xcore"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("xcore"), std::string::npos) << status.error_message();
}

TEST(DeviceListTest, HelpListsTheFamiliesAndBoardFlags) {
  const CommandResult r = RunCommand(TinyserveBinary() + " --help");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  for (const std::string flag : {"--devices", "--xcore_sim", "--xcore_usb", "host,ref,xs3,xcore",
                                 "xcore@"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << " not in:\n" << r.output;
  }
}

TEST(DeviceListTest, ABoardNamedByPathIsListedDownWhileAbsent) {
  ServerConfig config;
  config.args = {"--devices", "ref,xcore@9-9.9", "--xcore_usb=false"};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  v1::ListDevicesResponse list;
  ASSERT_TRUE(ListDevices((*server)->inference(), &list).ok());
  const v1::DeviceStatus* board = FindDevice(list, "xcore@9-9.9");
  ASSERT_NE(board, nullptr) << list.DebugString();
  EXPECT_EQ(board->state(), v1::DeviceStatus::DOWN);
  EXPECT_FALSE(board->state_reason().empty());
  auto metrics = ScrapeMetrics((*server)->http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->Sum("tinyserve_device_up", {{"device", "xcore@9-9.9"}}), 0);
  EXPECT_EQ(metrics->Sum("tinyserve_device_up", {{"device", "ref"}}), 1);
  EXPECT_EQ(metrics->Sum("tinyserve_device_state", {{"device", "xcore@9-9.9"}, {"state", "DOWN"}}),
            1);
  // The stats API says the same.
  auto stats = HttpGet((*server)->http_port(), "/api/v1/stats");
  ASSERT_TRUE(stats.ok()) << stats.status();
  const auto doc = nlohmann::json::parse(stats->body);
  bool found = false;
  for (const auto& d : doc["devices"]) {
    if (d["name"] != "xcore@9-9.9") continue;
    found = true;
    EXPECT_EQ(d["state"], "DOWN");
    EXPECT_EQ(d["state_reason"], board->state_reason());
  }
  EXPECT_TRUE(found) << stats->body;
}

// --- a hung device -------------------------------------------------------------

TEST(HungDeviceTest, GivesUpAtTheDeadlineAndOnCancelWhileOtherDevicesServe) {
  ServerConfig config;
  config.binary = TestServerBinary();
  config.args = {"--devices", "ref,hang", "--xcore_usb=false", "--workers_per_device", "1"};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;

  // A deadline: the call ends DEADLINE_EXCEEDED, and the device's only worker
  // is free again, so the next call on it starts running.
  v1::ClassifyResponse response;
  grpc::Status status =
      Classify(s.inference(), RawRequest(kModel, {0}, "hang"), &response, milliseconds(300));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  ASSERT_TRUE(s.WaitForLog("hang device: invoke #1 started", milliseconds(10000)));

  // While a call hangs on it, the other devices serve.
  AsyncClassify hung(s.inference(), RawRequest(kModel, {0}, "hang"));
  ASSERT_TRUE(s.WaitForLog("hang device: invoke #2 started", milliseconds(10000))) << s.Log();
  for (int i = 0; i < 5; ++i) {
    status = Classify(s.inference(), RawRequest(kModel, {0}, "ref"), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_FALSE(hung.done());

  // Cancelling it frees the worker as well.
  hung.Cancel();
  ASSERT_TRUE(hung.Wait(milliseconds(10000)));
  EXPECT_EQ(hung.status().error_code(), grpc::StatusCode::CANCELLED);
  status = Classify(s.inference(), RawRequest(kModel, {0}, "hang"), &response, milliseconds(200));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(s.WaitForLog("hang device: invoke #3 started", milliseconds(10000))) << s.Log();

  // The server counted what the device answered.
  auto metrics = ScrapeMetrics(s.http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GE(metrics->Sum("tinyserve_requests_total",
                         {{"device", "hang"}, {"code", "DEADLINE_EXCEEDED"}}),
            1);
}

// --- health: DOWN, RECOVERING, UP ------------------------------------------------

TEST(DeviceHealthTest, DownFailsQueuedRequestsAtOnceAndRefusesNewOnesUntilUp) {
  FakeBoards boards;
  boards.Set("a", "UP");
  // Each invoke takes 2 s: requests queue behind the first one.
  auto server = ServerProcess::Start(FakeBoardServer(boards, "ref,fakeboard@a", 2000));
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::UP));

  std::vector<std::unique_ptr<AsyncClassify>> calls;
  calls.push_back(std::make_unique<AsyncClassify>(s.inference(), RawRequest(kModel, {0}, "fakeboard@a")));
  ASSERT_TRUE(s.WaitForLog("fakeboard@a: invoke #1 started", milliseconds(10000))) << s.Log();
  for (int i = 0; i < 3; ++i) {
    calls.push_back(
        std::make_unique<AsyncClassify>(s.inference(), RawRequest(kModel, {0}, "fakeboard@a")));
  }
  // All three queued (a queue depth of 3 shows in ListDevices).
  const auto until = std::chrono::steady_clock::now() + milliseconds(10000);
  for (;;) {
    v1::ListDevicesResponse list;
    ASSERT_TRUE(ListDevices(s.inference(), &list).ok());
    if (FindDevice(list, "fakeboard@a")->queue_depth() == 3) break;
    ASSERT_LT(std::chrono::steady_clock::now(), until) << list.DebugString();
    std::this_thread::sleep_for(milliseconds(10));
  }

  boards.Set("a", "DOWN cable pulled");
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSERT_TRUE(calls[i]->Wait(milliseconds(10000))) << i;
    EXPECT_EQ(calls[i]->status().error_code(), grpc::StatusCode::UNAVAILABLE)
        << i << ": " << calls[i]->status().error_message();
    EXPECT_NE(calls[i]->status().error_message().find("fakeboard@a"), std::string::npos)
        << calls[i]->status().error_message();
    EXPECT_NE(calls[i]->status().error_message().find("cable pulled"), std::string::npos)
        << calls[i]->status().error_message();
  }
  // The queued ones never ran: only the first invoke started.
  EXPECT_EQ(s.CountInLog("fakeboard@a: invoke #"), 1) << s.Log();

  v1::ListDevicesResponse list;
  ASSERT_TRUE(ListDevices(s.inference(), &list).ok());
  EXPECT_EQ(FindDevice(list, "fakeboard@a")->state(), v1::DeviceStatus::DOWN);
  EXPECT_EQ(FindDevice(list, "fakeboard@a")->state_reason(), "cable pulled");
  EXPECT_EQ(FindDevice(list, "ref")->state(), v1::DeviceStatus::UP);
  auto metrics = ScrapeMetrics(s.http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->Sum("tinyserve_device_up", {{"device", "fakeboard@a"}}), 0);
  EXPECT_EQ(metrics->Sum("tinyserve_device_state", {{"device", "fakeboard@a"}, {"state", "DOWN"}}),
            1);
  EXPECT_EQ(metrics->Sum("tinyserve_device_state", {{"device", "fakeboard@a"}, {"state", "UP"}}),
            0);

  // New requests are refused at once, without running; other devices serve.
  v1::ClassifyResponse response;
  grpc::Status status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard@a"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_TRUE(Classify(s.inference(), RawRequest(kModel, {0}, "ref"), &response).ok());

  // RECOVERING refuses too.
  boards.Set("a", "RECOVERING reopening");
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::RECOVERING));
  status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard@a"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("RECOVERING"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(s.CountInLog("fakeboard@a: invoke #"), 1) << s.Log();

  // UP serves again.
  boards.Set("a", "UP");
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::UP));
  status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard@a"), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.metrics().device(), "fakeboard@a");
}

TEST(DeviceHealthTest, UnpluggedBoardGoesDownAndComesBackWhenReplugged) {
  FakeBoards boards;
  boards.Set("a", "UP");
  auto server = ServerProcess::Start(FakeBoardServer(boards, "ref,fakeboard", 0));
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::UP));

  boards.Unplug("a");
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::DOWN));
  v1::ClassifyResponse response;
  grpc::Status status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard@a"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("unplugged"), std::string::npos) << status.error_message();

  boards.Set("a", "UP");
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::UP));
  status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard@a"), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // The same device came back: listed once.
  const auto names = DeviceNames(s);
  EXPECT_EQ(std::count(names.begin(), names.end(), "fakeboard@a"), 1);
}

// --- boards arriving, family names -----------------------------------------------

TEST(DeviceArrivalTest, ABoardPluggedInLaterServesEveryLoadedModelWithoutARestart) {
  FakeBoards boards;
  auto server = ServerProcess::Start(FakeBoardServer(boards, "ref,fakeboard", 0));
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  EXPECT_EQ(DeviceNames(s), (std::vector<std::string>{"ref"}));
  EXPECT_TRUE(s.WaitForLog("fakeboard: no device yet, watching for arrivals", milliseconds(1000)));

  boards.Set("b", "UP");
  ASSERT_TRUE(s.WaitForLog("model kws_ref_model version 1 now also runs on fakeboard@b",
                           milliseconds(20000)))
      << s.Log();
  ASSERT_TRUE(s.WaitForLog("model hello_world_int8 version 1 now also runs on fakeboard@b",
                           milliseconds(20000)))
      << s.Log();
  EXPECT_EQ(DeviceNames(s), (std::vector<std::string>{"ref", "fakeboard@b"}));
  v1::ClassifyResponse response;
  grpc::Status status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard@b"), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // The family name runs on its UP member.
  status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.metrics().device(), "fakeboard@b");
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata(s.inference(), kModel, 0, &metadata).ok());
  bool listed = false;
  for (const auto& d : metadata.devices()) listed = listed || d.device() == "fakeboard@b";
  EXPECT_TRUE(listed) << metadata.DebugString();

  // A second board; with the first DOWN, the family picks the second.
  boards.Set("c", "UP");
  ASSERT_TRUE(s.WaitForLog("model hello_world_int8 version 1 now also runs on fakeboard@c",
                           milliseconds(20000)))
      << s.Log();
  boards.Set("b", "DOWN firmware trapped");
  ASSERT_TRUE(WaitForState(s, "fakeboard@b", v1::DeviceStatus::DOWN));
  for (int i = 0; i < 3; ++i) {
    status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard"), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.metrics().device(), "fakeboard@c");
  }
  // None UP: UNAVAILABLE naming each board and why.
  boards.Unplug("c");
  ASSERT_TRUE(WaitForState(s, "fakeboard@c", v1::DeviceStatus::DOWN));
  status = Classify(s.inference(), RawRequest(kModel, {0}, "fakeboard"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  for (const std::string part : {"fakeboard@b", "firmware trapped", "fakeboard@c", "unplugged"}) {
    EXPECT_NE(status.error_message().find(part), std::string::npos) << status.error_message();
  }
}

TEST(DeviceArrivalTest, CompareTakesFamiliesAndRefusesADownDeviceNamingIt) {
  FakeBoards boards;
  boards.Set("a", "UP");
  auto server = ServerProcess::Start(FakeBoardServer(boards, "ref,fakeboard", 0));
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::UP));

  v1::CompareRequest request;
  request.set_model(kModel);
  request.set_raw_input(std::string(1, '\x05'));
  request.add_devices("ref");
  request.add_devices("fakeboard");
  v1::CompareResponse response;
  grpc::Status status = Compare(s.inference(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_EQ(response.results(1).device(), "fakeboard");
  EXPECT_EQ(response.results(1).response().metrics().device(), "fakeboard@a");
  ASSERT_EQ(response.pairs_size(), 1);
  EXPECT_TRUE(response.pairs(0).bit_exact());

  // The family and its member are the same device.
  request.set_devices(0, "fakeboard@a");
  status = Compare(s.inference(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();

  boards.Set("a", "DOWN unplugged");
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::DOWN));
  request.set_devices(0, "ref");
  request.set_devices(1, "fakeboard@a");
  status = Compare(s.inference(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("fakeboard@a"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(s.CountInLog("fakeboard@a: invoke #"), 1) << "only the first Compare ran on it";
}

TEST(DeviceHealthTest, ShadowRunsToADownDeviceAreDropped) {
  FakeBoards boards;
  boards.Set("a", "DOWN not yet");
  TempDir repo;
  InstallBundledModel(repo.path(), kModel);
  WriteFile(repo.path() + "/" + kModel + "/config.pbtxt",
            "default_device: \"ref\"\nshadow { device: \"fakeboard@a\" sample_fraction: 1 }\n");
  ServerConfig config = FakeBoardServer(boards, "ref,fakeboard@a", 0);
  config.model_repository = repo.path();
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::DOWN));
  const Labels dropped = {{"model", kModel}, {"primary", "ref"}, {"shadow", "fakeboard@a"},
                          {"result", "dropped"}};
  const Labels exact = {{"model", kModel}, {"primary", "ref"}, {"shadow", "fakeboard@a"},
                        {"result", "exact"}};
  v1::ClassifyResponse response;
  for (int i = 0; i < 3; ++i) {
    const grpc::Status status = Classify(s.inference(), RawRequest(kModel, {0}), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();  // the caller never sees the shadow
  }
  // A shadow run is recorded after the caller is answered: poll for it.
  const auto dropped_by = std::chrono::steady_clock::now() + milliseconds(10000);
  auto metrics = ScrapeMetrics(s.http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  while (metrics->Sum("tinyserve_shadow_total", dropped) < 3 &&
         std::chrono::steady_clock::now() < dropped_by) {
    std::this_thread::sleep_for(milliseconds(20));
    metrics = ScrapeMetrics(s.http_port());
    ASSERT_TRUE(metrics.ok()) << metrics.status();
  }
  EXPECT_EQ(metrics->Sum("tinyserve_shadow_total", dropped), 3);
  EXPECT_EQ(s.CountInLog("fakeboard@a: invoke #"), 0);

  // Once UP, shadow runs run there.
  boards.Set("a", "UP");
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::UP));
  ASSERT_TRUE(Classify(s.inference(), RawRequest(kModel, {0}), &response).ok());
  ASSERT_TRUE(s.WaitForLog("fakeboard@a: invoke #1 started", milliseconds(10000))) << s.Log();
  const auto until = std::chrono::steady_clock::now() + milliseconds(10000);
  double compared = 0;
  while (compared < 1 && std::chrono::steady_clock::now() < until) {
    metrics = ScrapeMetrics(s.http_port());
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    compared = metrics->Sum("tinyserve_shadow_total", exact);
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(compared, 1);
}

TEST(DeviceArrivalTest, ABoardThatArrivedLaterIsAShadowPrimaryLikeAnyDevice) {
  FakeBoards boards;
  TempDir repo;
  InstallBundledModel(repo.path(), kModel);
  WriteFile(repo.path() + "/" + kModel + "/config.pbtxt",
            "default_device: \"ref\"\nshadow { device: \"ref\" sample_fraction: 1 }\n");
  ServerConfig config = FakeBoardServer(boards, "ref,fakeboard", 0);
  config.model_repository = repo.path();
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  boards.Set("late", "UP");
  ASSERT_TRUE(s.WaitForLog("now also runs on fakeboard@late", milliseconds(20000))) << s.Log();
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify(s.inference(), RawRequest(kModel, {3}, "fakeboard"), &response).ok());
  const Labels exact = {{"model", kModel}, {"primary", "fakeboard@late"}, {"shadow", "ref"},
                        {"result", "exact"}};
  const auto until = std::chrono::steady_clock::now() + milliseconds(10000);
  double compared = 0;
  while (compared < 1 && std::chrono::steady_clock::now() < until) {
    auto metrics = ScrapeMetrics(s.http_port());
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    compared = metrics->Sum("tinyserve_shadow_total", exact);
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(compared, 1);
}

// --- link figures --------------------------------------------------------------

TEST(LinkMetricsTest, ADeviceBehindALinkReportsItInTheResponsePrometheusAndTheCli) {
  FakeBoards boards;
  boards.Set("a", "UP");
  auto server = ServerProcess::Start(FakeBoardServer(boards, "ref,fakeboard", 0));
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;
  ASSERT_TRUE(WaitForState(s, "fakeboard@a", v1::DeviceStatus::UP));

  v1::ClassifyResponse response;
  grpc::Status status = Classify(s.inference(), RawRequest(kModel, {7}, "fakeboard@a"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(response.metrics().has_link());
  const v1::LinkMetrics& link = response.metrics().link();
  EXPECT_EQ(link.bytes_out(), 9 + 1);  // three 3-byte commands + the 1-byte input
  EXPECT_EQ(link.bytes_in(), 1);
  EXPECT_EQ(link.transfers(), 5);
  EXPECT_DOUBLE_EQ(link.host_to_board_us(), 1.0);
  EXPECT_DOUBLE_EQ(link.on_board_us(), 2.0);
  EXPECT_DOUBLE_EQ(link.board_to_host_us(), 3.0);
  // Devices without a link report none.
  status = Classify(s.inference(), RawRequest(kModel, {7}, "ref"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.metrics().has_link());
  status = Classify(s.inference(), RawRequest(kModel, {7}, "fakeboard@a"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  auto metrics = ScrapeMetrics(s.http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  const Labels board = {{"model", kModel}, {"version", "1"}, {"device", "fakeboard@a"}};
  auto with = [&board](const std::string& key, const std::string& value) {
    Labels l = board;
    l[key] = value;
    return l;
  };
  EXPECT_EQ(metrics->Sum("tinyserve_link_bytes_total", with("direction", "out")), 2 * 10);
  EXPECT_EQ(metrics->Sum("tinyserve_link_bytes_total", with("direction", "in")), 2 * 1);
  for (const std::string phase : {"host_to_board", "on_board", "board_to_host"}) {
    EXPECT_EQ(metrics->Sum("tinyserve_link_duration_seconds_count", with("phase", phase)), 2)
        << phase;
  }
  EXPECT_DOUBLE_EQ(
      metrics->Sum("tinyserve_link_duration_seconds_sum", with("phase", "on_board")), 2 * 2e-6);
  EXPECT_EQ(metrics->Type("tinyserve_link_duration_seconds"), "histogram");
  EXPECT_TRUE(CheckHistograms(*metrics).empty());
  // No link series for devices without a link.
  EXPECT_TRUE(metrics->Find("tinyserve_link_bytes_total", {{"device", "ref"}}).empty());

  // tinyserve-cli classify prints the link line (and --json carries it).
  const std::string cli = std::string(TINYSERVE_CLI_BINARY) + " --server " + s.grpc_address() +
                          " classify --model " + kModel + " --device fakeboard@a --input ";
  TempDir tmp;
  const std::string input = tmp.path() + "/input.bin";
  WriteFile(input, std::vector<uint8_t>{7});
  CommandResult r = RunCommand(cli + input);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_NE(r.output.find("link: 10 bytes out, 1 bytes in, 5 transfers"), std::string::npos)
      << r.output;
  r = RunCommand(cli + input + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const auto doc = nlohmann::json::parse(r.output);
  EXPECT_EQ(doc["metrics"]["link"]["bytes_out"], "10") << r.output;  // int64 as a JSON string
}

// --- config.pbtxt: xcore { ... } ------------------------------------------------

TEST(XcoreBindingConfigTest, BadBindingsFailTheLoadNamingTheFieldAndGoodOnesLoad) {
  TempDir repo;
  const std::string root = repo.path();
  struct Case {
    std::string model;
    std::string config;
    grpc::StatusCode code;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"escapes", "xcore { firmware_model: \"../hello_world_int8/1/model.tflite\" }",
       grpc::StatusCode::INVALID_ARGUMENT, {"xcore.firmware_model", "inside the model directory"}},
      {"absolute", "xcore { firmware_model: \"/etc/passwd\" }",
       grpc::StatusCode::INVALID_ARGUMENT, {"xcore.firmware_model", "/etc/passwd"}},
      {"missing", "xcore { firmware_model: \"fw/nope.tflite\" }", grpc::StatusCode::NOT_FOUND,
       {"xcore.firmware_model", "fw/nope.tflite"}},
      {"symlinked", "xcore { firmware_model: \"outside.tflite\" }",
       grpc::StatusCode::INVALID_ARGUMENT, {"leads outside the model directory"}},
      {"index", "xcore { model_index: 300 }", grpc::StatusCode::INVALID_ARGUMENT,
       {"xcore.model_index", "300"}},
      {"typo", "xcore { model_idx: 1 }", grpc::StatusCode::INVALID_ARGUMENT, {"model_idx"}},
  };
  for (const Case& c : cases) {
    InstallBundledModel(root, "hello_world_int8", 1, c.model);
    WriteFile(root + "/" + c.model + "/config.pbtxt", c.config + "\n");
  }
  std::filesystem::create_symlink(BundledModelsDir() + "/hello_world_int8/1/model.tflite",
                                  root + "/symlinked/outside.tflite");
  InstallBundledModel(root, "hello_world_int8", 1, "good");
  std::filesystem::create_directories(root + "/good/fw");
  std::filesystem::copy_file(BundledModelsDir() + "/hello_world_int8/1/model.tflite",
                             root + "/good/fw/xformed.tflite");
  WriteFile(root + "/good/config.pbtxt",
            "xcore { model_index: 2 firmware_model: \"fw/xformed.tflite\" board: \"sim0\" }\n");

  ServerConfig config;
  config.model_repository = root;
  config.args = {"--devices", "ref", "--xcore_usb=false"};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.model);
    const grpc::Status status = LoadModel((*server)->admin(), c.model, 1);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    for (const std::string& f : c.fragments) {
      EXPECT_NE(status.error_message().find(f), std::string::npos) << status.error_message();
    }
  }
  EXPECT_TRUE(LoadModel((*server)->admin(), "good", 1).ok());
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata((*server)->inference(), "good", 0, &metadata).ok());
  EXPECT_EQ(metadata.config().xcore().model_index(), 2);
  EXPECT_EQ(metadata.config().xcore().board(), "sim0");
  v1::ClassifyResponse response;
  EXPECT_TRUE(Classify((*server)->inference(), RawRequest("good", {0}), &response).ok());
}

}  // namespace
}  // namespace tinyserve::testing
