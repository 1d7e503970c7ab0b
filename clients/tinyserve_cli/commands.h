// tinyserve-cli subcommands. Each returns the process exit code; failures
// print one line "tinyserve-cli: error: ..." on stderr.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_COMMANDS_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_COMMANDS_H_

#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "tinyserve/v1/tinyserve.grpc.pb.h"

namespace tinyserve::cli {

struct Connection {
  std::string server;
  double timeout_seconds = 30;
  std::shared_ptr<grpc::Channel> channel;
  // A context with the call deadline set.
  std::unique_ptr<grpc::ClientContext> NewContext() const;
};

struct ClassifyArgs {
  std::string model;
  int64_t version = 0;
  std::string device;
  std::string input;
  int top_k = 0;
  bool json = false;
  int repeat = 1;  // > 1: send the request this many times, report latency percentiles
};

int Classify(const Connection& c, const ClassifyArgs& args);
int ListModels(const Connection& c, bool json);
int Metadata(const Connection& c, const std::string& model, int64_t version, bool json);
int ListDevices(const Connection& c, bool json);
int Load(const Connection& c, const std::string& model, int64_t version, bool json);
int Unload(const Connection& c, const std::string& model, int64_t version, bool json);

// Prints a message as JSON (proto field names) on stdout.
void PrintJson(const google::protobuf::Message& message);

// Prints the one-line error for a failed call and returns 1.
int FailCall(const Connection& c, const grpc::Status& status);
int Fail(const std::string& message);

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_COMMANDS_H_
