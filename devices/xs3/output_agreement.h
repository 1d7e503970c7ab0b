// How closely one tensor's values match another's: the figures xs3 fidelity
// is reported in (identical elements, largest difference in LSBs, top-1).
#ifndef TINYSERVE_DEVICES_XS3_OUTPUT_AGREEMENT_H_
#define TINYSERVE_DEVICES_XS3_OUTPUT_AGREEMENT_H_

#include <cstdint>

#include "absl/types/span.h"
#include "engine/model.h"

namespace tinyserve::xs3 {

// Accumulated over any number of tensor pairs.
struct Agreement {
  int64_t elements = 0;
  int64_t identical = 0;
  // Largest |got - want| in units of the tensor type's last bit (for float32,
  // the absolute difference).
  double max_abs_diff = 0.0;

  // `got` and `want` hold the same number of `type` elements.
  void Add(DataType type, absl::Span<const uint8_t> got, absl::Span<const uint8_t> want);
  void Merge(const Agreement& other);
  // 1 when nothing was compared.
  double identical_fraction() const;
};

// Top-1 agreement over classifier outputs.
struct Top1Agreement {
  int64_t compared = 0;
  int64_t agreed = 0;
};

// A classifier's scores: int8 or uint8, 2 to 100 elements (a regression has
// one output, an autoencoder hundreds).
bool HasTopClass(const TensorInfo& output);

// True when `got`'s top class is one of `want`'s top classes (ties count).
// `type` is int8 or uint8.
bool TopClassAgrees(DataType type, absl::Span<const uint8_t> got, absl::Span<const uint8_t> want);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_OUTPUT_AGREEMENT_H_
