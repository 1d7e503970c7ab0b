#include "server/http_server.h"

#include <vector>

#include "CivetServer.h"
#include "absl/strings/str_cat.h"

namespace tinyserve::server {

class HttpServer::MetricsHandler : public CivetHandler {
 public:
  explicit MetricsHandler(std::function<std::string()> text) : text_(std::move(text)) {}

  bool handleGet(CivetServer*, struct mg_connection* conn) override {
    const std::string body = text_();
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\n"
              "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: %zu\r\n"
              "Connection: close\r\n\r\n",
              body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }

 private:
  std::function<std::string()> text_;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& address, int port, std::function<std::string()> metrics_text) {
  std::unique_ptr<HttpServer> http(new HttpServer());
  const std::vector<std::string> options = {
      "listening_ports", absl::StrCat(address, ":", port), "num_threads", "4",
      "enable_keep_alive", "no"};
  try {
    http->server_ = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve HTTP on ", address, ":", port, ": ", e.what()));
  }
  const auto ports = http->server_->getListeningPorts();
  http->port_ = ports.empty() ? port : ports.front();
  http->metrics_handler_ = std::make_unique<MetricsHandler>(std::move(metrics_text));
  http->server_->addHandler("/metrics", http->metrics_handler_.get());
  return http;
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

}  // namespace tinyserve::server
