// The server's HTTP side (civetweb): /metrics in Prometheus text format,
// /api/v1/stats (live statistics as JSON, docs/stats-api.md), and any further
// GET routes.
#ifndef TINYSERVE_SERVER_HTTP_SERVER_H_
#define TINYSERVE_SERVER_HTTP_SERVER_H_

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

class CivetServer;
struct mg_connection;

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
// The limits keep slow or hostile clients from starving the others (issue 12,
// defect 3): a connection gets a worker thread for at most about
// `request_timeout_ms` before its request has arrived, connections beyond the
// workers wait in a queue (not refused), so with N stalled connections a good
// request is answered within about ceil(N / worker_threads) timeouts.
struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: pick a free one
  // TLS (PEM files): both set to serve HTTPS (TLS 1.2 or later) instead of
  // HTTP on the same address; `tls_client_ca` also set to require client
  // certificates signed by that CA.
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
  // Non-empty: every request must carry "Authorization: Bearer <token>"
  // (401 without, 403 with a wrong one), except the paths in `public_paths`
  // (exact match, e.g. "/metrics").
  std::string bearer_token;
  std::vector<std::string> public_paths;
  int worker_threads = 16;  // requests handled at once (1..1024)
  // A request (TLS handshake, then request line and headers) not complete this
  // long after a worker took its connection is dropped; the same bound applies
  // to a client that does not read its response (100..600000).
  int request_timeout_ms = 2000;
  // Largest request line + headers accepted (431 past it; 1024..1 MiB).
  // Request bodies are refused (413): every route is a GET.
  int max_request_bytes = 16 * 1024;
  // Accepted connections waiting for a free worker (1..65536); past them the
  // kernel's listen backlog (as large) holds further connections.
  int max_queued_connections = 256;
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
  // Serves GET and HEAD of `path` (and, as civetweb matches, paths below it)
  // with `handler`.
  void Route(const std::string& path, HttpGetHandler handler);

  // civetweb callbacks. BeginRequest runs before routing: the method, body
  // and token checks.
  static int BeginRequest(mg_connection* conn);
  static int InitTls(void* ssl_ctx, void* user_data);
  static int LogMessage(const mg_connection* conn, const char* message);
  static int HttpError(mg_connection* conn, int status, const char* message);
  // 0 when `path` needs no token or the request carries the right one;
  // otherwise the 401/403 reply (headers only for HEAD) was sent and this is
  // its status.
  int CheckToken(mg_connection* conn, const std::string& path, bool head) const;
  void NoteStartError(const std::string& message) const;

  HttpServerOptions options_;
  std::array<unsigned char, 32> token_digest_{};  // SHA-256 of the token
  std::atomic<bool> started_{false};
  mutable std::mutex start_errors_mutex_;
  mutable std::string start_errors_;  // what civetweb and TLS setup said while starting

  std::vector<std::unique_ptr<GetHandler>> handlers_;
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_HTTP_SERVER_H_
