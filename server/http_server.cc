#include "server/http_server.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

// Writes a whole response; `extra_headers` are complete "Name: value\r\n" lines.
// HEAD gets the headers GET would have, without the body.
void SendReply(mg_connection* conn, const HttpReply& reply, bool head,
               const char* extra_headers = "") {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\n"
            "Content-Type: %s\r\n"
            "Content-Length: %zu\r\n"
            "Cache-Control: no-store\r\n"
            "%s"
            "Connection: close\r\n\r\n",
            reply.status, mg_get_response_code_text(conn, reply.status),
            reply.content_type.c_str(), reply.body.size(), extra_headers);
  if (!head) mg_write(conn, reply.body.data(), reply.body.size());
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
  if (!IsTokenText(o.bearer_token)) {
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

const HttpServer* ServerOf(const mg_connection* conn) {
  const mg_context* context = mg_get_context(conn);
  if (context == nullptr) return nullptr;
  const auto* civet = static_cast<const CivetServer*>(mg_get_user_data(context));
  return civet == nullptr ? nullptr : static_cast<const HttpServer*>(civet->getUserContext());
}

}  // namespace

class HttpServer::GetHandler : public CivetHandler {
 public:
  explicit GetHandler(HttpGetHandler handler) : handler_(std::move(handler)) {}

  bool handleGet(CivetServer*, mg_connection* conn) override { return Serve(conn, false); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return Serve(conn, true); }

 private:
  bool Serve(mg_connection* conn, bool head) {
    const mg_request_info* info = mg_get_request_info(conn);
    HttpRequest request;
    if (info->local_uri != nullptr) request.path = info->local_uri;
    if (info->query_string != nullptr) request.query = info->query_string;
    HttpReply reply;
    try {
      reply = handler_(request);
    } catch (const std::exception& e) {
      // A handler bug must cost one response, never the server.
      reply = {500, kPlainText, absl::StrCat("internal error: ", e.what(), "\n")};
    }
    SendReply(conn, reply, head);
    return true;
  }

  HttpGetHandler handler_;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& http_options, std::function<std::string()> metrics_text,
    HttpGetHandler stats) {
  if (absl::Status valid = ValidateOptions(http_options); !valid.ok()) return valid;
  std::unique_ptr<HttpServer> http(new HttpServer());
  http->options_ = http_options;
  http->token_digest_ = Sha256(http_options.bearer_token);
  const std::string listening = ListeningPort(http_options);
  const std::vector<std::string> options = {
      "listening_ports", listening,
      "num_threads", absl::StrCat(http_options.worker_threads),
      "connection_queue", absl::StrCat(http_options.max_queued_connections),
      "listen_backlog", absl::StrCat(http_options.max_queued_connections),
      "request_timeout_ms", absl::StrCat(http_options.request_timeout_ms),
      "max_request_size", absl::StrCat(http_options.max_request_bytes),
      // One request per connection: an idle kept-alive connection would hold a
      // worker thread.
      "enable_keep_alive", "no",
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
  // A body is refused before anything reads it: a client trickling a large
  // one would otherwise hold a worker while civetweb discards it. Returning
  // a negative value makes civetweb 1.15 close the connection without reading
  // further (a positive one would discard the body first).
  const char* transfer_encoding = mg_get_header(conn, "Transfer-Encoding");
  if (info->content_length > 0 ||
      (transfer_encoding != nullptr && !absl::EqualsIgnoreCase(transfer_encoding, "identity"))) {
    SendReply(conn, {413, kPlainText, "requests here take no body\n"}, head);
    return -1;
  }
  if (method != "GET" && !head) {
    SendReply(conn,
              {405, kPlainText,
               absl::StrCat("method ", EscapedForMessage(method), " not allowed: use GET\n")},
              false, "Allow: GET, HEAD\r\n");
    return 405;
  }
  const std::string path = info->local_uri != nullptr ? info->local_uri : "";
  if (const int status = http->CheckToken(conn, path, head); status != 0) return status;
  return 0;  // routed to the handlers
}

int HttpServer::CheckToken(mg_connection* conn, const std::string& path, bool head) const {
  if (options_.bearer_token.empty()) return 0;
  const auto& pub = options_.public_paths;
  if (std::find(pub.begin(), pub.end(), path) != pub.end()) return 0;
  const char* header = mg_get_header(conn, "Authorization");
  absl::string_view credentials = header != nullptr ? header : "";
  constexpr absl::string_view kScheme = "Bearer ";
  if (credentials.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(credentials.substr(0, kScheme.size()), kScheme)) {
    SendReply(conn, {401, kPlainText, "this path needs an Authorization: Bearer token\n"}, head,
              kWwwAuthenticate);
    return 401;
  }
  // Digests of both sides compared in constant time: neither the token's
  // bytes nor its length show in the timing.
  const std::array<unsigned char, 32> presented =
      Sha256(absl::StripAsciiWhitespace(credentials.substr(kScheme.size())));
  if (CRYPTO_memcmp(presented.data(), token_digest_.data(), presented.size()) != 0) {
    SendReply(conn, {403, kPlainText, "wrong bearer token\n"}, head);
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
            false);
  return 0;
}

void HttpServer::NoteStartError(const std::string& message) const {
  std::lock_guard<std::mutex> lock(start_errors_mutex_);
  if (start_errors_.size() > 4096) return;
  if (!start_errors_.empty()) start_errors_ += "; ";
  start_errors_ += message;
}

void HttpServer::Route(const std::string& path, HttpGetHandler handler) {
  handlers_.push_back(std::make_unique<GetHandler>(std::move(handler)));
  server_->addHandler(path, handlers_.back().get());
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

}  // namespace tinyserve::server
