#include "server/http_server.h"

#include <vector>

#include "CivetServer.h"
#include "absl/strings/str_cat.h"
#include "server/dashboard/dashboard_assets.h"

namespace tinyserve::server {

class HttpServer::GetHandler : public CivetHandler {
 public:
  explicit GetHandler(HttpGetHandler handler) : handler_(std::move(handler)) {}

  bool handleGet(CivetServer*, struct mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    if (info->local_uri != nullptr) request.path = info->local_uri;
    if (info->query_string != nullptr) request.query = info->query_string;
    HttpReply reply;
    try {
      reply = handler_(request);
    } catch (const std::exception& e) {
      // A handler bug must cost one response, never the server.
      reply = {500, "text/plain; charset=utf-8", absl::StrCat("internal error: ", e.what(), "\n")};
    }
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\n"
              "Content-Type: %s\r\n"
              "Content-Length: %zu\r\n"
              "Cache-Control: no-store\r\n"
              "Connection: close\r\n\r\n",
              reply.status, mg_get_response_code_text(conn, reply.status),
              reply.content_type.c_str(), reply.body.size());
    mg_write(conn, reply.body.data(), reply.body.size());
    return true;
  }

 private:
  HttpGetHandler handler_;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& http_options, std::function<std::string()> metrics_text,
    HttpGetHandler stats) {
  const std::string& address = http_options.address;
  const int port = http_options.port;
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
  http->Route("/metrics", [text = std::move(metrics_text)](const HttpRequest&) {
    return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8", text()};
  });
  if (stats) http->Route("/api/v1/stats", std::move(stats));
  // The live dashboard (server/dashboard/). Civetweb hands "/" every path no
  // other route takes, so unknown paths get their 404 here.
  http->Route("/", [](const HttpRequest& request) {
    const dashboard::Asset* asset = dashboard::FindAsset(request.path);
    if (asset == nullptr) return HttpReply{404, "text/plain; charset=utf-8", "not found\n"};
    return HttpReply{200, std::string(asset->content_type), std::string(asset->body)};
  });
  return http;
}

void HttpServer::Route(const std::string& path, HttpGetHandler handler) {
  handlers_.push_back(std::make_unique<GetHandler>(std::move(handler)));
  server_->addHandler(path, handlers_.back().get());
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

}  // namespace tinyserve::server
