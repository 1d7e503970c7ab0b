#include "server/http_server.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/dashboard/dashboard_assets.h"
#include "server/http_query.h"
#include "spdlog/spdlog.h"

// civetweb_openssl3_shim.cc: civetweb's HTTPS on OpenSSL 3.
extern "C" int tinyserve_civetweb_openssl3_shim();

namespace tinyserve::server {
namespace {

constexpr char kPlainText[] = "text/plain; charset=utf-8";
// Sent with 401: the scheme the client must use (RFC 6750).
constexpr char kWwwAuthenticate[] = "WWW-Authenticate: Bearer realm=\"tinyserve\"\r\n";

const HttpServer* ServerOf(const mg_connection* conn) {
  const mg_context* context = mg_get_context(conn);
  if (context == nullptr) return nullptr;
  const auto* civet = static_cast<const CivetServer*>(mg_get_user_data(context));
  return civet == nullptr ? nullptr : static_cast<const HttpServer*>(civet->getUserContext());
}

// Whether civetweb 1.15 keeps the connection open after this request when
// keep-alive is enabled and the request was read whole: the client's
// Connection header decides, else HTTP/1.1 means yes.
bool ClientKeepsAlive(const mg_connection* conn) {
  if (const char* connection = mg_get_header(conn, "Connection"); connection != nullptr) {
    for (absl::string_view option : absl::StrSplit(connection, ',')) {
      if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(option), "keep-alive")) return true;
    }
    return false;
  }
  const mg_request_info* info = mg_get_request_info(conn);
  return info != nullptr && info->http_version != nullptr &&
         std::strcmp(info->http_version, "1.1") == 0;
}

// Writes a whole response; `extra_headers` are complete "Name: value\r\n" lines.
// HEAD gets the headers GET would have, without the body. `close` ends the
// connection after it (civetweb is told too); otherwise it stays open when
// keep-alive is on and the client wants it.
void SendReply(mg_connection* conn, const HttpReply& reply, bool head, bool close,
               const char* extra_headers = "") {
  const HttpServer* http = ServerOf(conn);
  if (close) mg_disable_connection_keep_alive(conn);
  const bool keep_alive =
      !close && http != nullptr && http->keep_alive() && ClientKeepsAlive(conn);
  // Head and body leave in one write: two small writes on a kept-alive
  // connection meet Nagle's algorithm and the client's delayed ACK (~40 ms
  // per request).
  std::string out = absl::StrCat(
      "HTTP/1.1 ", reply.status, " ", mg_get_response_code_text(conn, reply.status),
      "\r\nContent-Type: ", reply.content_type, "\r\nContent-Length: ", reply.body.size(),
      "\r\nCache-Control: no-store\r\n");
  for (const auto& [name, value] : reply.headers) absl::StrAppend(&out, name, ": ", value, "\r\n");
  absl::StrAppend(&out, extra_headers, "Connection: ", keep_alive ? "keep-alive" : "close",
                  "\r\n\r\n");
  if (!head) out.append(reply.body);
  mg_write(conn, out.data(), out.size());
}

std::array<unsigned char, 32> Sha256(absl::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    // Cannot happen with a working libcrypto; an all-zero digest then matches
    // no token's (CheckToken compares digests of both sides).
    digest.fill(0);
  }
  return digest;
}

// The newest OpenSSL error as text ("" if none), and the queue cleared.
std::string OpenSslError() {
  std::string text;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    text = buffer;
  }
  return text;
}

// Visible ASCII only: what a header can carry and a token file should hold.
bool IsTokenText(absl::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

absl::Status ValidateOptions(const HttpServerOptions& o) {
  auto out_of_range = [](const char* name, int value, int min, int max) {
    return absl::InvalidArgumentError(absl::StrCat("HTTP ", name, " must be in [", min, ", ", max,
                                                   "], got ", value));
  };
  if (o.port < 0 || o.port > 65535) return out_of_range("port", o.port, 0, 65535);
  if (o.worker_threads < 1 || o.worker_threads > 1024) {
    return out_of_range("worker threads", o.worker_threads, 1, 1024);
  }
  if (o.request_timeout_ms < 100 || o.request_timeout_ms > 600000) {
    return out_of_range("request timeout (ms)", o.request_timeout_ms, 100, 600000);
  }
  if (o.max_request_bytes < 1024 || o.max_request_bytes > (1 << 20)) {
    return out_of_range("max request bytes", o.max_request_bytes, 1024, 1 << 20);
  }
  if (o.max_body_bytes < 0 || o.max_body_bytes > (1 << 30)) {
    return out_of_range("max body bytes", o.max_body_bytes, 0, 1 << 30);
  }
  if (o.max_queued_connections < 1 || o.max_queued_connections > 65536) {
    return out_of_range("max queued connections", o.max_queued_connections, 1, 65536);
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "HTTPS needs both a TLS certificate and its private key, got only one");
  }
  if (!o.tls_client_ca_file.empty() && o.tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS client CA (client certificate verification) needs a server certificate and key");
  }
  if (!IsTokenText(o.bearer_token) || !IsTokenText(o.admin_token)) {
    return absl::InvalidArgumentError(
        "the HTTP bearer token must be visible ASCII only (no spaces or control bytes)");
  }
  for (const std::string& path : o.public_paths) {
    if (!absl::StartsWith(path, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("public HTTP path '", path, "' does not start with '/'"));
    }
  }
  return absl::OkStatus();
}

// civetweb's "listening_ports" entry; 's' makes it HTTPS.
std::string ListeningPort(const HttpServerOptions& o) {
  const bool ipv6 = absl::StrContains(o.address, ':');
  return absl::StrCat(ipv6 ? "[" : "", o.address, ipv6 ? "]" : "", ":", o.port,
                      o.tls_cert_file.empty() ? "" : "s");
}


}  // namespace

const std::string* HttpRequest::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return &value;
  }
  return nullptr;
}

class HttpServer::Handler : public CivetHandler {
 public:
  Handler(HttpHandler handler, int body_timeout_ms)
      : handler_(std::move(handler)), body_timeout_(body_timeout_ms) {}

  bool handleGet(CivetServer*, mg_connection* conn) override { return Serve(conn, "GET"); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return Serve(conn, "HEAD"); }
  // BeginRequest lets POST through only to routes that take it.
  bool handlePost(CivetServer*, mg_connection* conn) override { return Serve(conn, "POST"); }

 private:
  bool Serve(mg_connection* conn, const char* method) {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    request.method = method;
    if (info->local_uri != nullptr) request.path = info->local_uri;
    if (info->query_string != nullptr) request.query = info->query_string;
    for (int i = 0; i < info->num_headers; ++i) {
      const mg_header& h = info->http_headers[i];
      if (h.name == nullptr) continue;
      request.headers.emplace_back(absl::AsciiStrToLower(h.name), h.value != nullptr ? h.value : "");
    }
    const bool head = request.method == "HEAD";
    if (request.method == "POST" && info->content_length > 0) {
      // BeginRequest bounded it by max_body_bytes.
      if (!ReadBody(conn, static_cast<size_t>(info->content_length), &request.body)) {
        SendReply(conn,
                  {408, kPlainText,
                   absl::StrCat("request body cut short: ", request.body.size(), " of ",
                                info->content_length, " bytes arrived within ",
                                body_timeout_.count(), " ms\n")},
                  false, /*close=*/true);
        return true;
      }
    }
    HttpReply reply;
    try {
      reply = handler_(request);
    } catch (const std::exception& e) {
      // A handler bug must cost one response, never the server.
      reply = {500, kPlainText, absl::StrCat("internal error: ", e.what(), "\n")};
    }
    SendReply(conn, reply, head, /*close=*/false);
    return true;
  }

  // All `size` bytes, or false when the client stops sending or takes longer
  // than the body timeout (each mg_read waits at most about the request
  // timeout, so a trickling client holds the worker for about two).
  bool ReadBody(mg_connection* conn, size_t size, std::string* body) const {
    body->resize(size);
    const auto deadline = std::chrono::steady_clock::now() + body_timeout_;
    size_t read = 0;
    while (read < size) {
      if (std::chrono::steady_clock::now() > deadline) break;
      const size_t chunk = std::min<size_t>(size - read, 64 * 1024);
      const int n = mg_read(conn, body->data() + read, chunk);
      if (n <= 0) break;
      read += static_cast<size_t>(n);
    }
    body->resize(read);
    return read == size;
  }

  HttpHandler handler_;
  std::chrono::milliseconds body_timeout_;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& http_options, std::function<std::string()> metrics_text,
    HttpGetHandler stats, std::vector<HttpRoute> routes) {
  if (absl::Status valid = ValidateOptions(http_options); !valid.ok()) return valid;
  std::unique_ptr<HttpServer> http(new HttpServer());
  http->options_ = http_options;
  http->token_digest_ = Sha256(http_options.bearer_token);
  http->admin_token_digest_ = Sha256(http_options.admin_token);
  // Before civetweb starts: BeginRequest reads it on its threads.
  for (const HttpRoute& route : routes) {
    if (route.takes_post) http->post_paths_.push_back(route.path);
  }
  const std::string listening = ListeningPort(http_options);
  const std::vector<std::string> options = {
      "listening_ports", listening,
      "num_threads", absl::StrCat(http_options.worker_threads),
      "connection_queue", absl::StrCat(http_options.max_queued_connections),
      "listen_backlog", absl::StrCat(http_options.max_queued_connections),
      "request_timeout_ms", absl::StrCat(http_options.request_timeout_ms),
      "max_request_size", absl::StrCat(http_options.max_request_bytes),
      // An idle kept-alive connection holds a worker thread, so it waits no
      // longer for its next request than a new one for its first.
      "enable_keep_alive", http_options.keep_alive ? "yes" : "no",
      "keep_alive_timeout_ms", absl::StrCat(http_options.request_timeout_ms),
      // Replies are written whole (SendReply); nothing is gained by delaying them.
      "tcp_nodelay", "1",
      "ssl_protocol_version", "4",  // TLS 1.2 or later (InitTls sets it too)
  };
  CivetCallbacks callbacks;
  callbacks.begin_request = &HttpServer::BeginRequest;
  callbacks.log_message = &HttpServer::LogMessage;
  callbacks.http_error = &HttpServer::HttpError;
  if (!http_options.tls_cert_file.empty()) {
    callbacks.init_ssl = &HttpServer::InitTls;
    // Also what keeps the shim linked; it is loaded whenever the server runs.
    if (tinyserve_civetweb_openssl3_shim() != 3) {
      return absl::InternalError("the civetweb OpenSSL 3 shim is not the one built with the server");
    }
  }
  try {
    http->server_ = std::make_unique<CivetServer>(options, &callbacks, http.get());
  } catch (const CivetException& e) {
    std::lock_guard<std::mutex> lock(http->start_errors_mutex_);
    return absl::UnavailableError(absl::StrCat(
        "cannot serve HTTP", http_options.tls_cert_file.empty() ? "" : "S", " on ", listening,
        ": ", http->start_errors_.empty() ? e.what() : http->start_errors_));
  }
  http->started_ = true;
  const auto ports = http->server_->getListeningPorts();
  http->port_ = ports.empty() ? http_options.port : ports.front();
  http->Route("/metrics", [text = std::move(metrics_text)](const HttpRequest&) {
    return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8", text()};
  });
  if (stats) http->Route("/api/v1/stats", std::move(stats));
  for (HttpRoute& route : routes) http->Route(route.path, std::move(route.handler));
  // The live dashboard (server/dashboard/). Civetweb hands "/" every path no
  // other route takes, so unknown paths get their 404 here.
  http->Route("/", [](const HttpRequest& request) {
    const dashboard::Asset* asset = dashboard::FindAsset(request.path);
    if (asset == nullptr) return HttpReply{404, kPlainText, "not found\n"};
    return HttpReply{200, std::string(asset->content_type), std::string(asset->body)};
  });
  return http;
}

int HttpServer::BeginRequest(mg_connection* conn) {
  const HttpServer* http = ServerOf(conn);
  const mg_request_info* info = mg_get_request_info(conn);
  if (http == nullptr || info == nullptr) return 0;
  const std::string method = info->request_method != nullptr ? info->request_method : "";
  const bool head = method == "HEAD";
  const std::string path = info->local_uri != nullptr ? info->local_uri : "";
  const bool post = method == "POST" && http->TakesPost(path);
  // A body is refused before anything reads it: a client trickling a large
  // one would otherwise hold a worker while civetweb discards it. Returning
  // a negative value makes civetweb 1.15 close the connection without reading
  // further (a positive one would discard the body first).
  const char* transfer_encoding = mg_get_header(conn, "Transfer-Encoding");
  if (transfer_encoding != nullptr && !absl::EqualsIgnoreCase(transfer_encoding, "identity")) {
    if (post) {
      SendReply(conn, {411, kPlainText, "send the body with a Content-Length, not chunked\n"},
                false, /*close=*/true);
    } else {
      SendReply(conn, {413, kPlainText, "requests here take no body\n"}, head, /*close=*/true);
    }
    return -1;
  }
  if (info->content_length > 0 && !post) {
    SendReply(conn, {413, kPlainText, "requests here take no body\n"}, head, /*close=*/true);
    return -1;
  }
  if (post && info->content_length > http->options_.max_body_bytes) {
    SendReply(conn,
              {413, kPlainText,
               absl::StrCat("request body of ", info->content_length, " bytes is over the limit of ",
                            http->options_.max_body_bytes, " bytes\n")},
              false, /*close=*/true);
    return -1;
  }
  if (method != "GET" && !head && !post) {
    const bool takes_post = http->TakesPost(path);
    SendReply(conn,
              {405, kPlainText,
               absl::StrCat("method ", EscapedForMessage(method), " not allowed: use GET",
                            takes_post ? " or POST" : "", "\n")},
              false, /*close=*/false, takes_post ? "Allow: GET, HEAD, POST\r\n" : "Allow: GET, HEAD\r\n");
    return 405;
  }
  if (const int status = http->CheckToken(conn, path, head); status != 0) return status;
  return 0;  // routed to the handlers
}

bool HttpServer::TakesPost(const std::string& path) const {
  for (const std::string& prefix : post_paths_) {
    if (path == prefix || (absl::StartsWith(path, prefix) && path.size() > prefix.size() &&
                           path[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

int HttpServer::CheckToken(mg_connection* conn, const std::string& path, bool head) const {
  if (!options_.admin_token.empty()) {
    for (const std::string& prefix : options_.admin_path_prefixes) {
      if (absl::StartsWith(path, prefix)) return CheckBearer(conn, admin_token_digest_, head);
    }
  }
  if (options_.bearer_token.empty()) return 0;
  const auto& pub = options_.public_paths;
  if (std::find(pub.begin(), pub.end(), path) != pub.end()) return 0;
  return CheckBearer(conn, token_digest_, head);
}

int HttpServer::CheckBearer(mg_connection* conn, const std::array<unsigned char, 32>& digest,
                            bool head) {
  // A refused request's body is never read: the connection closes after the answer.
  const mg_request_info* info = mg_get_request_info(conn);
  const bool close = info != nullptr && info->content_length > 0;
  const char* header = mg_get_header(conn, "Authorization");
  absl::string_view credentials = header != nullptr ? header : "";
  constexpr absl::string_view kScheme = "Bearer ";
  if (credentials.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(credentials.substr(0, kScheme.size()), kScheme)) {
    SendReply(conn, {401, kPlainText, "this path needs an Authorization: Bearer token\n"}, head,
              close, kWwwAuthenticate);
    return 401;
  }
  // Digests of both sides compared in constant time: neither the token's
  // bytes nor its length show in the timing.
  const std::array<unsigned char, 32> presented =
      Sha256(absl::StripAsciiWhitespace(credentials.substr(kScheme.size())));
  if (CRYPTO_memcmp(presented.data(), digest.data(), presented.size()) != 0) {
    SendReply(conn, {403, kPlainText, "wrong bearer token\n"}, head, close);
    return 403;
  }
  return 0;
}

int HttpServer::InitTls(void* ssl_ctx, void* user_data) {
  const auto* civet = static_cast<const CivetServer*>(user_data);
  const auto* http = static_cast<const HttpServer*>(civet->getUserContext());
  const HttpServerOptions& o = http->options_;
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  auto fail = [&](const std::string& what) {
    http->NoteStartError(absl::StrCat(what, ": ", OpenSslError()));
    return -1;
  };
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return fail("cannot require TLS 1.2");
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, o.tls_cert_file.c_str()) != 1) {
    return fail(absl::StrCat("cannot use TLS certificate ", o.tls_cert_file));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, o.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(absl::StrCat("cannot use TLS private key ", o.tls_key_file));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(absl::StrCat("TLS private key ", o.tls_key_file, " does not match certificate ",
                             o.tls_cert_file));
  }
  // Sessions are resumable only within this server (OpenSSL requires an id
  // context once clients are verified).
  static constexpr unsigned char kSessionContext[] = "tinyserve-http";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  if (!o.tls_client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.tls_client_ca_file.c_str(), nullptr) != 1) {
      return fail(absl::StrCat("cannot use TLS client CA ", o.tls_client_ca_file));
    }
    // Tells clients which CA their certificate must come from.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.tls_client_ca_file.c_str());
    if (names == nullptr) return fail(absl::StrCat("no CA names in ", o.tls_client_ca_file));
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return 1;  // civetweb loads no certificate of its own
}

int HttpServer::LogMessage(const mg_connection* conn, const char* message) {
  const HttpServer* http = ServerOf(conn);
  if (http != nullptr && !http->started_) {
    http->NoteStartError(message);
  } else {
    // Per-connection trouble (a failed handshake, a peer gone): routine on an
    // exposed port, so not above debug.
    spdlog::debug("http: {}", message);
  }
  return 1;  // civetweb itself logs nothing
}

int HttpServer::HttpError(mg_connection* conn, int status, const char* message) {
  // civetweb 1.15 says 400 "Malformed message" for a request head it never
  // saw complete: over max_request_size (it means 413, but the check misses),
  // or cut short by the timeout or the client. Only the first kind of client
  // is still reading, so it gets the status that fits it.
  const HttpServer* http = ServerOf(conn);
  if (http == nullptr || status != 400 || message == nullptr ||
      std::strcmp(message, "Malformed message") != 0) {
    return 1;  // civetweb's own error reply
  }
  SendReply(conn,
            {431, kPlainText,
             absl::StrCat("request head over ", http->options_.max_request_bytes,
                          " bytes or not complete within ", http->options_.request_timeout_ms,
                          " ms\n")},
            false, /*close=*/true);
  return 0;
}

void HttpServer::NoteStartError(const std::string& message) const {
  std::lock_guard<std::mutex> lock(start_errors_mutex_);
  if (start_errors_.size() > 4096) return;
  if (!start_errors_.empty()) start_errors_ += "; ";
  start_errors_ += message;
}

void HttpServer::Route(const std::string& path, HttpHandler handler) {
  handlers_.push_back(std::make_unique<Handler>(std::move(handler), options_.request_timeout_ms));
  server_->addHandler(path, handlers_.back().get());
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

}  // namespace tinyserve::server
