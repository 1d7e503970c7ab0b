// libFuzzer target: the HTTP handlers' query parsing (server/http_query.h) on
// any bytes, as civetweb hands over what follows '?'. Besides the sanitizers it
// checks what callers rely on: no exception, parameter count and sizes within
// the limits, errors whose messages are short printable ASCII (they are echoed
// in JSON), and integers only inside the range asked for.
//
//   http_query_fuzzer tests/fuzz/corpus/http_query   # seeds in the repo
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "server/http_query.h"

namespace {

using tinyserve::server::HttpQueryParameter;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckMessage(absl::string_view message) {
  Check(!message.empty() && message.size() < 400);
  for (const char c : message) Check(c >= 0x20 && c < 0x7f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view query(reinterpret_cast<const char*>(data), size);
  const auto parsed = tinyserve::server::ParseHttpQuery(query);
  if (!parsed.ok()) {
    CheckMessage(parsed.status().message());
    return 0;
  }
  Check(size <= tinyserve::server::kMaxHttpQueryBytes);
  Check(parsed->size() <= tinyserve::server::kMaxHttpQueryParameters);
  for (const HttpQueryParameter& p : *parsed) {
    // Decoding never lengthens: "%xx" and '+' each become one byte.
    Check(p.name.size() + p.value.size() <= size);
  }
  // The stats API's parameter, with its bounds (server/stats_api.h).
  const auto window = tinyserve::server::QueryIntParameter(*parsed, "window", 10, 300);
  if (!window.ok()) {
    CheckMessage(window.status().message());
  } else if (window->has_value()) {
    Check(**window >= 10 && **window <= 300);
  }
  return 0;
}
