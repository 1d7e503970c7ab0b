// HTTPS through Debian's civetweb 1.15 on OpenSSL 3. That civetweb loads
// OpenSSL at run time (dlopen("libssl.so"), then dlsym per function) and asks
// for SSL_get_peer_certificate, which OpenSSL 3 renamed to
// SSL_get1_peer_certificate (same semantics; the old name is only a macro
// now), so without this every HTTPS start fails with "load_tls_dll: cannot
// find SSL_get_peer_certificate".
//
// This tiny shared library is built as "libssl.so" with that SONAME and
// depends on the real libssl.so.3. The server links it, so the loader maps it
// at start (RUNPATH to its directory); civetweb's dlopen("libssl.so") then
// matches it by SONAME, and dlsym on that handle finds the function below
// here and every other one in libssl.so.3, its dependency. It also means the
// server needs no libssl-dev "libssl.so" link on the target machine.
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate

extern "C" {

__attribute__((visibility("default"))) X509* SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}

// Referenced by the server (http_server.cc), so the link keeps this library
// even with --as-needed.
__attribute__((visibility("default"))) int tinyserve_civetweb_openssl3_shim() { return 3; }

}  // extern "C"
