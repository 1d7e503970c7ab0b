// A simulated xcore board through the server (issue 10): tinyserve-xcore-sim
// with every bundled model in its "firmware", the unmodified tinyserve binary
// given --xcore_sim, each model bound by `xcore { model_index: N }`. On every
// bundled model the board's outputs equal xs3's (the simulator computes with
// xs3), Compare host vs board reports the same differences as host vs xs3,
// link figures come back, and the family name "xcore" reaches the board.
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tinyserve/v1/data_type_size.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

using std::chrono::milliseconds;

// tinyserve-xcore-sim as a child process listening on a unix socket.
class SimProcess {
 public:
  SimProcess(const std::string& socket, const std::vector<std::string>& models,
             const std::string& log, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {TINYSERVE_XCORE_SIM_BINARY, "--listen", socket};
    args.insert(args.end(), extra.begin(), extra.end());
    for (const std::string& m : models) {
      args.push_back("--model");
      args.push_back(m);
    }
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~SimProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200 && waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    if (waitpid(pid_, &status, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool WaitForText(const std::string& path, const std::string& needle, milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (ReadText(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

class XcoreSimServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string repo = dir_->path() + "/repo";
    std::vector<std::string> firmware;
    for (const std::string& model : BundledModelNames()) {
      InstallBundledModel(repo, model);
      // The bundled config, plus where the model sits in the board's firmware.
      const std::string config = ReadText(BundledModelsDir() + "/" + model + "/config.pbtxt");
      WriteFile(repo + "/" + model + "/config.pbtxt",
                config + "\nxcore { model_index: " + std::to_string(firmware.size()) + " }\n");
      firmware.push_back(BundledModelPath(model));
      models_->push_back(model);
    }
    const std::string sim_log = dir_->path() + "/sim.log";
    const std::string socket = dir_->path() + "/board.sock";
    sim_ = new SimProcess(socket, firmware, sim_log);
    if (!sim_->started() ||
        !WaitForText(sim_log, "listening on", milliseconds(30000))) {
      *start_error_ = "tinyserve-xcore-sim did not start: " + ReadText(sim_log);
      return;
    }
    ServerConfig config;
    config.model_repository = repo;
    config.args = {"--devices", "host,xs3,xcore", "--xcore_sim", socket, "--xcore_usb=false"};
    auto server = ServerProcess::Start(config);
    if (!server.ok()) {
      *start_error_ = server.status().ToString();
      return;
    }
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete sim_;
    sim_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(server_, nullptr) << *start_error_; }

  static inline TempDir* dir_ = nullptr;
  static inline SimProcess* sim_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
  static inline std::string* start_error_ = new std::string();
  static inline std::vector<std::string>* models_ = new std::vector<std::string>();
};

TEST_F(XcoreSimServerTest, TheBoardIsListedUpAndEveryModelIsBoundToIt) {
  v1::ListDevicesResponse list;
  ASSERT_TRUE(ListDevices(server_->inference(), &list).ok());
  std::vector<std::string> names;
  for (const auto& d : list.devices()) {
    names.push_back(d.name());
    EXPECT_EQ(d.state(), v1::DeviceStatus::UP) << d.name() << ": " << d.state_reason();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"host", "xs3", "xcore@sim0"}));
}

TEST_F(XcoreSimServerTest, OnEveryBundledModelTheBoardEqualsXs3AndHostDiffersFromBothAlike) {
  std::mt19937 rng(20261203);
  int models_checked = 0;
  int host_differs = 0;  // inputs where host and xs3 differ: the diff check has teeth
  for (const std::string& model : *models_) {
    SCOPED_TRACE(model);
    v1::ModelMetadata metadata;
    ASSERT_TRUE(GetModelMetadata(server_->inference(), model, 0, &metadata).ok());
    bool on_xs3 = false, on_board = false;
    for (const auto& d : metadata.devices()) {
      on_xs3 = on_xs3 || d.device() == "xs3";
      on_board = on_board || d.device() == "xcore@sim0";
    }
    // The board runs what xs3 can; a model xs3 refuses is refused by the board too.
    EXPECT_EQ(on_board, on_xs3) << metadata.DebugString();
    if (!on_xs3) continue;
    ASSERT_EQ(metadata.inputs_size(), 1);
    const v1::TensorSpec& spec = metadata.inputs(0);
    ASSERT_NE(spec.dtype(), v1::FLOAT32) << "random bytes are integer inputs only";
    size_t bytes = static_cast<size_t>(DataTypeBytes(spec.dtype()));
    for (int d : spec.shape()) bytes *= static_cast<size_t>(d);
    ++models_checked;
    for (int i = 0; i < 3; ++i) {
      std::string input(bytes, '\0');
      for (char& c : input) c = static_cast<char>(rng());
      v1::CompareRequest request;
      request.set_model(model);
      request.set_raw_input(input);
      for (const char* d : {"host", "xs3", "xcore"}) request.add_devices(d);
      v1::CompareResponse response;
      const grpc::Status status = Compare(server_->inference(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(response.pairs_size(), 3);
      const v1::PairComparison& host_xs3 = response.pairs(0);
      const v1::PairComparison& host_board = response.pairs(1);
      const v1::PairComparison& xs3_board = response.pairs(2);
      EXPECT_TRUE(xs3_board.bit_exact()) << xs3_board.DebugString();
      host_differs += host_xs3.bit_exact() ? 0 : 1;
      EXPECT_EQ(host_board.bit_exact(), host_xs3.bit_exact());
      EXPECT_EQ(host_board.differing_elements(), host_xs3.differing_elements());
      EXPECT_EQ(host_board.max_abs_diff(), host_xs3.max_abs_diff());
      EXPECT_EQ(host_board.top1_agrees(), host_xs3.top1_agrees());
      // The board's result: which board ran it, and what crossed the link.
      const v1::RequestMetrics& m = response.results(2).response().metrics();
      EXPECT_EQ(m.device(), "xcore@sim0");
      ASSERT_TRUE(m.has_link());
      EXPECT_GE(m.link().bytes_out(), static_cast<int64_t>(bytes));
      EXPECT_GT(m.link().bytes_in(), 0);
      EXPECT_GT(m.link().transfers(), 0);
      EXPECT_FALSE(response.results(1).response().metrics().has_link());
    }
  }
  EXPECT_GT(models_checked, 0);
  std::printf("[   INFO   ] %d of %zu bundled models on the board; host differed from xs3 on %d "
              "inputs\n",
              models_checked, models_->size(), host_differs);
  auto metrics = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GT(metrics->Sum("tinyserve_link_bytes_total",
                         {{"device", "xcore@sim0"}, {"direction", "out"}}),
            0);
  EXPECT_EQ(metrics->Sum("tinyserve_device_up", {{"device", "xcore@sim0"}}), 1);
}

// A board that never answers (the simulator's "hang" fault): a call on it
// ends within its deadline, the server says why, and the other devices serve
// meanwhile.
TEST(XcoreSimHungBoardTest, ACallOnAHungBoardEndsByItsDeadlineWhileOtherDevicesServe) {
  TempDir dir;
  const std::string repo = dir.path() + "/repo";
  InstallBundledModel(repo, "hello_world_int8");
  WriteFile(repo + "/hello_world_int8/config.pbtxt", "kind: REGRESSOR\nxcore { model_index: 0 }\n");
  const std::string log = dir.path() + "/sim.log";
  const std::string socket = dir.path() + "/board.sock";
  SimProcess sim(socket, {BundledModelPath("hello_world_int8")}, log, {"--fault", "hang"});
  ASSERT_TRUE(sim.started());
  ASSERT_TRUE(WaitForText(log, "listening on", milliseconds(30000))) << ReadText(log);
  ServerConfig config;
  config.model_repository = repo;
  config.args = {"--devices", "ref,xcore", "--xcore_sim", socket, "--xcore_usb=false"};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& s = **server;

  // Twice: the first call's worker must be free again for the second.
  for (int i = 0; i < 2; ++i) {
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(
        s.inference(), RawRequest("hello_world_int8", {0}, "xcore@sim0"), &response,
        milliseconds(1500));
    EXPECT_TRUE(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                status.error_code() == grpc::StatusCode::UNAVAILABLE)
        << status.error_code() << ": " << status.error_message();
    v1::ClassifyResponse ref;
    const grpc::Status ref_status =
        Classify(s.inference(), RawRequest("hello_world_int8", {0}, "ref"), &ref);
    EXPECT_TRUE(ref_status.ok()) << ref_status.error_message();
  }
  // What the server recorded for the board: failures, never OK.
  auto metrics = ScrapeMetrics(s.http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->Sum("tinyserve_requests_total", {{"device", "xcore@sim0"}, {"code", "OK"}}),
            0);
  EXPECT_GE(metrics->Sum("tinyserve_requests_total", {{"device", "xcore@sim0"}}), 1);
}

}  // namespace
}  // namespace tinyserve::testing
