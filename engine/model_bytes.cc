#include "engine/model_bytes.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tinyserve {
namespace {
constexpr size_t kAlignment = 64;
// Flatbuffers address at most 2 GiB; larger files cannot be valid models.
constexpr size_t kMaxModelBytes = size_t{1} << 31;
}  // namespace

void ModelBytes::FreeDeleter::operator()(uint8_t* p) const { std::free(p); }

std::unique_ptr<uint8_t[], ModelBytes::FreeDeleter> ModelBytes::Allocate(size_t size) {
  const size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (p == nullptr) throw std::bad_alloc();
  return std::unique_ptr<uint8_t[], FreeDeleter>(static_cast<uint8_t*>(p));
}

std::shared_ptr<const ModelBytes> ModelBytes::Copy(absl::Span<const uint8_t> bytes) {
  auto data = Allocate(bytes.size());
  if (!bytes.empty()) std::memcpy(data.get(), bytes.data(), bytes.size());
  return std::shared_ptr<const ModelBytes>(new ModelBytes(std::move(data), bytes.size()));
}

absl::StatusOr<std::shared_ptr<const ModelBytes>> ModelBytes::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open model file '", path, "': ", std::strerror(errno)));
  }
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::InvalidArgumentError(absl::StrCat("cannot size '", path, "'"));
  if (static_cast<size_t>(size) > kMaxModelBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("model file '", path, "' is ", size, " bytes; the limit is 2 GiB"));
  }
  auto data = Allocate(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(data.get()), size)) {
    return absl::DataLossError(absl::StrCat("short read on model file '", path, "'"));
  }
  return std::shared_ptr<const ModelBytes>(new ModelBytes(std::move(data), static_cast<size_t>(size)));
}

}  // namespace tinyserve
