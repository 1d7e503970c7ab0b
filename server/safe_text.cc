#include "server/safe_text.h"

#include "absl/strings/escaping.h"
#include "server/text_checks.h"

namespace tinyserve::server {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026 "…"

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  while (true) {
    const std::optional<std::size_t> bad = FirstInvalidUtf8Offset(text);
    if (!bad.has_value()) {
      if (out.empty()) return std::string(text);
      out.append(text);
      return out;
    }
    out.append(text.substr(0, *bad));
    out.append(kReplacement);
    // The bad byte and the (at most 3) continuation bytes after it, which
    // cannot start a character either, become one U+FFFD.
    std::size_t skip = 1;
    while (*bad + skip < text.size() && skip < 4 &&
           IsContinuation(static_cast<unsigned char>(text[*bad + skip]))) {
      ++skip;
    }
    text.remove_prefix(*bad + skip);
  }
}

std::string TruncateUtf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t cut = max_bytes >= kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  // Back up to a character boundary (never inside a multi-byte sequence).
  while (cut > 0 && IsContinuation(static_cast<unsigned char>(text[cut]))) --cut;
  std::string out(text.substr(0, cut));
  out.append(kEllipsis);
  return out;
}

std::string EchoValue(std::string_view value, std::size_t max_chars) {
  const bool cut = value.size() > max_chars;
  const std::string_view shown = value.substr(0, cut ? max_chars : value.size());
  std::string out = absl::CHexEscape(absl::string_view(shown.data(), shown.size()));
  if (cut) out.append(kEllipsis);
  return out;
}

}  // namespace tinyserve::server
