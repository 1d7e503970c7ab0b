#include "server/server_credentials.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"

namespace tinyserve::server {
namespace {

// PEM files are small; anything past this is not one.
constexpr std::streamsize kMaxPemBytes = 1 << 20;

absl::StatusOr<std::string> ReadPemFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::string contents(static_cast<size_t>(kMaxPemBytes) + 1, '\0');
  in.read(contents.data(), kMaxPemBytes + 1);
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  contents.resize(static_cast<size_t>(in.gcount()));
  if (contents.size() > static_cast<size_t>(kMaxPemBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " is over ", kMaxPemBytes, " bytes: not a PEM file"));
  }
  return contents;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of a PEM file, and how many there are.
absl::StatusOr<std::pair<Cert, int>> ParseCertificates(const std::string& flag,
                                                       const std::string& path,
                                                       const std::string& pem) {
  Bio bio = MemoryBio(pem);
  Cert first;
  int count = 0;
  while (Cert cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    if (count++ == 0) first = std::move(cert);
  }
  ERR_clear_error();  // the read that ended the loop
  if (count == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
  }
  return std::make_pair(std::move(first), count);
}

absl::StatusOr<Key> ParseKey(const std::string& path, const std::string& pem) {
  Bio bio = MemoryBio(pem);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key: ", path,
                     " holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)"));
  }
  return key;
}

}  // namespace

absl::StatusOr<std::optional<grpc::SslServerCredentialsOptions>> LoadTls(const TlsFiles& files) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together: set both or neither");
  }
  if (!files.enabled()) {
    if (files.mutual()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca needs TLS: set --tls_cert and --tls_key too");
    }
    return std::nullopt;
  }
  auto cert_pem = ReadPemFile("--tls_cert", files.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadPemFile("--tls_key", files.key_file);
  if (!key_pem.ok()) return key_pem.status();
  auto cert = ParseCertificates("--tls_cert", files.cert_file, *cert_pem);
  if (!cert.ok()) return cert.status();
  auto key = ParseKey(files.key_file, *key_pem);
  if (!key.ok()) return key.status();
  if (X509_check_private_key(cert->first.get(), key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("--tls_key: ", files.key_file,
                                                   " is not the key of the certificate in ",
                                                   files.cert_file));
  }

  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key_pem, *cert_pem});
  if (files.mutual()) {
    auto ca_pem = ReadPemFile("--tls_client_ca", files.client_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    if (auto ca = ParseCertificates("--tls_client_ca", files.client_ca_file, *ca_pem); !ca.ok()) {
      return ca.status();
    }
    options.pem_root_certs = *ca_pem;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return options;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const std::optional<grpc::SslServerCredentialsOptions>& tls,
    std::shared_ptr<grpc::AuthMetadataProcessor> gate, bool loopback_address) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (tls) {
    credentials = grpc::SslServerCredentials(*tls);
  } else if (gate != nullptr) {
    // gRPC's insecure credentials cannot run a gate (they abort the process).
    if (!loopback_address) {
      return absl::FailedPreconditionError(
          "a bearer token or rate limit without TLS is served on loopback only (the token "
          "would cross the network in clear text): set --tls_cert/--tls_key, or listen on "
          "127.0.0.1 behind a TLS proxy");
    }
    credentials = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
  } else {
    return grpc::InsecureServerCredentials();
  }
  if (gate != nullptr) credentials->SetAuthMetadataProcessor(gate);
  return credentials;
}

bool IsLoopbackAddress(const std::string& address) {
  if (address == "localhost" || address == "::1" || address == "[::1]") return true;
  in_addr v4{};
  return inet_pton(AF_INET, address.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

}  // namespace tinyserve::server
