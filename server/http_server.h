// The server's HTTP side (civetweb): /metrics in Prometheus text format.
#ifndef TINYSERVE_SERVER_HTTP_SERVER_H_
#define TINYSERVE_SERVER_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

class CivetServer;

namespace tinyserve::server {

class HttpServer {
 public:
  // `metrics_text` is called for every GET /metrics.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address, int port,
                                                           std::function<std::string()> metrics_text);
  ~HttpServer();

  int port() const { return port_; }

 private:
  class MetricsHandler;
  HttpServer() = default;

  std::unique_ptr<MetricsHandler> metrics_handler_;
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_HTTP_SERVER_H_
