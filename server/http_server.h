// The server's HTTP side (civetweb): /metrics in Prometheus text format,
// /api/v1/stats (live statistics as JSON, docs/stats-api.md), and any further
// GET routes.
#ifndef TINYSERVE_SERVER_HTTP_SERVER_H_
#define TINYSERVE_SERVER_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

class CivetServer;

namespace tinyserve::server {

struct HttpRequest {
  std::string path;   // e.g. "/api/v1/stats"
  std::string query;  // after '?', "" when none
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Answers one GET; called on civetweb's threads, concurrently.
using HttpGetHandler = std::function<HttpReply(const HttpRequest& request)>;

// How the HTTP side listens and what it accepts (server flags fill it).
struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: pick a free one
  // TLS (PEM files): both set to serve HTTPS; `tls_client_ca` also set to
  // require client certificates signed by that CA.
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
  // Non-empty: every request must carry "Authorization: Bearer <token>"
  // (401 otherwise), except the paths in `public_paths`.
  std::string bearer_token;
  std::vector<std::string> public_paths;
  int worker_threads = 4;
  // A connection that sends nothing for this long is closed (slow clients).
  int request_timeout_ms = 10000;
  // Largest request (line + headers) accepted.
  int max_request_bytes = 16 * 1024;
};

class HttpServer {
 public:
  // `metrics_text` is called for every GET /metrics, `stats` for every GET
  // /api/v1/stats (none: 404).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           std::function<std::string()> metrics_text,
                                                           HttpGetHandler stats = nullptr);
  ~HttpServer();

  int port() const { return port_; }

 private:
  class GetHandler;
  HttpServer() = default;
  // Serves GET `path` (and, as civetweb matches, paths below it) with `handler`.
  void Route(const std::string& path, HttpGetHandler handler);

  std::vector<std::unique_ptr<GetHandler>> handlers_;
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_HTTP_SERVER_H_
