// The server's security flags end to end (docs/security.md): TLS and mutual
// TLS, the bearer token and its scope, the loopback default, reflection, the
// message size limit, the per-client rate limit, the CLI's matching flags,
// and flag combinations the server refuses. Real server processes on loopback;
// certificates from tests/data/tls (make_certs.sh).
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

// Whether `text` contains `needle`, quoting the text when it does not.
::testing::AssertionResult Has(const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << needle << "' not in:\n" << text;
}

bool Lists(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

const std::string kModel = "micro_speech_quantized";  // int8 [1,1960] input
constexpr size_t kModelInputBytes = 1960;
const std::string kToken = "s3cret-Token_0123456789";

std::string Tls(const std::string& file) { return TestDataPath("tls/" + file); }

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// TLS channel credentials: the server verified with `ca_file` ("" : the
// system's roots), optionally presenting a client certificate.
std::shared_ptr<grpc::ChannelCredentials> TlsCredentials(const std::string& ca_file,
                                                         const std::string& cert_file = "",
                                                         const std::string& key_file = "") {
  grpc::SslCredentialsOptions options;
  if (!ca_file.empty()) options.pem_root_certs = ReadText(ca_file);
  if (!cert_file.empty()) {
    options.pem_cert_chain = ReadText(cert_file);
    options.pem_private_key = ReadText(key_file);
  }
  return grpc::SslCredentials(options);
}

v1::ClassifyRequest ValidRequest() {
  return RawRequest(kModel, std::vector<uint8_t>(kModelInputBytes, 3));
}

// Calls with an "authorization" header (nullopt: none), each with a deadline.
void Prepare(grpc::ClientContext& context, const std::optional<std::string>& authorization) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (authorization) context.AddMetadata("authorization", *authorization);
}

grpc::Status ListModelsWith(const std::shared_ptr<grpc::Channel>& channel,
                            const std::optional<std::string>& authorization = std::nullopt) {
  auto stub = v1::Inference::NewStub(channel);
  grpc::ClientContext context;
  Prepare(context, authorization);
  v1::ListModelsResponse response;
  return stub->ListModels(&context, v1::ListModelsRequest(), &response);
}

grpc::Status ClassifyWith(const std::shared_ptr<grpc::Channel>& channel,
                          const v1::ClassifyRequest& request,
                          const std::optional<std::string>& authorization = std::nullopt) {
  auto stub = v1::Inference::NewStub(channel);
  grpc::ClientContext context;
  Prepare(context, authorization);
  v1::ClassifyResponse response;
  return stub->Classify(&context, request, &response);
}

grpc::Status LoadWith(const std::shared_ptr<grpc::Channel>& channel,
                      const std::optional<std::string>& authorization) {
  auto stub = v1::Admin::NewStub(channel);
  grpc::ClientContext context;
  Prepare(context, authorization);
  v1::LoadModelRequest request;
  request.set_model(kModel);
  v1::LoadModelResponse response;
  return stub->LoadModel(&context, request, &response);
}

// A token file in a temporary directory.
class TokenFile {
 public:
  explicit TokenFile(const std::string& contents) : path_(dir_.path() + "/token") {
    WriteFile(path_, contents);
  }
  const std::string& path() const { return path_; }

 private:
  TempDir dir_;
  std::string path_;
};

struct Exit {
  int code = -1;  // exit status, -1 when it did not exit normally
  std::string output;
};

// Runs a command line (arguments without spaces or quotes) to its end,
// stdout and stderr together.
Exit RunToExit(const std::vector<std::string>& argv) {
  Exit result;
  const std::string command = absl::StrCat("timeout 60 ", absl::StrJoin(argv, " "), " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) result.code = WEXITSTATUS(status);
  return result;
}

// --- TLS -------------------------------------------------------------------

class TlsTest : public SharedServerTest<TlsTest> {
 protected:
  static void SetUpTestSuite() {
    ServerConfig config;
    config.args = {"--tls_cert", Tls("server.pem"), "--tls_key", Tls("server.key")};
    config.channel_credentials = TlsCredentials(Tls("ca.pem"));
    StartServer(config);
  }
};

TEST_F(TlsTest, ClientThatTrustsTheCaConnects) {
  EXPECT_TRUE(ListModelsWith(server_->NewChannel()).ok());
  const grpc::Status s = ClassifyWith(server_->channel(), ValidRequest());
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(TlsTest, ClientWithoutTheCaOrWithoutTlsFails) {
  EXPECT_EQ(ListModelsWith(server_->NewChannel(TlsCredentials(Tls("other_ca.pem")))).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListModelsWith(server_->NewChannel(grpc::InsecureChannelCredentials())).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, StartupLogSaysTlsAndLoopbackWithoutClientAuthentication) {
  EXPECT_TRUE(Has(server_->Log(), "gRPC: TLS,"));
  // TLS alone authenticates nobody: still loopback only.
  EXPECT_TRUE(Has(server_->Log(), "listening on loopback only (127.0.0.1)"));
}

class MutualTlsTest : public SharedServerTest<MutualTlsTest> {
 protected:
  static void SetUpTestSuite() {
    ServerConfig config;
    config.args = {"--tls_cert", Tls("server.pem"), "--tls_key", Tls("server.key"),
                   "--tls_client_ca", Tls("ca.pem")};
    config.channel_credentials =
        TlsCredentials(Tls("ca.pem"), Tls("client.pem"), Tls("client.key"));
    StartServer(config);
  }
};

TEST_F(MutualTlsTest, ClientWithACertificateFromTheCaConnects) {
  const grpc::Status s = ListModelsWith(server_->NewChannel());
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(MutualTlsTest, ClientWithoutACertificateOrWithAnUnrelatedOneFails) {
  EXPECT_EQ(ListModelsWith(server_->NewChannel(TlsCredentials(Tls("ca.pem")))).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListModelsWith(server_->NewChannel(TlsCredentials(
                               Tls("ca.pem"), Tls("other_client.pem"), Tls("other_client.key"))))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// --- Bearer token ------------------------------------------------------------

// Plaintext on loopback with a token (the server then uses gRPC's "local"
// credentials, which plain clients on this host reach as before).
class TokenAdminScopeTest : public SharedServerTest<TokenAdminScopeTest> {
 protected:
  static void SetUpTestSuite() {
    token_ = std::make_unique<TokenFile>("\n  " + kToken + "  \n\n");  // trimmed
    ServerConfig config;
    config.args = {"--auth_token_file", token_->path()};
    StartServer(config);
  }
  static inline std::unique_ptr<TokenFile> token_;
};

TEST_F(TokenAdminScopeTest, AdminWithoutTokenIsUnauthenticated) {
  const grpc::Status s = LoadWith(server_->channel(), std::nullopt);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Has(s.error_message(), "authorization: Bearer"));
  EXPECT_EQ(LoadWith(server_->channel(), "Basic dXNlcjpwYXNz").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TokenAdminScopeTest, AdminWithWrongTokenIsPermissionDenied) {
  for (const std::string& wrong : std::vector<std::string>{
           kToken + "x", kToken.substr(1), "nope", "S3cret-Token_0123456789"}) {
    const grpc::Status s = LoadWith(server_->channel(), "Bearer " + wrong);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << wrong;
    EXPECT_FALSE(Has(s.error_message(), kToken)) << wrong;
  }
}

TEST_F(TokenAdminScopeTest, AdminWithTheTokenSucceeds) {
  const grpc::Status s = LoadWith(server_->channel(), "Bearer " + kToken);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(LoadWith(server_->channel(), "bearer " + kToken).ok());  // scheme: any case
}

TEST_F(TokenAdminScopeTest, InferenceAndHealthStayOpenWithoutToken) {
  const grpc::Status s = ClassifyWith(server_->channel(), ValidRequest());
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(ListModelsWith(server_->channel()).ok());
  // A wrong token on an open call changes nothing.
  EXPECT_TRUE(ListModelsWith(server_->channel(), "Bearer wrong").ok());
  EXPECT_EQ(HealthCheck(server_->channel(), "").second, 1);  // SERVING
}

TEST_F(TokenAdminScopeTest, StartupLogSaysWhatTheTokenGuards) {
  EXPECT_TRUE(Has(server_->Log(), "bearer token: required for Admin calls"));
  EXPECT_FALSE(Has(server_->Log(), kToken));
}

class TokenAllScopeTest : public SharedServerTest<TokenAllScopeTest> {
 protected:
  static void SetUpTestSuite() {
    token_ = std::make_unique<TokenFile>(kToken);
    ServerConfig config;
    config.args = {"--auth_token_file", token_->path(), "--auth_scope", "all"};
    StartServer(config);
  }
  static inline std::unique_ptr<TokenFile> token_;
};

TEST_F(TokenAllScopeTest, InferenceNeedsTheTokenToo) {
  EXPECT_EQ(ClassifyWith(server_->channel(), ValidRequest()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListModelsWith(server_->channel()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ListModelsWith(server_->channel(), "Bearer wrong").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const grpc::Status s = ClassifyWith(server_->channel(), ValidRequest(), "Bearer " + kToken);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(LoadWith(server_->channel(), std::nullopt).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TokenAllScopeTest, HealthChecksStayOpen) {
  const auto [status, serving] = HealthCheck(server_->channel(), kModel);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(serving, 1);
}

// TLS and a token together: the deployment docs/security.md recommends. The
// CLI's flags reach it.
class TlsTokenTest : public SharedServerTest<TlsTokenTest> {
 protected:
  static void SetUpTestSuite() {
    token_ = std::make_unique<TokenFile>(kToken + "\n");
    ServerConfig config;
    config.args = {"--tls_cert", Tls("server.pem"), "--tls_key", Tls("server.key"),
                   "--auth_token_file", token_->path()};
    config.channel_credentials = TlsCredentials(Tls("ca.pem"));
    StartServer(config);
  }
  std::vector<std::string> Cli(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {TINYSERVE_CLI_BINARY, "--server",
                                     server_->grpc_address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  static inline std::unique_ptr<TokenFile> token_;
};

TEST_F(TlsTokenTest, AdminNeedsTheTokenOverTls) {
  EXPECT_EQ(LoadWith(server_->channel(), std::nullopt).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(LoadWith(server_->channel(), "Bearer x").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(LoadWith(server_->channel(), "Bearer " + kToken).ok());
  EXPECT_TRUE(ClassifyWith(server_->channel(), ValidRequest()).ok());
}

TEST_F(TlsTokenTest, CliWithCaAndTokenFileLoadsAModel) {
  const Exit ok = RunToExit(
      Cli({"--tls_ca", Tls("ca.pem"), "--token_file", token_->path(), "load", kModel}));
  EXPECT_EQ(ok.code, 0) << ok.output;

  const Exit no_token = RunToExit(Cli({"--tls_ca", Tls("ca.pem"), "load", kModel}));
  EXPECT_EQ(no_token.code, 1) << no_token.output;
  EXPECT_TRUE(Has(no_token.output, "UNAUTHENTICATED"));

  const Exit wrong_ca = RunToExit(
      Cli({"--tls_ca", Tls("other_ca.pem"), "--token_file", token_->path(), "models"}));
  EXPECT_EQ(wrong_ca.code, 1) << wrong_ca.output;
  EXPECT_TRUE(Has(wrong_ca.output, "unavailable"));

  // The name checked can be overridden (the certificate names localhost).
  const Exit renamed = RunToExit(
      Cli({"--tls_ca", Tls("ca.pem"), "--tls_server_name", "localhost", "models"}));
  EXPECT_EQ(renamed.code, 0) << renamed.output;
  const Exit misnamed = RunToExit(
      Cli({"--tls_ca", Tls("ca.pem"), "--tls_server_name", "elsewhere.example", "models"}));
  EXPECT_EQ(misnamed.code, 1) << misnamed.output;
}

TEST_F(TlsTokenTest, CliRefusesBadSecurityFlags) {
  const Exit half = RunToExit(Cli({"--tls_cert", Tls("client.pem"), "models"}));
  EXPECT_EQ(half.code, 2) << half.output;
  EXPECT_TRUE(Has(half.output, "--tls_cert and --tls_key go together"));
  const Exit missing = RunToExit(Cli({"--token_file", "/nonexistent/token", "models"}));
  EXPECT_EQ(missing.code, 1) << missing.output;
  EXPECT_TRUE(Has(missing.output, "--token_file: cannot read /nonexistent/token"));
  TokenFile empty(" \n");
  const Exit blank = RunToExit(Cli({"--token_file", empty.path(), "models"}));
  EXPECT_EQ(blank.code, 1) << blank.output;
  EXPECT_TRUE(Has(blank.output, "holds no token"));
  const Exit garbage = RunToExit(Cli({"--tls_ca", empty.path(), "models"}));
  EXPECT_EQ(garbage.code, 1) << garbage.output;
  EXPECT_TRUE(Has(garbage.output, "is not a PEM file"));
}

TEST_F(MutualTlsTest, CliWithAClientCertificateConnects) {
  const std::vector<std::string> base = {TINYSERVE_CLI_BINARY, "--server",
                                         server_->grpc_address(), "--tls_ca", Tls("ca.pem")};
  std::vector<std::string> with_cert = base;
  with_cert.insert(with_cert.end(), {"--tls_cert", Tls("client.pem"), "--tls_key",
                                     Tls("client.key"), "models"});
  const Exit ok = RunToExit(with_cert);
  EXPECT_EQ(ok.code, 0) << ok.output;
  std::vector<std::string> without_cert = base;
  without_cert.push_back("models");
  const Exit refused = RunToExit(without_cert);
  EXPECT_EQ(refused.code, 1) << refused.output;
}

// --- Listening, reflection, limits ---------------------------------------------

// A non-loopback IPv4 address of this host, if it has one.
std::optional<std::string> NonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) found = text;
  }
  freeifaddrs(list);
  return found;
}

// Whether a TCP connection to host:port is accepted.
bool Connects(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

class DefaultsTest : public SharedServerTest<DefaultsTest> {
 protected:
  static void SetUpTestSuite() {
    ServerConfig config;
    config.address = "";  // the server's default
    StartServer(config);
  }
};

TEST_F(DefaultsTest, ListensOnLoopbackOnlyAndSaysSo) {
  EXPECT_TRUE(Has(server_->Log(), "listening on loopback only (127.0.0.1)"));
  EXPECT_TRUE(ListModelsWith(server_->channel()).ok());
  EXPECT_TRUE(Connects("127.0.0.1", server_->grpc_port()));
  EXPECT_TRUE(Connects("127.0.0.1", server_->http_port()));
  if (const auto other = NonLoopbackAddress()) {
    EXPECT_FALSE(Connects(*other, server_->grpc_port())) << *other;
    EXPECT_FALSE(Connects(*other, server_->http_port())) << *other;
  } else {
    std::cout << "[ NOTE     ] no non-loopback IPv4 address: not tried from outside\n";
  }
}

TEST_F(DefaultsTest, ReflectionIsOffByDefault) {
  const auto [status, services] = ReflectionListServices(server_->channel());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << status.error_message();
}

TEST(ReflectionTest, ReflectionFlagTurnsItOn) {
  ServerConfig config;
  config.args = {"--reflection"};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const auto [status, services] = ReflectionListServices((*server)->channel());
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Lists(services, "tinyserve.v1.Admin"));
  EXPECT_TRUE(Lists(services, "grpc.reflection.v1alpha.ServerReflection"));
}

TEST(ListenAllTest, InsecureListenAllOpensEveryInterfaceWithAWarning) {
  const auto other = NonLoopbackAddress();
  if (!other) GTEST_SKIP() << "no non-loopback IPv4 address on this host";
  ServerConfig config;
  config.address = "";
  config.args = {"--insecure_listen_all"};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(Has((*server)->Log(), "INSECURE: listening on 0.0.0.0"));
  EXPECT_TRUE(Connects(*other, (*server)->grpc_port())) << *other;
}

TEST(MaxMessageTest, RequestAtTheLimitIsServedOnePastItIsResourceExhausted) {
  const v1::ClassifyRequest at_limit = ValidRequest();
  const size_t limit = at_limit.ByteSizeLong();
  ASSERT_GE(limit, 1024u);
  v1::ClassifyRequest past_limit = at_limit;
  past_limit.set_device("r");  // two bytes of tag and length, one of value
  ASSERT_GT(past_limit.ByteSizeLong(), limit);
  ServerConfig config;
  config.args = {"--max_message_bytes", std::to_string(limit)};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const grpc::Status ok = ClassifyWith((*server)->channel(), at_limit);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  const grpc::Status past = ClassifyWith((*server)->channel(), past_limit);
  EXPECT_EQ(past.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << past.error_message();
  // The server goes on serving.
  EXPECT_TRUE(ClassifyWith((*server)->channel(), at_limit).ok());
}

TEST(RateLimitTest, PastTheBurstIsResourceExhaustedPerClient) {
  constexpr int kBurst = 3;
  ServerConfig config;
  // One request per 1000 s: nothing refills during the test.
  config.args = {"--rate_limit_rps", "0.001", "--rate_limit_burst", std::to_string(kBurst)};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const auto channel = (*server)->NewChannel();
  for (int i = 0; i < kBurst; ++i) {
    const grpc::Status s = ListModelsWith(channel);
    EXPECT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  const grpc::Status limited = ListModelsWith(channel);
  EXPECT_EQ(limited.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Has(limited.error_message(), "rate limit"));
  EXPECT_EQ(ClassifyWith(channel, ValidRequest()).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Health checks are never limited; another client has its own bucket.
  EXPECT_EQ(HealthCheck(channel, "").second, 1);
  EXPECT_TRUE(ListModelsWith((*server)->NewChannel()).ok());
}

// --- Flags the server refuses -------------------------------------------------------

class BadFlagsTest : public ::testing::Test {
 protected:
  Exit Run(std::vector<std::string> args) {
    args.insert(args.begin(), {TinyserveBinary(), "--grpc_port", "0", "--http_port", "0"});
    return RunToExit(args);
  }
  TempDir dir_;
};

TEST_F(BadFlagsTest, TlsFilesMissingMismatchedOrGarbage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  WriteFile(dir_.path() + "/garbage.pem", "not a certificate\n");
  const std::vector<Case> cases = {
      {{"--tls_cert", Tls("server.pem")}, "--tls_cert and --tls_key go together"},
      {{"--tls_key", Tls("server.key")}, "--tls_cert and --tls_key go together"},
      {{"--tls_client_ca", Tls("ca.pem")}, "--tls_client_ca needs TLS"},
      {{"--tls_cert", dir_.path() + "/none.pem", "--tls_key", Tls("server.key")},
       "--tls_cert: cannot read"},
      {{"--tls_cert", dir_.path() + "/garbage.pem", "--tls_key", Tls("server.key")},
       "holds no PEM certificate"},
      {{"--tls_cert", Tls("server.pem"), "--tls_key", dir_.path() + "/garbage.pem"},
       "holds no unencrypted PEM private key"},
      {{"--tls_cert", Tls("server.pem"), "--tls_key", Tls("client.key")},
       "is not the key of the certificate"},
      {{"--tls_cert", Tls("server.pem"), "--tls_key", Tls("server.key"), "--tls_client_ca",
        dir_.path() + "/garbage.pem"},
       "--tls_client_ca: "},
  };
  for (const Case& c : cases) {
    const Exit exit = Run(c.args);
    EXPECT_EQ(exit.code, 1) << absl::StrJoin(c.args, " ") << "\n" << exit.output;
    EXPECT_TRUE(Has(exit.output, c.message)) << absl::StrJoin(c.args, " ");
  }
}

TEST_F(BadFlagsTest, TokenFileUnreadableOrEmpty) {
  WriteFile(dir_.path() + "/empty", " \n\t\n");
  WriteFile(dir_.path() + "/two_words", "two words\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {dir_.path() + "/none", "cannot read token file"},
      {dir_.path() + "/empty", "holds no token"},
      {dir_.path() + "/two_words", "printable ASCII without spaces"},
      {dir_.path(), "token file"},  // a directory
  };
  for (const auto& [file, message] : cases) {
    const Exit exit = Run({"--auth_token_file", file});
    EXPECT_EQ(exit.code, 1) << file << "\n" << exit.output;
    EXPECT_TRUE(Has(exit.output, message)) << file;
  }
}

TEST_F(BadFlagsTest, NonLoopbackWithoutAuthenticationNeedsTheOptIn) {
  const Exit open = Run({"--address", "0.0.0.0"});
  EXPECT_EQ(open.code, 1) << open.output;
  EXPECT_TRUE(Has(open.output, "--insecure_listen_all"));
  // TLS alone authenticates nobody.
  const Exit tls_only = Run({"--address", "0.0.0.0", "--tls_cert", Tls("server.pem"),
                             "--tls_key", Tls("server.key")});
  EXPECT_EQ(tls_only.code, 1) << tls_only.output;
  // A token without TLS would cross the network in clear text.
  TokenFile token(kToken);
  const Exit clear = Run({"--insecure_listen_all", "--auth_token_file", token.path()});
  EXPECT_EQ(clear.code, 1) << clear.output;
  EXPECT_TRUE(Has(clear.output, "loopback only"));
}

TEST_F(BadFlagsTest, OutOfRangeValuesAreRefusedByTheParser) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--auth_scope", "everything"},
                                             {"--max_message_bytes", "10"},
                                             {"--rate_limit_rps", "-1"},
                                             {"--rate_limit_burst", "2"}}) {
    const Exit exit = Run(args);
    EXPECT_NE(exit.code, 0) << absl::StrJoin(args, " ") << "\n" << exit.output;
    EXPECT_TRUE(Has(exit.output, args[0])) << absl::StrJoin(args, " ");
  }
}

}  // namespace
}  // namespace tinyserve::testing
