#include "clients/tinyserve_cli/npy_reader.h"

#include <cstring>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tinyserve::cli {

absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes) {
  constexpr char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0) {
    return absl::InvalidArgumentError("not a .npy file (missing \\x93NUMPY magic)");
  }
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return absl::InvalidArgumentError(".npy header truncated");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(".npy format version ", major, " is not supported"));
  }
  if (bytes.size() < offset + header_len) return absl::InvalidArgumentError(".npy header truncated");
  const std::string header = bytes.substr(offset, header_len);

  std::smatch m;
  NpyArray array;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([<>|=])([a-z]\d+)')"))) {
    return absl::InvalidArgumentError(".npy header has no 'descr'");
  }
  if (m[1] == ">") return absl::InvalidArgumentError("big-endian .npy arrays are not supported");
  array.dtype = m[2];
  if (std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*True)"))) {
    return absl::InvalidArgumentError("Fortran-order .npy arrays are not supported");
  }
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) {
    return absl::InvalidArgumentError(".npy header has no 'shape'");
  }
  int64_t count = 1;
  for (absl::string_view part : absl::StrSplit(std::string(m[1]), ',', absl::SkipWhitespace())) {
    int64_t dim = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &dim) || dim < 0) {
      return absl::InvalidArgumentError(absl::StrCat(".npy shape has a bad dimension '", part, "'"));
    }
    array.shape.push_back(dim);
    count *= dim;
  }
  int64_t item = 0;
  if (!absl::SimpleAtoi(absl::string_view(array.dtype).substr(1), &item) || item <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(".npy dtype '", array.dtype, "' is not supported"));
  }
  const size_t data_offset = offset + header_len;
  if (bytes.size() - data_offset != static_cast<size_t>(count * item)) {
    return absl::InvalidArgumentError(absl::StrCat(".npy holds ", bytes.size() - data_offset,
                                                   " data bytes, its header says ", count * item));
  }
  array.data = bytes.substr(data_offset);
  return array;
}

}  // namespace tinyserve::cli
