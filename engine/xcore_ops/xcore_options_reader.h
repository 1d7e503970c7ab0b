// Typed, checked access to an XMOS operator's flexbuffer options (a map whose
// keys are short names: "k", "mp", "pv", ...). The reader verified the buffer
// at load; this class checks each key's presence and type and puts the
// operator into every error.
#ifndef TINYSERVE_ENGINE_XCORE_OPS_XCORE_OPTIONS_READER_H_
#define TINYSERVE_ENGINE_XCORE_OPS_XCORE_OPTIONS_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/kernels/kernel.h"

namespace tinyserve {

class XcoreOptionsReader {
 public:
  // The options of ctx.op() (an XMOS operator); an op without options reads
  // as an empty map.
  explicit XcoreOptionsReader(const PrepareContext& ctx);

  bool Has(const std::string& key) const;
  // An integer (signed or unsigned flexbuffer int) in [min, max].
  absl::StatusOr<int64_t> Int(const std::string& key, int64_t min, int64_t max) const;
  absl::StatusOr<bool> Bool(const std::string& key) const;
  // The bytes of a blob or a string value (xcore-opt stores packed C structs
  // in either).
  absl::StatusOr<absl::Span<const uint8_t>> Bytes(const std::string& key) const;
  // A vector whose elements are blobs or strings.
  absl::StatusOr<std::vector<absl::Span<const uint8_t>>> BytesVector(const std::string& key) const;
  // A vector of integers.
  absl::StatusOr<std::vector<int64_t>> IntVector(const std::string& key) const;

  // "model 'm': subgraph 0: operator #3 XC_conv2d_v2: option 'k': <message>"
  absl::Status Invalid(const std::string& key, const std::string& message) const;

 private:
  const PrepareContext& ctx_;
  absl::Span<const uint8_t> buffer_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_XCORE_OPS_XCORE_OPTIONS_READER_H_
