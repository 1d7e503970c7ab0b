// The server's HTTP side (civetweb): /metrics in Prometheus text format,
// /api/v1/stats (live statistics as JSON, docs/stats-api.md), and further
// routes (KServe v2 REST, kserve_rest.h), some of which take POST bodies.
#ifndef TINYSERVE_SERVER_HTTP_SERVER_H_
#define TINYSERVE_SERVER_HTTP_SERVER_H_

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

class CivetServer;
struct mg_connection;

namespace tinyserve::server {

struct HttpRequest {
  std::string method = "GET";  // "GET", "HEAD", or "POST" on routes that take it
  std::string path;            // e.g. "/api/v1/stats", URL-decoded
  std::string query;           // after '?', "" when none
  // Every request header, names lower-case, in the order sent.
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = {};  // POST only: exactly Content-Length bytes

  // The first header of that (lower-case) name; nullptr when absent.
  const std::string* Header(std::string_view lower_case_name) const;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Further response headers (name, value); values without CR or LF.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// Answers one request; called on civetweb's threads, concurrently.
using HttpHandler = std::function<HttpReply(const HttpRequest& request)>;
using HttpGetHandler = HttpHandler;

// A route beyond /metrics and /api/v1/stats: `path` and every path below it
// ("/v2" takes "/v2/models/x"). GET and HEAD always reach the handler; POST
// (with a body of up to HttpServerOptions::max_body_bytes) only when
// `takes_post`, and the handler answers 405 itself on sub-paths that do not.
struct HttpRoute {
  std::string path;
  HttpHandler handler;
  bool takes_post = false;
};

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
  // Non-empty: paths starting with one of `admin_path_prefixes` need this
  // token (the same way), whatever `bearer_token` says: what --auth_scope=admin
  // protects on HTTP (KServe v2 model load and unload).
  std::string admin_token;
  std::vector<std::string> admin_path_prefixes;
  int worker_threads = 16;  // requests handled at once (1..1024)
  // A request (TLS handshake, then request line and headers) not complete this
  // long after a worker took its connection is dropped; the same bound applies
  // to a client that does not read its response (100..600000).
  int request_timeout_ms = 2000;
  // Largest request line + headers accepted (431 past it; 1024..1 MiB).
  int max_request_bytes = 16 * 1024;
  // Largest POST body accepted on routes that take one (413 past it, refused
  // before it is read; 0..1 GiB); bodies anywhere else are refused (413), and
  // chunked bodies too (411: send Content-Length). A body must arrive within
  // about `request_timeout_ms` of its first read.
  int max_body_bytes = 4 << 20;
  // Accepted connections waiting for a free worker (1..65536); past them the
  // kernel's listen backlog (as large) holds further connections.
  int max_queued_connections = 256;
  // HTTP keep-alive: a connection's next request must start within
  // `request_timeout_ms` of the last answer, or it is closed (an idle
  // connection holds a worker no longer than a slow one).
  bool keep_alive = true;
};

class HttpServer {
 public:
  // `metrics_text` is called for every GET /metrics, `stats` for every GET
  // /api/v1/stats (none: 404); `routes` add further paths.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           std::function<std::string()> metrics_text,
                                                           HttpGetHandler stats = nullptr,
                                                           std::vector<HttpRoute> routes = {});
  ~HttpServer();

  int port() const { return port_; }
  bool keep_alive() const { return options_.keep_alive; }

 private:
  class Handler;
  HttpServer() = default;
  // Serves GET and HEAD of `path` (and, as civetweb matches, paths below it)
  // with `handler`; POST too when `path` is in `post_paths_`.
  void Route(const std::string& path, HttpHandler handler);
  // Whether POST reaches a route at `path`.
  bool TakesPost(const std::string& path) const;

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
  // The same check against one token (digest).
  static int CheckBearer(mg_connection* conn, const std::array<unsigned char, 32>& digest,
                         bool head);
  void NoteStartError(const std::string& message) const;

  HttpServerOptions options_;
  std::array<unsigned char, 32> token_digest_{};  // SHA-256 of the token
  std::array<unsigned char, 32> admin_token_digest_{};
  std::vector<std::string> post_paths_;  // of routes that take POST
  std::atomic<bool> started_{false};
  mutable std::mutex start_errors_mutex_;
  mutable std::string start_errors_;  // what civetweb and TLS setup said while starting

  std::vector<std::unique_ptr<Handler>> handlers_;
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_HTTP_SERVER_H_
