// URL query strings ("window=60&x=1") parsed totally: any bytes give either the
// percent-decoded parameters or an error naming what was wrong, never an
// exception or undefined behaviour. Used by the HTTP handlers (the stats API)
// and fuzzed by tests/fuzz/http_query_fuzzer.cc; depends on Abseil only, so the
// fuzzer builds it without the server.
#ifndef TINYSERVE_SERVER_HTTP_QUERY_H_
#define TINYSERVE_SERVER_HTTP_QUERY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tinyserve::server {

// Longer query strings, or more parameters, are refused (400): every handler
// takes a few short parameters.
inline constexpr size_t kMaxHttpQueryBytes = 1024;
inline constexpr size_t kMaxHttpQueryParameters = 16;

struct HttpQueryParameter {
  std::string name;   // percent-decoded, '+' as space
  std::string value;  // "" for "name" and "name="
};

// Splits `query` (what follows '?', raw as received) on '&', each part on its
// first '='. Empty parts ("a=1&&b=2") are skipped. Errors: too long, too many
// parameters, a '%' not followed by two hex digits.
absl::StatusOr<std::vector<HttpQueryParameter>> ParseHttpQuery(absl::string_view query);

// The value of parameter `name` as an integer in [min, max]; nullopt when the
// query does not have it. Errors: given more than once, not a decimal integer,
// out of range (the message quotes the value, escaped and shortened).
absl::StatusOr<std::optional<int>> QueryIntParameter(
    const std::vector<HttpQueryParameter>& parameters, absl::string_view name, int min, int max);

// `bytes` for an error message: printable ASCII kept, anything else as \xNN,
// cut to `max_bytes` of input with "..." after.
std::string EscapedForMessage(absl::string_view bytes, size_t max_bytes = 64);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_HTTP_QUERY_H_
