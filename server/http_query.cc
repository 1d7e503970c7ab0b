#include "server/http_query.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tinyserve::server {
namespace {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: %XX is one byte, '+' a space.
absl::StatusOr<std::string> PercentDecode(absl::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      decoded.push_back(' ');
    } else if (c != '%') {
      decoded.push_back(c);
    } else {
      const int high = i + 1 < text.size() ? HexDigitValue(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? HexDigitValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "malformed percent-escape in query at '", EscapedForMessage(text.substr(i), 8), "'"));
      }
      decoded.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return decoded;
}

}  // namespace

std::string EscapedForMessage(absl::string_view bytes, size_t max_bytes) {
  std::string out;
  const absl::string_view shown = bytes.substr(0, max_bytes);
  for (const char c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", byte);
    }
  }
  if (shown.size() < bytes.size()) out += "...";
  return out;
}

absl::StatusOr<std::vector<HttpQueryParameter>> ParseHttpQuery(absl::string_view query) {
  if (query.size() > kMaxHttpQueryBytes) {
    return absl::InvalidArgumentError(absl::StrCat("query string of ", query.size(),
                                                   " bytes is over the limit of ",
                                                   kMaxHttpQueryBytes));
  }
  std::vector<HttpQueryParameter> parameters;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const absl::string_view part = query.substr(0, amp);
    query = amp == absl::string_view::npos ? absl::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    if (parameters.size() == kMaxHttpQueryParameters) {
      return absl::InvalidArgumentError(
          absl::StrCat("query has more than ", kMaxHttpQueryParameters, " parameters"));
    }
    const size_t eq = part.find('=');
    HttpQueryParameter parameter;
    absl::StatusOr<std::string> name = PercentDecode(part.substr(0, eq));
    if (!name.ok()) return name.status();
    parameter.name = *std::move(name);
    if (eq != absl::string_view::npos) {
      absl::StatusOr<std::string> value = PercentDecode(part.substr(eq + 1));
      if (!value.ok()) return value.status();
      parameter.value = *std::move(value);
    }
    parameters.push_back(std::move(parameter));
  }
  return parameters;
}

absl::StatusOr<std::optional<int>> QueryIntParameter(
    const std::vector<HttpQueryParameter>& parameters, absl::string_view name, int min, int max) {
  std::optional<int> result;
  for (const HttpQueryParameter& parameter : parameters) {
    if (parameter.name != name) continue;
    if (result.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter ", name, " is given more than once"));
    }
    int value = 0;
    if (!absl::SimpleAtoi(parameter.value, &value) || value < min || value > max) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, " must be an integer in [", min, ", ", max, "], got '",
          EscapedForMessage(parameter.value), "'"));
    }
    result = value;
  }
  return result;
}

}  // namespace tinyserve::server
