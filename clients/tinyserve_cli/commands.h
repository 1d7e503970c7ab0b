// tinyserve-cli subcommands. Each returns the process exit code; failures
// print one line "tinyserve-cli: error: ..." on stderr.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_COMMANDS_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "tinyserve/v1/tinyserve.grpc.pb.h"

namespace tinyserve::cli {

struct Connection {
  std::string server;
  double timeout_seconds = 30;
  std::shared_ptr<grpc::Channel> channel;
  // Sent as "authorization: Bearer <token>" on every call when set.
  std::string bearer_token;
  // A context with the call deadline (and the token) set.
  std::unique_ptr<grpc::ClientContext> NewContext() const;
};

// How the CLI reaches the server (--tls*, --token_file).
struct ChannelSecurity {
  bool tls = false;             // TLS with the system's roots unless tls_ca_file
  std::string tls_ca_file;      // PEM CA(s) that signed the server's certificate
  std::string tls_cert_file;    // PEM client certificate (mutual TLS), with tls_key_file
  std::string tls_key_file;
  std::string tls_server_name;  // name checked against the server's certificate
  std::string token_file;       // bearer token, surrounding whitespace trimmed
};

// Reads the files and makes `c.channel` (and `c.bearer_token`); an error names
// the flag: INVALID_ARGUMENT for flags that do not go together,
// FAILED_PRECONDITION for a file that cannot be read or is not what it should be.
absl::Status Connect(const ChannelSecurity& security, Connection& c);

struct ClassifyArgs {
  std::string model;
  int64_t version = 0;
  std::string device;
  std::string input;
  int top_k = 0;
  bool json = false;
  int repeat = 1;  // > 1: send the request this many times, report latency percentiles
};

// tinyserve-cli ab: one input set through Compare on two or more devices.
struct AbArgs {
  std::string model;
  int64_t version = 0;
  std::vector<std::string> devices;
  std::string inputs_dir;  // exactly one of inputs_dir, random > 0, oracle_dir
  int random = 0;
  uint64_t seed = 0;
  std::string oracle_dir;
  std::string labels;  // optional labels file
  int concurrency = 4;
  bool json = false;
  std::string csv;  // optional per-request CSV path
};

// tinyserve-cli bench: a load generator for one model on one device.
struct BenchArgs {
  std::string model;
  int64_t version = 0;
  std::string device;
  std::vector<int> concurrency;  // closed loop: one step per value
  double rate = 0;               // > 0: open loop at this many requests/s instead
  std::string arrival = "poisson";  // open loop: "poisson" or "constant"
  int max_inflight = 32;         // open loop: sender threads (requests in flight at most)
  double duration_seconds = 5;   // per step (measured part)
  int64_t requests = 0;          // > 0: per step, the step ends after this many
  double warmup_seconds = 1;     // before each step, not measured
  std::string input;             // empty: random inputs
  uint64_t seed = 0;
  bool json = false;
  std::string csv;
};

int Classify(const Connection& c, const ClassifyArgs& args);
int Ab(const Connection& c, const AbArgs& args);
int Bench(const Connection& c, const BenchArgs& args);
int ListModels(const Connection& c, bool json);
int Metadata(const Connection& c, const std::string& model, int64_t version, bool json);
int ListDevices(const Connection& c, bool json);
int Load(const Connection& c, const std::string& model, int64_t version, bool json);
int Unload(const Connection& c, const std::string& model, int64_t version, bool json);

// GetModelMetadata of `model` v`version` (0: the latest), with c's deadline.
grpc::Status GetMetadata(const Connection& c, v1::Inference::Stub& stub, const std::string& model,
                         int64_t version, v1::ModelMetadata* metadata);
// FAILED_PRECONDITION naming the first of `devices` the model is not compiled
// on; OK when it is on all of them (a family such as "xcore" when one of its
// boards "xcore@..." has it), or when the metadata lists no devices.
absl::Status RequireCompiledOn(const v1::ModelMetadata& metadata,
                               const std::vector<std::string>& devices);

// Prints a message as JSON (proto field names) on stdout.
void PrintJson(const google::protobuf::Message& message);

// Prints the one-line error for a failed call and returns 1.
int FailCall(const Connection& c, const grpc::Status& status);
// "NOT_FOUND", "UNAVAILABLE", ...
const char* StatusCodeName(grpc::StatusCode code);
int Fail(const std::string& message);
// The same line for arguments that parsed but make no sense; returns 2.
int UsageError(const std::string& message);

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_COMMANDS_H_
