// Wires the server together and runs it until SIGTERM/SIGINT, then drains.
#ifndef TINYSERVE_SERVER_SERVER_APP_H_
#define TINYSERVE_SERVER_SERVER_APP_H_

#include <string>
#include <vector>

#include "server/device_manager.h"

namespace tinyserve::server {

struct ServerOptions {
  std::string model_repository;
  // Host to listen on (gRPC and HTTP); empty: 127.0.0.1, or 0.0.0.0 when the
  // server authenticates its clients (TLS with a token or client
  // certificates) or `insecure_listen_all` is set.
  std::string address;
  // Lets the server listen beyond loopback without authentication.
  bool insecure_listen_all = false;
  int grpc_port = 8500;
  int http_port = 8080;
  // --devices entries (DeviceManager::Options::entries); empty: every family.
  std::vector<std::string> devices;
  // Simulated xcore boards (tinyserve-xcore-sim addresses), named sim0, sim1, ...
  std::vector<std::string> xcore_simulators;
  bool xcore_usb = true;  // look for xcore boards on USB
  int queue_size = 64;               // per device
  int workers_per_device = 1;
  double drain_timeout_seconds = 10.0;
  double repository_poll_seconds = 2.0;  // 0: never poll
  int default_top_k = 5;

  // --- Security (docs/security.md) ---
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;  // PEM paths
  std::string auth_token_file;  // bearer token, read at start
  std::string auth_scope = "admin";  // admin | all
  int max_message_bytes = 4 << 20;   // largest gRPC request accepted
  int max_http_body_bytes = 4 << 20;  // largest HTTP request body (KServe v2 REST)
  bool reflection = false;           // gRPC server reflection
  double rate_limit_rps = 0;         // per client; 0: no limit
  double rate_limit_burst = 0;       // 0: one second's worth (at least 1)
};

// Returns the process exit code: 0 after a clean drain, non-zero when the
// server could not start.
// `catalogs` makes the device catalog from the options (main: the registry's
// DeviceCatalog::Create; the test server adds test devices).
int RunServer(const ServerOptions& options, const CatalogFactory& catalogs);

// Parses the command line into options (CLI11); fills `exit_code` and returns
// false when the process should exit (--help, bad flags).
bool ParseServerFlags(int argc, char** argv, ServerOptions& options, int& exit_code);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_SERVER_APP_H_
