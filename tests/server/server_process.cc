#include "tests/server/server_process.h"
#include "tests/support/oracle_vectors.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <future>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/client_callback.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_paths.h"

extern char** environ;

namespace tinyserve::testing {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string TinyserveBinary() { return TINYSERVE_SERVER_BINARY; }
std::string TestServerBinary() { return TINYSERVE_TEST_SERVER_BINARY; }
std::string BundledModelsDir() { return TINYSERVE_MODELS_DIR; }

ServerConfig PerturbTestServerConfig(const std::string& devices, int perturb_index) {
  ServerConfig c;
  c.binary = TestServerBinary();
  c.args = {"--devices", devices};
  c.env = {{"TINYSERVE_PERTURB_INDEX", std::to_string(perturb_index)}};
  return c;
}

// --- ServerProcess -----------------------------------------------------------

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(const ServerConfig& config) {
  std::vector<std::string> args = {config.binary,
                                   "--model_repository",
                                   config.model_repository,
                                   "--grpc_port",
                                   "0",
                                   "--http_port",
                                   "0",
                                   "--repository_poll_seconds",
                                   absl::StrCat(config.repository_poll_seconds)};
  if (!config.address.empty()) args.insert(args.begin() + 3, {"--address", config.address});
  args.insert(args.end(), config.args.begin(), config.args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    const bool replaced = std::any_of(config.env.begin(), config.env.end(),
                                      [&](const auto& kv) { return kv.first == key; });
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [key, value] : config.env) env.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return absl::InternalError(
        absl::StrCat("cannot start ", config.binary, ": ", std::strerror(rc)));
  }

  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->pid_ = pid;
  server->reader_ = std::thread([s = server.get(), fd = fds[0]] { s->ReadOutput(fd); });

  const std::regex ready(R"(tinyserve ready: grpc port (\d+) http port (\d+))");
  std::smatch match;
  std::string log;
  {
    std::unique_lock<std::mutex> lock(server->mu_);
    server->cv_.wait_for(
        lock, std::chrono::duration<double>(config.ready_timeout_seconds), [&] {
          return std::regex_search(server->log_, match, ready) || server->output_closed_;
        });
    log = server->log_;
  }
  if (!std::regex_search(log, match, ready)) {
    // Stopped here, so the destructor does not report it a second time.
    if (!server->Stop(std::chrono::seconds(10))) {
      kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
      server->wait_status_ = status;
    }
    return absl::DeadlineExceededError(
        absl::StrCat(config.binary, " did not become ready; its output:\n", log));
  }
  server->grpc_port_ = std::stoi(match[1].str());
  server->http_port_ = std::stoi(match[2].str());
  server->channel_credentials_ = config.channel_credentials;
  server->channel_ = server->NewChannel();
  server->inference_ = v1::Inference::NewStub(server->channel_);
  server->admin_ = v1::Admin::NewStub(server->channel_);
  return server;
}

void ServerProcess::ReadOutput(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_.append(buffer, static_cast<size_t>(n));
    }
    cv_.notify_all();
  }
  close(fd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    output_closed_ = true;
  }
  cv_.notify_all();
}

ServerProcess::~ServerProcess() {
  inference_.reset();
  admin_.reset();
  channel_.reset();
  if (!wait_status_) {
    const auto status = Stop(std::chrono::seconds(30));
    if (!status) {
      kill(pid_, SIGKILL);
      int s = 0;
      waitpid(pid_, &s, 0);
      wait_status_ = s;
      ADD_FAILURE() << "server pid " << pid_ << " did not exit within 30 s of SIGTERM; killed";
    } else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      ADD_FAILURE() << "server pid " << pid_ << " did not exit cleanly after SIGTERM (wait status "
                    << *status << "); its output:\n"
                    << Log();
    }
  }
  if (reader_.joinable()) reader_.join();
  if (const char* print = std::getenv("TINYSERVE_TEST_PRINT_SERVER_LOG"); print && *print) {
    std::cout << "---- server pid " << pid_ << " output ----\n" << Log() << "---- end ----\n";
  }
}

std::string ServerProcess::grpc_address() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

std::shared_ptr<grpc::Channel> ServerProcess::NewChannel() const {
  return NewChannel(channel_credentials_ != nullptr ? channel_credentials_
                                                    : grpc::InsecureChannelCredentials());
}

std::shared_ptr<grpc::Channel> ServerProcess::NewChannel(
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) const {
  grpc::ChannelArguments args;
  // A distinct channel gets its own connection (no subchannel sharing).
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return grpc::CreateCustomChannel(grpc_address(), credentials, args);
}

std::string ServerProcess::Log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

bool ServerProcess::WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout,
               [&] { return log_.find(needle) != std::string::npos || output_closed_; });
  return log_.find(needle) != std::string::npos;
}

namespace {
int Occurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}
}  // namespace

int ServerProcess::CountInLog(const std::string& needle) const {
  std::lock_guard<std::mutex> lock(mu_);
  return Occurrences(log_, needle);
}

bool ServerProcess::WaitForLogCount(const std::string& needle, int count,
                                    std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout,
               [&] { return Occurrences(log_, needle) >= count || output_closed_; });
  return Occurrences(log_, needle) >= count;
}

void ServerProcess::Signal(int signal_number) const {
  if (!wait_status_) kill(pid_, signal_number);
}

std::optional<int> ServerProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (wait_status_) return wait_status_;
  const auto end = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      wait_status_ = status;
      return wait_status_;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<int> ServerProcess::Stop(std::chrono::milliseconds timeout) {
  Signal(SIGTERM);
  return WaitForExit(timeout);
}

// --- RPC helpers -------------------------------------------------------------

namespace {

void SetDeadline(grpc::ClientContext& context, std::chrono::milliseconds timeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
}

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// A length-delimited protobuf field (wire type 2) with a small field number.
std::string StringField(int field, const std::string& value) {
  std::string out;
  out.push_back(static_cast<char>((field << 3) | 2));
  size_t n = value.size();
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    if (n != 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (n != 0);
  return out + value;
}

}  // namespace

grpc::Status Classify(v1::Inference::Stub& stub, const v1::ClassifyRequest& request,
                      v1::ClassifyResponse* response, std::chrono::milliseconds timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  return stub.Classify(&context, request, response);
}

grpc::Status LoadModel(v1::Admin::Stub& stub, const std::string& model, int64_t version,
                       v1::LoadModelResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  v1::LoadModelRequest request;
  request.set_model(model);
  request.set_version(version);
  v1::LoadModelResponse ignored;
  return stub.LoadModel(&context, request, response != nullptr ? response : &ignored);
}

grpc::Status UnloadModel(v1::Admin::Stub& stub, const std::string& model, int64_t version,
                         v1::UnloadModelResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  v1::UnloadModelRequest request;
  request.set_model(model);
  request.set_version(version);
  v1::UnloadModelResponse ignored;
  return stub.UnloadModel(&context, request, response != nullptr ? response : &ignored);
}

grpc::Status ListModels(v1::Inference::Stub& stub, v1::ListModelsResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  return stub.ListModels(&context, v1::ListModelsRequest(), response);
}

grpc::Status GetModelMetadata(v1::Inference::Stub& stub, const std::string& model,
                              int64_t version, v1::ModelMetadata* response) {
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  v1::GetModelMetadataRequest request;
  request.set_model(model);
  request.set_version(version);
  return stub.GetModelMetadata(&context, request, response);
}

grpc::Status ListDevices(v1::Inference::Stub& stub, v1::ListDevicesResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  return stub.ListDevices(&context, v1::ListDevicesRequest(), response);
}

grpc::Status Compare(v1::Inference::Stub& stub, const v1::CompareRequest& request,
                     v1::CompareResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  return stub.Compare(&context, request, response);
}

grpc::Status GetShadowMismatches(v1::Inference::Stub& stub, const std::string& model, int limit,
                                 v1::GetShadowMismatchesResponse* response) {
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  v1::GetShadowMismatchesRequest request;
  request.set_model(model);
  request.set_limit(limit);
  return stub.GetShadowMismatches(&context, request, response);
}

v1::ClassifyRequest RawRequest(const std::string& model, const std::vector<uint8_t>& input,
                               const std::string& device, int64_t version, int top_k) {
  v1::ClassifyRequest request;
  request.set_model(model);
  request.set_raw_input(input.data(), input.size());
  request.set_device(device);
  request.set_version(version);
  request.set_top_k(top_k);
  return request;
}

namespace {
std::atomic<int64_t> finished_calls{0};
}  // namespace

AsyncClassify::AsyncClassify(v1::Inference::Stub& stub, v1::ClassifyRequest request,
                             std::chrono::milliseconds timeout)
    : request_(std::move(request)) {
  SetDeadline(context_, timeout);
  stub.async()->Classify(&context_, &request_, &response_, [this](grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = std::move(status);
    finish_order_ = ++finished_calls;
    cv_.notify_all();
  });
}

AsyncClassify::~AsyncClassify() {
  if (!Wait(std::chrono::seconds(0))) {
    context_.TryCancel();
    // Cancelled (or past its deadline), the callback comes promptly; the
    // wait is unbounded only because returning earlier would free its state.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return finish_order_ != 0; });
  }
}

bool AsyncClassify::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finish_order_ != 0;
}

bool AsyncClassify::Wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return finish_order_ != 0; });
}

int64_t AsyncClassify::finish_order() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finish_order_;
}

std::pair<grpc::Status, int> HealthCheck(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& service) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  // HealthCheckRequest { string service = 1; }
  const grpc::ByteBuffer request = ToByteBuffer(StringField(1, service));
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  // The call's deadline bounds this wait.
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return {status, 0};
  // HealthCheckResponse { ServingStatus status = 1; }
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(ToString(response))) {
    return {grpc::Status(grpc::StatusCode::INTERNAL, "unparsable HealthCheckResponse"), 0};
  }
  int serving = 0;  // proto3 default UNKNOWN when absent
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& f = fields.field(i);
    if (f.number() == 1 && f.type() == google::protobuf::UnknownField::TYPE_VARINT) {
      serving = static_cast<int>(f.varint());
    }
  }
  return {status, serving};
}

namespace {

// Sends one ServerReflectionRequest, half-closes, and keeps the first response.
class ReflectionCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ReflectionCall(grpc::GenericStub& stub, grpc::ClientContext* context, const std::string& request)
      : request_(ToByteBuffer(request)) {
    stub.PrepareBidiStreamingCall(
        context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override { got_response_ = ok; }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }

  // Bounded by the context's deadline.
  grpc::Status Wait() { return done_.get_future().get(); }
  bool got_response() const { return got_response_; }
  std::string response() const { return ToString(response_); }

 private:
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::atomic<bool> got_response_{false};
  std::promise<grpc::Status> done_;
};

}  // namespace

std::pair<grpc::Status, std::vector<std::string>> ReflectionListServices(
    const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  SetDeadline(context, kRpcTimeout);
  // ServerReflectionRequest { string host = 1; oneof { ...; string list_services = 7; } }
  ReflectionCall call(stub, &context, StringField(7, "*"));
  grpc::Status status = call.Wait();
  std::vector<std::string> services;
  if (!status.ok()) return {status, services};
  if (!call.got_response()) {
    return {grpc::Status(grpc::StatusCode::INTERNAL, "reflection sent no response"), services};
  }
  // ServerReflectionResponse { ...; ListServiceResponse list_services_response = 6; }
  // ListServiceResponse { repeated ServiceResponse service = 1; }
  // ServiceResponse { string name = 1; }
  google::protobuf::UnknownFieldSet response;
  if (!response.ParseFromString(call.response())) {
    return {grpc::Status(grpc::StatusCode::INTERNAL, "unparsable ServerReflectionResponse"),
            services};
  }
  for (int i = 0; i < response.field_count(); ++i) {
    const auto& f = response.field(i);
    if (f.number() != 6 || f.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    google::protobuf::UnknownFieldSet list;
    if (!list.ParseFromString(f.length_delimited())) continue;
    for (int j = 0; j < list.field_count(); ++j) {
      const auto& s = list.field(j);
      if (s.number() != 1 || s.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
        continue;
      }
      google::protobuf::UnknownFieldSet service;
      if (!service.ParseFromString(s.length_delimited())) continue;
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1 &&
            service.field(k).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
          services.push_back(service.field(k).length_delimited());
        }
      }
    }
  }
  return {status, services};
}

// --- HTTP --------------------------------------------------------------------

absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path,
                                     std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect 127.0.0.1:", port, ": ", std::strerror(errno)));
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  const auto end = Clock::now() + timeout;
  char buffer[8192];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR && Clock::now() < end) continue;
      return absl::DeadlineExceededError(absl::StrCat("recv: ", std::strerror(errno)));
    }
    raw.append(buffer, static_cast<size_t>(n));
    if (raw.size() > (64u << 20)) return absl::ResourceExhaustedError("response over 64 MiB");
    if (Clock::now() >= end) return absl::DeadlineExceededError("response not finished in time");
  }
  const size_t header_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/", 0) != 0 || header_end == std::string::npos) {
    return absl::InternalError(absl::StrCat("not an HTTP response: ", raw.substr(0, 200)));
  }
  HttpResponse response;
  response.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  response.body = raw.substr(header_end + 4);
  return response;
}

// --- Prometheus text format --------------------------------------------------

namespace {

bool ParseValue(const std::string& token, double* value) {
  if (token == "+Inf" || token == "Inf") {
    *value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (token == "-Inf") {
    *value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (token == "NaN") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  char* end = nullptr;
  *value = std::strtod(token.c_str(), &end);
  return !token.empty() && end == token.c_str() + token.size();
}

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// One sample line: name{label="value",...} value [timestamp]
bool ParseSample(const std::string& line, MetricSample* sample) {
  size_t i = 0;
  while (i < line.size() && IsNameChar(line[i], i == 0)) ++i;
  if (i == 0) return false;
  sample->name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      while (i < line.size() && line[i] == ' ') ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      const size_t key_start = i;
      while (i < line.size() && IsNameChar(line[i], i == key_start)) ++i;
      if (i == key_start || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
        return false;
      }
      const std::string key = line.substr(key_start, i - key_start);
      i += 2;
      std::string value;
      for (;;) {
        if (i >= line.size()) return false;
        const char c = line[i++];
        if (c == '"') break;
        if (c == '\\') {
          if (i >= line.size()) return false;
          const char e = line[i++];
          value.push_back(e == 'n' ? '\n' : e);
        } else {
          value.push_back(c);
        }
      }
      if (!sample->labels.emplace(key, value).second) return false;  // duplicate label
      if (i < line.size() && line[i] == ',') ++i;
    }
  }
  std::istringstream rest(line.substr(i));
  std::string value_token, timestamp;
  if (!(rest >> value_token)) return false;
  rest >> timestamp;  // optional
  std::string extra;
  if (rest >> extra) return false;
  return ParseValue(value_token, &sample->value);
}

double LeValue(const std::string& le) {
  double v = 0;
  return ParseValue(le, &v) ? v : std::numeric_limits<double>::quiet_NaN();
}

bool Matches(const Labels& labels, const Labels& match) {
  for (const auto& [k, v] : match) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ParsedMetrics> ParsedMetrics::Parse(const std::string& text) {
  ParsedMetrics metrics;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, keyword, family, type;
      words >> hash >> keyword >> family >> type;
      if (keyword == "TYPE") metrics.types_[family] = type;
      continue;
    }
    MetricSample sample;
    if (!ParseSample(line, &sample)) {
      return absl::InvalidArgumentError(absl::StrCat("metrics line ", number, ": ", line));
    }
    metrics.samples_.push_back(std::move(sample));
  }
  return metrics;
}

std::string ParsedMetrics::Type(const std::string& family) const {
  auto it = types_.find(family);
  return it == types_.end() ? "" : it->second;
}

std::vector<std::string> ParsedMetrics::FamiliesOfType(const std::string& type) const {
  std::vector<std::string> families;
  for (const auto& [family, t] : types_) {
    if (t == type) families.push_back(family);
  }
  return families;
}

std::vector<MetricSample> ParsedMetrics::Find(const std::string& name, const Labels& match) const {
  std::vector<MetricSample> found;
  for (const MetricSample& s : samples_) {
    if (s.name == name && Matches(s.labels, match)) found.push_back(s);
  }
  return found;
}

double ParsedMetrics::Sum(const std::string& name, const Labels& match) const {
  double sum = 0;
  for (const MetricSample& s : Find(name, match)) sum += s.value;
  return sum;
}

absl::StatusOr<ParsedMetrics> ScrapeMetrics(int http_port) {
  auto response = HttpGet(http_port, "/metrics");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::InternalError(absl::StrCat("GET /metrics: HTTP ", response->status));
  }
  return ParsedMetrics::Parse(response->body);
}

std::vector<std::string> CheckHistograms(const ParsedMetrics& metrics) {
  std::vector<std::string> problems;
  for (const std::string& family : metrics.FamiliesOfType("histogram")) {
    // Series: labels without "le" -> (le -> cumulative count).
    std::map<Labels, std::vector<std::pair<double, double>>> buckets;
    for (const MetricSample& s : metrics.Find(family + "_bucket")) {
      Labels series = s.labels;
      auto le = series.find("le");
      if (le == series.end()) {
        problems.push_back(absl::StrCat(family, "_bucket sample without le"));
        continue;
      }
      const double bound = LeValue(le->second);
      series.erase(le);
      buckets[series].push_back({bound, s.value});
    }
    std::map<Labels, double> counts, sums;
    for (const MetricSample& s : metrics.Find(family + "_count")) counts[s.labels] = s.value;
    for (const MetricSample& s : metrics.Find(family + "_sum")) sums[s.labels] = s.value;
    for (auto& [series, points] : buckets) {
      std::string name = family + "{";
      for (const auto& [k, v] : series) absl::StrAppend(&name, k, "=\"", v, "\",");
      name += "}";
      std::sort(points.begin(), points.end());
      for (size_t i = 1; i < points.size(); ++i) {
        if (points[i].second < points[i - 1].second) {
          problems.push_back(absl::StrCat(name, ": bucket le=", points[i].first, " (",
                                          points[i].second, ") < le=", points[i - 1].first, " (",
                                          points[i - 1].second, ")"));
        }
      }
      if (points.empty() || !std::isinf(points.back().first)) {
        problems.push_back(absl::StrCat(name, ": no +Inf bucket"));
        continue;
      }
      auto count = counts.find(series);
      if (count == counts.end()) {
        problems.push_back(absl::StrCat(name, ": no _count"));
      } else if (count->second != points.back().second) {
        problems.push_back(absl::StrCat(name, ": +Inf bucket ", points.back().second,
                                        " != _count ", count->second));
      }
      if (sums.find(series) == sums.end()) problems.push_back(absl::StrCat(name, ": no _sum"));
    }
    for (const auto& [series, count] : counts) {
      if (buckets.find(series) == buckets.end()) {
        problems.push_back(absl::StrCat(family, ": a _count series without buckets"));
      }
    }
  }
  return problems;
}

// --- Repositories --------------------------------------------------------------

TempDir::TempDir() {
  std::random_device random;
  const fs::path base = fs::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path candidate =
        base / absl::StrCat("tinyserve_test_", getpid(), "_", random(), "_", attempt);
    std::error_code ec;
    if (fs::create_directory(candidate, ec)) {
      path_ = candidate.string();
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& contents) {
  WriteFile(path, std::string(contents.begin(), contents.end()));
}

void InstallModel(const std::string& repo, const std::string& name, int64_t version,
                  const std::vector<uint8_t>& tflite) {
  const fs::path model_dir = fs::path(repo) / name;
  const fs::path staging = model_dir / absl::StrCat(".staging-", version);
  const fs::path final_dir = model_dir / absl::StrCat(version);
  fs::remove_all(staging);
  WriteFile((staging / "model.tflite").string(), tflite);
  fs::remove_all(final_dir);
  fs::rename(staging, final_dir);
}

void InstallBundledModel(const std::string& repo, const std::string& bundled, int64_t version,
                         const std::string& as) {
  InstallModel(repo, as.empty() ? bundled : as, version, ReadBytes(BundledModelPath(bundled)));
}

// --- Oracle --------------------------------------------------------------------

std::optional<OracleModel> LoadOracle(const std::string& model, std::string* why) {
  const auto oracle = FindOracleModel(model, why);
  if (!oracle) return std::nullopt;
  const std::string& dir = oracle->dir;
  const nlohmann::json& index = oracle->index;
  auto dtype_bytes = [](const std::string& dtype) -> size_t {
    if (dtype == "int16") return 2;
    if (dtype == "int32" || dtype == "float32") return 4;
    return 1;
  };
  auto tensor_bytes = [&](const nlohmann::json& t) {
    size_t n = dtype_bytes(t["dtype"].get<std::string>());
    for (const auto& d : t["shape"]) n *= d.get<size_t>();
    return n;
  };
  OracleModel result;
  for (const auto& d : index["input"]["shape"]) result.input_shape.push_back(d.get<int>());
  result.input_scale = index["input"]["scale"].get<double>();
  result.input_zero_point = index["input"]["zero_point"].get<int64_t>();
  const size_t in_bytes = tensor_bytes(index["input"]);
  const size_t out_bytes = tensor_bytes(index["output"]);
  for (const OracleVector& vector : OracleVectors(index)) {
    const auto input = ReadBytes(dir + "/" + vector.input);
    const auto output = ReadBytes(dir + "/" + vector.output);
    const size_t runs = input.size() / in_bytes;
    if (input.size() % in_bytes != 0 || output.size() != runs * out_bytes) {
      throw std::runtime_error("oracle sizes do not match for " + vector.input);
    }
    for (size_t r = 0; r < runs; ++r) {
      OracleRun run;
      run.id = absl::StrCat(vector.set, "/", vector.input, runs > 1 ? absl::StrCat("#", r) : "");
      run.input.assign(input.begin() + r * in_bytes, input.begin() + (r + 1) * in_bytes);
      run.output.assign(output.begin() + r * out_bytes, output.begin() + (r + 1) * out_bytes);
      result.vectors.push_back(std::move(run));
    }
  }
  return result;
}

std::optional<OracleModel> LoadOracleOrSkip(const std::string& model) {
  std::string why;
  auto oracle = LoadOracle(model, &why);
  if (!oracle) std::cout << "[ SKIPPED  ] " << model << ": " << why << "\n";
  return oracle;
}

}  // namespace tinyserve::testing
