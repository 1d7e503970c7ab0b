// The production USB path through the server (issue 10): the unmodified
// tinyserve binary, started as a child under the umockdev testbed
// (tests/devices/xcore/umockdev_board_testbed.h), finds simulated xcore.ai
// boards with libusb's own Linux backend and runs requests on them over usbfs
// bulk transfers. `--devices host,xs3,xcore` with USB on and no simulator
// socket; every model is bound by `xcore { model_index: N }` to the board's
// firmware. Checked: enumeration and classify equal to xs3 with exact link
// figures, two boards at once, a hung board, unplug / replug, a wrong-sized
// input refused before anything is sent, and broken replies.
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "devices/device_registry.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/devices/xcore/umockdev_board_testbed.h"
#include "tests/server/server_process.h"
#include "tests/support/test_paths.h"
#include "tinyserve/v1/data_type_size.h"

namespace tinyserve::testing {
namespace {

using std::chrono::milliseconds;
using xcore::sim::BoardFaults;
using xcore::sim::BoardStateMachine;
using xcore::testing::UmockdevBoardTestbed;
using Clock = std::chrono::steady_clock;

// How long the server may take to notice a hot-plug event (uevent -> libusb
// hotplug -> the board's health): generous, it is only a bound.
constexpr milliseconds kHotplugWait{15000};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t TensorBytes(const v1::TensorSpec& spec) {
  size_t bytes = static_cast<size_t>(DataTypeBytes(spec.dtype()));
  for (int d : spec.shape()) bytes *= static_cast<size_t>(d);
  return bytes;
}

// A board whose firmware holds `names`, model i at index i, each compiled
// for xs3 (what the simulated chip computes with).
std::shared_ptr<BoardStateMachine> MakeBoard(const std::vector<std::string>& names) {
  xcore::sim::Firmware firmware;
  auto xs3 = CreateDevice("xs3");
  EXPECT_TRUE(xs3.ok()) << xs3.status();
  if (!xs3.ok()) return nullptr;
  for (const std::string& name : names) {
    auto model = Model::LoadFile(BundledModelPath(name));
    EXPECT_TRUE(model.ok()) << name << ": " << model.status();
    if (!model.ok()) return nullptr;
    auto exe = (*xs3)->Compile(*model);
    EXPECT_TRUE(exe.ok()) << name << ": " << exe.status();
    if (!exe.ok()) return nullptr;
    firmware.models.push_back(*exe);
  }
  auto board = BoardStateMachine::Create(std::move(firmware), xcore::sim::DefaultBoardTiming());
  EXPECT_TRUE(board.ok()) << board.status();
  if (!board.ok()) return nullptr;
  return std::shared_ptr<BoardStateMachine>(std::move(*board));
}

// The testbed with boards, a repository binding `models` (index i in every
// board's firmware), and the server under the testbed. Members are destroyed
// in reverse: the server stops before the testbed that serves its ioctls.
class XcoreUsbServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto testbed = UmockdevBoardTestbed::Create();
    ASSERT_TRUE(testbed.ok()) << testbed.status();
    testbed_ = std::move(*testbed);
  }

  void TearDown() override {
    if (server_ != nullptr) {
      // A server that died is a failure of its own (the destructor only
      // reports a bad exit after SIGTERM).
      EXPECT_TRUE(ServerRunning()) << "the server exited during the test; its output:\n"
                                   << server_->Log();
    }
    server_.reset();
  }

  // Boards at `paths`, each with the firmware `models`; then the server.
  void Start(const std::vector<std::string>& paths, const std::vector<std::string>& models,
             const std::string& devices = "host,xs3,xcore") {
    models_ = models;
    for (const std::string& path : paths) {
      auto board = MakeBoard(models);
      ASSERT_NE(board, nullptr);
      ASSERT_TRUE(testbed_->AddBoard(path, std::move(board)).ok()) << path;
    }
    const std::string repo = dir_.path() + "/repo";
    for (size_t i = 0; i < models.size(); ++i) {
      InstallBundledModel(repo, models[i]);
      const std::string config =
          ReadText(BundledModelsDir() + "/" + models[i] + "/config.pbtxt");
      WriteFile(repo + "/" + models[i] + "/config.pbtxt",
                absl::StrCat(config, "\nxcore { model_index: ", i, " }\n"));
    }
    ServerConfig config;
    config.model_repository = repo;
    config.args = {"--devices", devices};  // USB on (the default), no --xcore_sim
    config.env = testbed_->ChildEnvironment();
    auto server = ServerProcess::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  v1::DeviceStatus Device(const std::string& name) {
    v1::ListDevicesResponse list;
    const grpc::Status status = ListDevices(server_->inference(), &list);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const auto& d : list.devices()) {
      if (d.name() == name) return d;
    }
    v1::DeviceStatus absent;
    absent.set_name(name);
    return absent;  // STATE_UNSPECIFIED
  }

  // Polls ListDevices until `name` is in `state`; false after `timeout`.
  bool WaitForState(const std::string& name, v1::DeviceStatus::State state,
                    milliseconds timeout = kHotplugWait) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      if (Device(name).state() == state) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return Device(name).state() == state;
  }

  // A random input of the right size for `model` (input 0).
  std::string RandomInput(const std::string& model, uint32_t seed) {
    v1::ModelMetadata metadata;
    EXPECT_TRUE(GetModelMetadata(server_->inference(), model, 0, &metadata).ok());
    EXPECT_EQ(metadata.inputs_size(), 1) << model;
    if (metadata.inputs_size() < 1) return "";
    std::string input(TensorBytes(metadata.inputs(0)), '\0');
    std::mt19937 rng(seed);
    for (char& c : input) c = static_cast<char>(rng());
    return input;
  }

  static v1::ClassifyRequest Request(const std::string& model, const std::string& input,
                                     const std::string& device) {
    v1::ClassifyRequest request;
    request.set_model(model);
    request.set_raw_input(input);
    request.set_device(device);
    return request;
  }

  // The raw bytes of every output, in order.
  static std::vector<std::string> RawOutputs(const v1::ClassifyResponse& response) {
    std::vector<std::string> raw;
    for (const auto& o : response.outputs()) raw.push_back(o.raw());
    return raw;
  }

  // Classify on xs3: the reference for a board.
  std::vector<std::string> Xs3Outputs(const std::string& model, const std::string& input) {
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(server_->inference(), Request(model, input, "xs3"), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return RawOutputs(response);
  }

  // Classify on `device`; its outputs must equal xs3's byte for byte.
  void ExpectBoardEqualsXs3(const std::string& model, const std::string& device, uint32_t seed) {
    SCOPED_TRACE(absl::StrCat(model, " on ", device));
    const std::string input = RandomInput(model, seed);
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(server_->inference(), Request(model, input, device), &response);
    ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
    EXPECT_EQ(response.metrics().device(), device);
    const std::vector<std::string> board = RawOutputs(response);
    EXPECT_FALSE(board.empty());
    EXPECT_EQ(board, Xs3Outputs(model, input));
  }

  // Reaps the server if it has exited (then its destructor reports nothing).
  bool ServerRunning() { return !server_->WaitForExit(milliseconds(0)).has_value(); }

  // A host classify succeeds (the server serves other devices).
  void ExpectHostServes(const std::string& model, uint32_t seed) {
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(server_->inference(), Request(model, RandomInput(model, seed), "host"), &response,
                 milliseconds(10000));
    EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  }

  // Requests the server counted for `device` that did not end OK.
  double FailedOn(const std::string& device) {
    auto metrics = ScrapeMetrics(server_->http_port());
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    if (!metrics.ok()) return -1;
    return metrics->Sum("tinyserve_requests_total", {{"device", device}}) -
           metrics->Sum("tinyserve_requests_total", {{"device", device}, {"code", "OK"}});
  }

  std::unique_ptr<UmockdevBoardTestbed> testbed_;
  TempDir dir_;
  std::vector<std::string> models_;
  std::unique_ptr<ServerProcess> server_;
};

// --- 1. Enumerate + classify -------------------------------------------------

TEST_F(XcoreUsbServerTest, EnumeratesTheBoardAndClassifiesLikeXs3WithExactLinkFigures) {
  const std::vector<std::string> models = {"hello_world_int8", "kws_ref_model", "ad01_int8",
                                           "vww_96_int8"};
  ASSERT_NO_FATAL_FAILURE(Start({"1-2"}, models));

  v1::ListDevicesResponse list;
  ASSERT_TRUE(ListDevices(server_->inference(), &list).ok());
  std::vector<std::string> names;
  for (const auto& d : list.devices()) {
    names.push_back(d.name());
    EXPECT_EQ(d.state(), v1::DeviceStatus::UP) << d.name() << ": " << d.state_reason();
  }
  EXPECT_EQ(names, (std::vector<std::string>{"host", "xs3", "xcore@1-2"}));

  int64_t bytes_out_total = 0;
  int64_t bytes_in_total = 0;
  for (size_t m = 0; m < models.size(); ++m) {
    const std::string& model = models[m];
    SCOPED_TRACE(model);
    v1::ModelMetadata metadata;
    ASSERT_TRUE(GetModelMetadata(server_->inference(), model, 0, &metadata).ok());
    bool on_board = false;
    for (const auto& d : metadata.devices()) on_board = on_board || d.device() == "xcore@1-2";
    ASSERT_TRUE(on_board) << metadata.DebugString();

    // What the io_server exchange moves, derived from the tensors: per input
    // a 3-byte RECV_INPUT, its bytes and a ZLP when they fill whole packets;
    // INVOKE + ZLP; per output SEND_OUTPUT + one read of the word-padded size.
    int64_t bytes_out = 3;  // INVOKE
    int64_t transfers = 2;  // INVOKE, its ZLP
    int64_t bytes_in = 0;
    for (const auto& spec : metadata.inputs()) {
      const size_t n = TensorBytes(spec);
      bytes_out += 3 + static_cast<int64_t>(n);
      transfers += 2 + ((n > 0 && n % 512 == 0) ? 1 : 0);
    }
    for (const auto& spec : metadata.outputs()) {
      bytes_out += 3;
      transfers += 2;
      bytes_in += static_cast<int64_t>((TensorBytes(spec) + 3) / 4 * 4);
    }

    const int64_t invokes_before = testbed_->board("1-2")->invokes();
    for (uint32_t seed = 1; seed <= 2; ++seed) {
      const std::string input = RandomInput(model, static_cast<uint32_t>(m * 100 + seed));
      v1::ClassifyResponse response;
      const grpc::Status status =
          Classify(server_->inference(), Request(model, input, "xcore@1-2"), &response);
      ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
      EXPECT_EQ(RawOutputs(response), Xs3Outputs(model, input));
      const v1::RequestMetrics& metrics = response.metrics();
      EXPECT_EQ(metrics.device(), "xcore@1-2");
      ASSERT_TRUE(metrics.has_link());
      EXPECT_EQ(metrics.link().bytes_out(), bytes_out);
      EXPECT_EQ(metrics.link().bytes_in(), bytes_in);
      EXPECT_EQ(metrics.link().transfers(), transfers);
      EXPECT_GT(metrics.link().host_to_board_us(), 0);
      EXPECT_GT(metrics.link().on_board_us(), 0);
      EXPECT_GT(metrics.link().board_to_host_us(), 0);
      bytes_out_total += bytes_out;
      bytes_in_total += bytes_in;
    }
    // Each request was one invoke on the board's chip.
    EXPECT_EQ(testbed_->board("1-2")->invokes() - invokes_before, 2);
  }
  // The exchange the USB driver's own test pins for vww: 27648 bytes + ZLP.
  v1::ClassifyResponse vww;
  ASSERT_TRUE(Classify(server_->inference(),
                       Request("vww_96_int8", RandomInput("vww_96_int8", 7), "xcore@1-2"), &vww)
                  .ok());
  EXPECT_EQ(vww.metrics().link().bytes_out(), 27657);
  EXPECT_EQ(vww.metrics().link().bytes_in(), 4);
  EXPECT_EQ(vww.metrics().link().transfers(), 7);
  bytes_out_total += 27657;
  bytes_in_total += 4;

  // xs3's own responses carry no link.
  v1::ClassifyResponse xs3;
  ASSERT_TRUE(Classify(server_->inference(),
                       Request("hello_world_int8", std::string(1, '\0'), "xs3"), &xs3)
                  .ok());
  EXPECT_FALSE(xs3.metrics().has_link());

  auto metrics = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->Sum("tinyserve_device_up", {{"device", "xcore@1-2"}}), 1);
  EXPECT_EQ(metrics->Sum("tinyserve_link_bytes_total",
                         {{"device", "xcore@1-2"}, {"direction", "out"}}),
            static_cast<double>(bytes_out_total));
  EXPECT_EQ(metrics->Sum("tinyserve_link_bytes_total",
                         {{"device", "xcore@1-2"}, {"direction", "in"}}),
            static_cast<double>(bytes_in_total));
}

// --- 2. Two boards at once -----------------------------------------------------

TEST_F(XcoreUsbServerTest, TwoBoardsServeConcurrentRequestsLikeXs3) {
  const std::vector<std::string> models = {"hello_world_int8", "kws_ref_model"};
  ASSERT_NO_FATAL_FAILURE(Start({"1-2", "1-3"}, models));
  EXPECT_EQ(Device("xcore@1-2").state(), v1::DeviceStatus::UP);
  EXPECT_EQ(Device("xcore@1-3").state(), v1::DeviceStatus::UP);

  struct Call {
    std::string device;
    std::string input;
    std::unique_ptr<AsyncClassify> call;
  };
  std::vector<Call> calls;
  for (int i = 0; i < 4; ++i) {
    for (const char* device : {"xcore@1-2", "xcore@1-3"}) {
      Call c{device, RandomInput("kws_ref_model", static_cast<uint32_t>(40 + i)), nullptr};
      calls.push_back(std::move(c));
    }
  }
  for (Call& c : calls) {
    c.call = std::make_unique<AsyncClassify>(server_->inference(),
                                             Request("kws_ref_model", c.input, c.device));
  }
  for (Call& c : calls) {
    ASSERT_TRUE(c.call->Wait()) << c.device;
    ASSERT_TRUE(c.call->status().ok()) << c.device << ": " << c.call->status().error_message();
    EXPECT_EQ(c.call->response().metrics().device(), c.device);
    EXPECT_EQ(RawOutputs(c.call->response()), Xs3Outputs("kws_ref_model", c.input)) << c.device;
  }
  // Each board ran exactly its own four.
  EXPECT_EQ(testbed_->board("1-2")->invokes(), 4);
  EXPECT_EQ(testbed_->board("1-3")->invokes(), 4);
  // The family name runs on one of them.
  v1::ClassifyResponse response;
  const std::string input = RandomInput("hello_world_int8", 3);
  ASSERT_TRUE(
      Classify(server_->inference(), Request("hello_world_int8", input, "xcore"), &response).ok());
  EXPECT_TRUE(response.metrics().device() == "xcore@1-2" ||
              response.metrics().device() == "xcore@1-3")
      << response.metrics().device();
  EXPECT_EQ(RawOutputs(response), Xs3Outputs("hello_world_int8", input));
}

// --- 3. A hung board ---------------------------------------------------------

// Runs a 1 s-deadline classify on the hung board while host classifies go on;
// returns its status. The call ends by its deadline (the client's deadline
// guarantees that much), so the server's side is checked too: the board's
// worker gives up and counts the failure within the deadline + a margin.
grpc::Status HungCallWhileHostServes(ServerProcess& server, const std::string& model,
                                     const std::string& input, int* host_ok) {
  AsyncClassify hung(server.inference(), [&] {
    v1::ClassifyRequest r;
    r.set_model(model);
    r.set_raw_input(input);
    r.set_device("xcore@1-2");
    return r;
  }(), milliseconds(1000));
  v1::ClassifyRequest host;
  host.set_model(model);
  host.set_raw_input(input);
  host.set_device("host");
  while (!hung.done()) {
    v1::ClassifyResponse response;
    const grpc::Status s = Classify(server.inference(), host, &response, milliseconds(5000));
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (s.ok()) ++*host_ok;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(hung.Wait(milliseconds(5000)));
  return hung.status();
}

TEST_F(XcoreUsbServerTest, AHungBoardFailsWithinTheDeadlineWhileHostServes) {
  ASSERT_NO_FATAL_FAILURE(Start({"1-2"}, {"hello_world_int8"}));
  const std::string model = "hello_world_int8";
  const std::string input(1, '\x10');

  // (a) Hung before the exchange: it never takes the first command, so the
  // board is still in step with the host and stays UP (docs: DOWN only when
  // unplugged or out of step).
  BoardFaults faults;
  faults.hang = true;
  testbed_->board("1-2")->SetFaults(faults);
  int host_ok = 0;
  grpc::Status status = HungCallWhileHostServes(*server_, model, input, &host_ok);
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
              status.error_code() == grpc::StatusCode::UNAVAILABLE)
      << status.error_code() << ": " << status.error_message();
  EXPECT_GE(host_ok, 1) << "no host request ran while the board call was in flight";
  // Server side: the board's worker gave up by the deadline (+ margin).
  {
    const auto until = Clock::now() + milliseconds(4000);
    while (FailedOn("xcore@1-2") < 1 && Clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    EXPECT_GE(FailedOn("xcore@1-2"), 1) << "the server did not end the hung call";
  }
  const v1::DeviceStatus after_a = Device("xcore@1-2");
  EXPECT_EQ(after_a.state(), v1::DeviceStatus::UP) << after_a.state_reason();
  EXPECT_EQ(testbed_->board("1-2")->invokes(), 0);
  // Un-hung, the same board works again: its worker is free, it is in step.
  testbed_->board("1-2")->SetFaults(BoardFaults{});
  ExpectBoardEqualsXs3(model, "xcore@1-2", 5);

  // (b) Hung mid-exchange: it takes RECV_INPUT, then NAKs the input bytes.
  // The board may be mid-command now: DOWN "out of step" until replugged.
  faults = BoardFaults{};
  faults.hang_after_out_packets = 1;
  testbed_->board("1-2")->SetFaults(faults);
  host_ok = 0;
  status = HungCallWhileHostServes(*server_, model, input, &host_ok);
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
              status.error_code() == grpc::StatusCode::UNAVAILABLE)
      << status.error_code() << ": " << status.error_message();
  EXPECT_GE(host_ok, 1);
  ASSERT_TRUE(WaitForState("xcore@1-2", v1::DeviceStatus::DOWN, milliseconds(4000)))
      << Device("xcore@1-2").DebugString();
  EXPECT_NE(Device("xcore@1-2").state_reason().find("out of step"), std::string::npos)
      << Device("xcore@1-2").state_reason();
  // DOWN: refused at once, UNAVAILABLE, naming the board.
  v1::ClassifyResponse response;
  status = Classify(server_->inference(), Request(model, input, "xcore@1-2"), &response,
                    milliseconds(5000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("xcore@1-2"), std::string::npos) << status.error_message();
  ExpectHostServes(model, 9);
  // A replug (power cycle) brings it back.
  testbed_->board("1-2")->SetFaults(BoardFaults{});
  ASSERT_TRUE(testbed_->Unplug("1-2").ok());
  ASSERT_TRUE(testbed_->Replug("1-2").ok());
  ASSERT_TRUE(WaitForState("xcore@1-2", v1::DeviceStatus::UP))
      << Device("xcore@1-2").DebugString();
  ExpectBoardEqualsXs3(model, "xcore@1-2", 6);
}

// --- 4. Unplug / replug --------------------------------------------------------

TEST_F(XcoreUsbServerTest, UnplugIsDownAndUnavailableReplugIsUpWithoutARestart) {
  ASSERT_NO_FATAL_FAILURE(Start({"1-2"}, {"hello_world_int8", "kws_ref_model"}));
  const pid_t pid = server_->pid();
  ExpectBoardEqualsXs3("kws_ref_model", "xcore@1-2", 1);

  ASSERT_TRUE(testbed_->Unplug("1-2").ok());
  ASSERT_TRUE(WaitForState("xcore@1-2", v1::DeviceStatus::DOWN))
      << Device("xcore@1-2").DebugString();
  EXPECT_NE(Device("xcore@1-2").state_reason().find("unplugged"), std::string::npos)
      << Device("xcore@1-2").state_reason();
  v1::ClassifyResponse response;
  grpc::Status status =
      Classify(server_->inference(),
               Request("kws_ref_model", RandomInput("kws_ref_model", 2), "xcore@1-2"), &response,
               milliseconds(5000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("xcore@1-2"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("DOWN"), std::string::npos) << status.error_message();
  // The family has no member UP either.
  status = Classify(server_->inference(),
                    Request("kws_ref_model", RandomInput("kws_ref_model", 2), "xcore"), &response,
                    milliseconds(5000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  {
    auto metrics = ScrapeMetrics(server_->http_port());
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    EXPECT_EQ(metrics->Sum("tinyserve_device_up", {{"device", "xcore@1-2"}}), 0);
    EXPECT_EQ(metrics->Sum("tinyserve_device_state", {{"device", "xcore@1-2"}, {"state", "DOWN"}}),
              1);
  }
  ExpectHostServes("kws_ref_model", 3);

  ASSERT_TRUE(testbed_->Replug("1-2").ok());
  ASSERT_TRUE(WaitForState("xcore@1-2", v1::DeviceStatus::UP))
      << Device("xcore@1-2").DebugString();
  ExpectBoardEqualsXs3("kws_ref_model", "xcore@1-2", 4);
  ExpectBoardEqualsXs3("hello_world_int8", "xcore@1-2", 5);
  EXPECT_EQ(server_->pid(), pid);
  EXPECT_TRUE(ServerRunning());
  auto metrics = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->Sum("tinyserve_device_up", {{"device", "xcore@1-2"}}), 1);
}

TEST_F(XcoreUsbServerTest, ABoardPluggedInWhileServingIsPickedUp) {
  ASSERT_NO_FATAL_FAILURE(Start({"1-2"}, {"hello_world_int8"}));
  ASSERT_TRUE(testbed_->AddBoard("1-4", MakeBoard({"hello_world_int8"})).ok());
  ASSERT_TRUE(WaitForState("xcore@1-4", v1::DeviceStatus::UP))
      << Device("xcore@1-4").DebugString();
  // The loaded model is compiled for the newcomer (retried until it serves it).
  const auto until = Clock::now() + kHotplugWait;
  grpc::Status status;
  v1::ClassifyResponse response;
  const std::string input(1, '\x20');
  do {
    status = Classify(server_->inference(), Request("hello_world_int8", input, "xcore@1-4"),
                      &response, milliseconds(5000));
    if (status.ok()) break;
    std::this_thread::sleep_for(milliseconds(50));
  } while (Clock::now() < until);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(response.metrics().device(), "xcore@1-4");
  EXPECT_EQ(RawOutputs(response), Xs3Outputs("hello_world_int8", input));
  EXPECT_EQ(testbed_->board("1-4")->invokes(), 1);
}

// --- 5. Wrong-sized input ------------------------------------------------------

TEST_F(XcoreUsbServerTest, AWrongSizedInputIsRefusedBeforeAnythingIsSent) {
  ASSERT_NO_FATAL_FAILURE(Start({"1-2"}, {"hello_world_int8", "kws_ref_model"}));
  BoardStateMachine* board = testbed_->board("1-2");
  const int64_t packets = board->out_packets_taken();
  const std::string good = RandomInput("kws_ref_model", 11);
  for (const std::string& input :
       {good.substr(1), good + "x", std::string(), std::string(512, '\0')}) {
    SCOPED_TRACE(input.size());
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(
        server_->inference(), Request("kws_ref_model", input, "xcore@1-2"), &response,
        milliseconds(5000));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  }
  v1::ClassifyResponse response;
  const grpc::Status status = Classify(
      server_->inference(), Request("hello_world_int8", "ab", "xcore@1-2"), &response,
      milliseconds(5000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  // Nothing reached the board, which would have trapped on it.
  EXPECT_EQ(board->out_packets_taken(), packets);
  EXPECT_FALSE(board->trapped());
  EXPECT_EQ(board->invokes(), 0);
  EXPECT_EQ(Device("xcore@1-2").state(), v1::DeviceStatus::UP);
  ExpectBoardEqualsXs3("kws_ref_model", "xcore@1-2", 12);
  EXPECT_GT(board->out_packets_taken(), packets);
}

// --- 6. Broken replies ---------------------------------------------------------

TEST_F(XcoreUsbServerTest, ShortRepliesAreAClearErrorAndTheServerKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(Start({"1-2"}, {"ad01_int8", "hello_world_int8"}));
  BoardFaults faults;
  faults.short_replies = true;
  testbed_->board("1-2")->SetFaults(faults);
  const std::string input = RandomInput("ad01_int8", 21);
  v1::ClassifyResponse response;
  const grpc::Status status = Classify(
      server_->inference(), Request("ad01_int8", input, "xcore@1-2"), &response,
      milliseconds(10000));
  // ad01's 640-byte output cut to its first half: the host expected 640.
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("xcore@1-2"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("the board sent 320 bytes, expected 640"),
            std::string::npos)
      << status.error_message();
  EXPECT_TRUE(ServerRunning());
  ExpectHostServes("ad01_int8", 22);
  // Out of step with the host now: DOWN until a power cycle.
  const v1::DeviceStatus down = Device("xcore@1-2");
  EXPECT_EQ(down.state(), v1::DeviceStatus::DOWN) << down.DebugString();
  testbed_->board("1-2")->SetFaults(BoardFaults{});
  ASSERT_TRUE(testbed_->Unplug("1-2").ok());
  ASSERT_TRUE(testbed_->Replug("1-2").ok());
  ASSERT_TRUE(WaitForState("xcore@1-2", v1::DeviceStatus::UP))
      << Device("xcore@1-2").DebugString();
  ExpectBoardEqualsXs3("ad01_int8", "xcore@1-2", 23);
}

// Garbage of the right length cannot be told from an answer: io_server has no
// checksum. The server must pass it on without trouble (and the outputs show
// it: they differ from xs3), and keep serving.
TEST_F(XcoreUsbServerTest, GarbageRepliesPassUndetectedWithoutHarm) {
  ASSERT_NO_FATAL_FAILURE(Start({"1-2"}, {"ad01_int8"}));
  BoardFaults faults;
  faults.garbage_replies = true;
  testbed_->board("1-2")->SetFaults(faults);
  const std::string input = RandomInput("ad01_int8", 31);
  v1::ClassifyResponse response;
  const grpc::Status status = Classify(
      server_->inference(), Request("ad01_int8", input, "xcore@1-2"), &response,
      milliseconds(10000));
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_NE(RawOutputs(response), Xs3Outputs("ad01_int8", input));
  EXPECT_TRUE(ServerRunning());
  ExpectHostServes("ad01_int8", 32);
  // The exchange itself stayed in step: clean replies are right again.
  testbed_->board("1-2")->SetFaults(BoardFaults{});
  EXPECT_EQ(Device("xcore@1-2").state(), v1::DeviceStatus::UP);
  ExpectBoardEqualsXs3("ad01_int8", "xcore@1-2", 33);
}

}  // namespace
}  // namespace tinyserve::testing
