// Wires the server together and runs it until SIGTERM/SIGINT, then drains.
#ifndef TINYSERVE_SERVER_SERVER_APP_H_
#define TINYSERVE_SERVER_SERVER_APP_H_

#include <string>
#include <vector>

#include "server/device_manager.h"

namespace tinyserve::server {

struct ServerOptions {
  std::string model_repository;
  std::string address = "0.0.0.0";
  int grpc_port = 8500;
  int http_port = 8080;
  std::vector<std::string> devices;  // empty: every device that starts here
  int queue_size = 64;               // per device
  int workers_per_device = 1;
  double drain_timeout_seconds = 10.0;
  double repository_poll_seconds = 2.0;  // 0: never poll
  int default_top_k = 5;
};

// Returns the process exit code: 0 after a clean drain, non-zero when the
// server could not start.
int RunServer(const ServerOptions& options, const DeviceFactory& factory);

// Parses the command line into options (CLI11); fills `exit_code` and returns
// false when the process should exit (--help, bad flags).
bool ParseServerFlags(int argc, char** argv, ServerOptions& options, int& exit_code);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_SERVER_APP_H_
