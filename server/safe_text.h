// Text that leaves the server (responses, status messages, log lines built
// from request strings) made safe whatever went in: valid UTF-8 (protobuf
// `string` fields must hold it, or serializing the whole response fails),
// bounded (a status message travels in a header: clients refuse big ones).
#ifndef TINYSERVE_SERVER_SAFE_TEXT_H_
#define TINYSERVE_SERVER_SAFE_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace tinyserve::server {

// `text` with every ill-formed UTF-8 sequence (a byte that cannot start or
// complete a character, with the continuation bytes after it) replaced by
// U+FFFD; valid text unchanged.
std::string ValidUtf8(std::string_view text);

// Valid UTF-8 `text` cut to at most `max_bytes` bytes at a character boundary,
// ending in "…" when it was cut. `max_bytes` must be at least 3 (the "…").
std::string TruncateUtf8(std::string_view text, std::size_t max_bytes);

// A request-supplied value for an error message: at most `max_chars` bytes of
// it, non-printable and non-ASCII bytes \x-escaped, "…" when cut. Always
// short, ASCII and one line, whatever the value held.
std::string EchoValue(std::string_view value, std::size_t max_chars = 64);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_SAFE_TEXT_H_
