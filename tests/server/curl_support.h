// libcurl plumbing shared by the HTTP tests (http_server_test, kserve_rest_test):
// process-wide init and the write/header callbacks that collect a reply.
#ifndef TINYSERVE_TESTS_SERVER_CURL_SUPPORT_H_
#define TINYSERVE_TESTS_SERVER_CURL_SUPPORT_H_

#include <curl/curl.h>

#include <cstddef>
#include <map>
#include <string>

#include "absl/strings/ascii.h"

namespace tinyserve::testing {

// curl_global_init once per process (a function-local static of this type).
struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

// CURLOPT_WRITEFUNCTION: appends to the std::string in CURLOPT_WRITEDATA.
inline size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// CURLOPT_HEADERFUNCTION: "Name: value" lines into the
// std::map<std::string, std::string> in CURLOPT_HEADERDATA, names lower-cased.
inline size_t AddHeader(char* data, size_t size, size_t count, void* out) {
  const std::string line(data, size * count);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    (*static_cast<std::map<std::string, std::string>*>(out))[absl::AsciiStrToLower(
        line.substr(0, colon))] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * count;
}

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SERVER_CURL_SUPPORT_H_
