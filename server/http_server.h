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

class HttpServer {
 public:
  // `metrics_text` is called for every GET /metrics, `stats` for every GET
  // /api/v1/stats (none: 404).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address, int port,
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
