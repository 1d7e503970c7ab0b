// Checks on text that enters the server from outside (requests, repository
// files) before anything stores, echoes or serializes it: protobuf `string`
// fields must hold valid UTF-8, or serializing the whole response fails.
// Engine-free, so request and repository code (and fuzzers) can share it.
#ifndef TINYSERVE_SERVER_TEXT_CHECKS_H_
#define TINYSERVE_SERVER_TEXT_CHECKS_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace tinyserve::server {

// True if `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool IsValidUtf8(std::string_view text);

// Byte offset of the first byte that starts an ill-formed sequence, or
// nullopt if `text` is valid UTF-8 (lets error messages say where).
std::optional<std::size_t> FirstInvalidUtf8Offset(std::string_view text);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_TEXT_CHECKS_H_
