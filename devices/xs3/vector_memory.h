// Emulation helper: a 32-byte VPU load from activation memory.
//
// The chip reads whole 32-byte vectors and kernels rely on that (bytes past
// the data meet zero weights). On the host a vector that runs past the end of
// its tensor could leave the arena, so such a load is served from a
// zero-padded copy. This is an emulation detail, not chip work: it costs no
// issue slots.
#ifndef TINYSERVE_DEVICES_XS3_VECTOR_MEMORY_H_
#define TINYSERVE_DEVICES_XS3_VECTOR_MEMORY_H_

#include <cstdint>
#include <cstring>

#include "devices/xs3/weight_layout.h"

namespace tinyserve::xs3 {

inline const uint8_t* LoadableVector(const void* p, const void* end, Vector32& spill) {
  const auto* bytes = static_cast<const uint8_t*>(p);
  const auto* limit = static_cast<const uint8_t*>(end);
  if (bytes + 32 <= limit) return bytes;
  std::memset(spill.bytes, 0, sizeof(spill.bytes));
  if (bytes < limit) std::memcpy(spill.bytes, bytes, static_cast<size_t>(limit - bytes));
  return spill.bytes;
}

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_VECTOR_MEMORY_H_
