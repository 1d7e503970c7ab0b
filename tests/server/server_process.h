// Test support for the server's end-to-end tests: runs a server binary
// (tinyserve, or tinyserve_test_server with the test-only devices) as a child
// process on free loopback ports, and talks to it over gRPC and HTTP.
//
//   auto server = ServerProcess::Start({.model_repository = repo.path()});
//   ASSERT_TRUE(server.ok()) << server.status();
//   v1::ClassifyResponse response;
//   grpc::Status s = Classify((*server)->inference(), request, &response);
//   auto metrics = ScrapeMetrics((*server)->http_port());
//
// Everything stays on 127.0.0.1; every wait is bounded.
#ifndef TINYSERVE_TESTS_SERVER_SERVER_PROCESS_H_
#define TINYSERVE_TESTS_SERVER_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/status.h"
#include "tinyserve/v1/tinyserve.grpc.pb.h"

namespace tinyserve::testing {

// The binaries under test (set by tests/CMakeLists.txt).
std::string TinyserveBinary();
std::string TestServerBinary();
// The bundled model repository (models/ in the source tree).
std::string BundledModelsDir();

struct ServerConfig {
  std::string binary = TinyserveBinary();
  std::string model_repository = BundledModelsDir();
  // Further flags, e.g. {"--devices", "ref,slow", "--queue_size", "2"}.
  std::vector<std::string> args;
  // Environment variables set (or replaced) for the child.
  std::vector<std::pair<std::string, std::string>> env;
  // Polling the repository is off unless a test asks for it, so a test's
  // changes to the repository only take effect through the Admin API.
  double repository_poll_seconds = 0;
  double ready_timeout_seconds = 60;
  // --address passed to the server; empty: none (the server's own default).
  std::string address = "127.0.0.1";
  // How channel() and NewChannel() connect (e.g. grpc::SslCredentials for a
  // server started with --tls_cert); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
};

// tinyserve_test_server on the bundled models with `devices` (e.g.
// "ref,host,perturb"), its perturb device adding one to byte `perturb_index`
// of output 0.
ServerConfig PerturbTestServerConfig(const std::string& devices, int perturb_index);

class ServerProcess {
 public:
  // Starts the server with --grpc_port 0 --http_port 0 --address 127.0.0.1
  // (config.address) and
  // waits for its "tinyserve ready: grpc port N http port M" line. Fails (with
  // the server's log) when it exits or is not ready within the timeout.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(const ServerConfig& config);

  // Stops the server if it still runs (SIGTERM, bounded wait, then SIGKILL) and
  // records a test failure unless it exited with status 0.
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  std::string grpc_address() const;

  // One channel (and stubs) shared by the test.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  v1::Inference::Stub& inference() { return *inference_; }
  v1::Admin::Stub& admin() { return *admin_; }
  // A new channel with its own connection (config.channel_credentials).
  std::shared_ptr<grpc::Channel> NewChannel() const;
  // The same with other credentials (e.g. TLS without the CA, to see it fail).
  std::shared_ptr<grpc::Channel> NewChannel(
      const std::shared_ptr<grpc::ChannelCredentials>& credentials) const;

  // Everything the server wrote to stdout and stderr so far.
  std::string Log() const;
  // Waits until the log contains `needle`; false on timeout or exit.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const;
  // How often `needle` occurs in the log; waiting until it occurs `count` times.
  int CountInLog(const std::string& needle) const;
  bool WaitForLogCount(const std::string& needle, int count,
                       std::chrono::milliseconds timeout) const;

  void Signal(int signal_number) const;
  // Waits for the process to exit; its wait status (as from waitpid), or
  // nullopt when it is still running after `timeout`.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);
  // SIGTERM, then WaitForExit.
  std::optional<int> Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  ServerProcess() = default;
  void ReadOutput(int fd);

  pid_t pid_ = -1;
  std::optional<int> wait_status_;
  int grpc_port_ = 0;
  int http_port_ = 0;
  std::thread reader_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::string log_;        // guarded by mu_
  bool output_closed_ = false;  // guarded by mu_
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Inference::Stub> inference_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

// --- RPC helpers (each with a deadline, so no call can hang a test) ---------

constexpr std::chrono::seconds kRpcTimeout{30};

grpc::Status Classify(v1::Inference::Stub& stub, const v1::ClassifyRequest& request,
                      v1::ClassifyResponse* response,
                      std::chrono::milliseconds timeout = kRpcTimeout);
grpc::Status LoadModel(v1::Admin::Stub& stub, const std::string& model, int64_t version,
                       v1::LoadModelResponse* response = nullptr);
grpc::Status UnloadModel(v1::Admin::Stub& stub, const std::string& model, int64_t version,
                         v1::UnloadModelResponse* response = nullptr);
grpc::Status ListModels(v1::Inference::Stub& stub, v1::ListModelsResponse* response);
grpc::Status GetModelMetadata(v1::Inference::Stub& stub, const std::string& model,
                              int64_t version, v1::ModelMetadata* response);
grpc::Status ListDevices(v1::Inference::Stub& stub, v1::ListDevicesResponse* response);
grpc::Status Compare(v1::Inference::Stub& stub, const v1::CompareRequest& request,
                     v1::CompareResponse* response);
grpc::Status GetShadowMismatches(v1::Inference::Stub& stub, const std::string& model, int limit,
                                 v1::GetShadowMismatchesResponse* response);

v1::ClassifyRequest RawRequest(const std::string& model, const std::vector<uint8_t>& input,
                               const std::string& device = "", int64_t version = 0,
                               int top_k = 0);

// A Classify call in flight (the callback API). The destructor cancels it if
// it is still running and waits for it to finish.
class AsyncClassify {
 public:
  AsyncClassify(v1::Inference::Stub& stub, v1::ClassifyRequest request,
                std::chrono::milliseconds timeout = kRpcTimeout);
  ~AsyncClassify();
  AsyncClassify(const AsyncClassify&) = delete;
  AsyncClassify& operator=(const AsyncClassify&) = delete;

  bool done() const;
  // Waits for the call to finish; false on timeout.
  bool Wait(std::chrono::milliseconds timeout = kRpcTimeout);
  void Cancel() { context_.TryCancel(); }
  // Valid once done().
  const grpc::Status& status() const { return status_; }
  const v1::ClassifyResponse& response() const { return response_; }
  // Process-wide order in which calls finished (1, 2, ...); 0 while running.
  int64_t finish_order() const;

 private:
  grpc::ClientContext context_;
  v1::ClassifyRequest request_;
  v1::ClassifyResponse response_;
  grpc::Status status_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int64_t finish_order_ = 0;  // guarded by mu_
};

// grpc.health.v1.Health/Check for `service` ("" = the whole server): the
// ServingStatus number (1 = SERVING, 2 = NOT_SERVING) when the call succeeds.
std::pair<grpc::Status, int> HealthCheck(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& service);
// The services listed by grpc.reflection.v1alpha.ServerReflection.
std::pair<grpc::Status, std::vector<std::string>> ReflectionListServices(
    const std::shared_ptr<grpc::Channel>& channel);

// --- HTTP and the Prometheus text format ------------------------------------

struct HttpResponse {
  int status = 0;
  std::string body;
};
// GET http://127.0.0.1:<port><path> over a plain socket (HTTP/1.0).
absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

using Labels = std::map<std::string, std::string>;

struct MetricSample {
  std::string name;  // e.g. tinyserve_request_duration_seconds_bucket
  Labels labels;
  double value = 0;
};

class ParsedMetrics {
 public:
  // Parses the text exposition format (version 0.0.4); INVALID_ARGUMENT names
  // the first line it cannot read.
  static absl::StatusOr<ParsedMetrics> Parse(const std::string& text);

  const std::vector<MetricSample>& samples() const { return samples_; }
  // "# TYPE" of a family ("counter", "histogram", ...); "" when not declared.
  std::string Type(const std::string& family) const;
  std::vector<std::string> FamiliesOfType(const std::string& type) const;
  // Samples named `name` whose labels include every pair in `match`.
  std::vector<MetricSample> Find(const std::string& name, const Labels& match = {}) const;
  // Sum of the values of Find(name, match); 0 when none.
  double Sum(const std::string& name, const Labels& match = {}) const;

 private:
  std::vector<MetricSample> samples_;
  std::map<std::string, std::string> types_;
};

// HttpGet(/metrics) and Parse.
absl::StatusOr<ParsedMetrics> ScrapeMetrics(int http_port);

// Checks every series of every histogram family: buckets cumulative
// (non-decreasing in le order), a +Inf bucket equal to _count, _sum present.
// Returns one line per problem (empty when all hold).
std::vector<std::string> CheckHistograms(const ParsedMetrics& metrics);

// --- Model repositories on disk ---------------------------------------------

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& contents);
void WriteFile(const std::string& path, const std::vector<uint8_t>& contents);
// Puts model.tflite bytes at <repo>/<name>/<version>/model.tflite atomically
// (written beside it, then the version directory renamed into place), so a
// polling server never sees half a file.
void InstallModel(const std::string& repo, const std::string& name, int64_t version,
                  const std::vector<uint8_t>& tflite);
// InstallModel of a bundled model's version 1, under `as` (default: its name).
void InstallBundledModel(const std::string& repo, const std::string& bundled, int64_t version = 1,
                         const std::string& as = "");

// --- The oracle -------------------------------------------------------------

struct OracleRun {
  std::string id;  // e.g. "random/inputs/input_03.bin" or "sweep_all_int8/...#17"
  std::vector<uint8_t> input;
  std::vector<uint8_t> output;
};

struct OracleModel {
  std::vector<int> input_shape;
  double input_scale = 0;
  int64_t input_zero_point = 0;
  std::vector<OracleRun> vectors;  // every set; files with several runs split
};

// The oracle's vectors for `model`; nullopt (with `why` set) when the oracle
// or this model's part of it is absent.
std::optional<OracleModel> LoadOracle(const std::string& model, std::string* why);
// LoadOracle for a test that walks every bundled model: prints
// "[ SKIPPED  ] <model>: <why>" when there is no oracle.
std::optional<OracleModel> LoadOracleOrSkip(const std::string& model);

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SERVER_SERVER_PROCESS_H_
