// Owned, aligned bytes of a model file. Constant tensors point into it, so it
// lives as long as the Model that reads it.
#ifndef TINYSERVE_ENGINE_MODEL_BYTES_H_
#define TINYSERVE_ENGINE_MODEL_BYTES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tinyserve {

class ModelBytes {
 public:
  // Copies `bytes` into storage aligned for any tensor element type.
  static std::shared_ptr<const ModelBytes> Copy(absl::Span<const uint8_t> bytes);
  static absl::StatusOr<std::shared_ptr<const ModelBytes>> ReadFile(const std::string& path);

  absl::Span<const uint8_t> span() const { return {data_.get(), size_}; }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct FreeDeleter {
    void operator()(uint8_t* p) const;
  };
  ModelBytes(std::unique_ptr<uint8_t[], FreeDeleter> data, size_t size)
      : data_(std::move(data)), size_(size) {}
  static std::unique_ptr<uint8_t[], FreeDeleter> Allocate(size_t size);

  std::unique_ptr<uint8_t[], FreeDeleter> data_;
  size_t size_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_MODEL_BYTES_H_
