#include "engine/xcore_ops/xcore_options_reader.h"

#include <variant>

#include "absl/strings/str_cat.h"
#include "flatbuffers/flexbuffers.h"

namespace tinyserve {
namespace {

// The bytes of a blob or string reference (xcore-opt uses both for packed
// structs); false for any other type.
bool RawBytes(const flexbuffers::Reference& r, absl::Span<const uint8_t>* out) {
  if (r.IsBlob()) {
    const flexbuffers::Blob blob = r.AsBlob();
    *out = absl::MakeConstSpan(blob.data(), blob.size());
    return true;
  }
  if (r.IsString()) {
    const flexbuffers::String s = r.AsString();
    *out = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.c_str()), s.size());
    return true;
  }
  return false;
}

}  // namespace

XcoreOptionsReader::XcoreOptionsReader(const PrepareContext& ctx) : ctx_(ctx) {
  if (const auto* options = std::get_if<XcoreOptions>(&ctx.op().options)) {
    buffer_ = options->flexbuffer;
  }
}

absl::Status XcoreOptionsReader::Invalid(const std::string& key,
                                         const std::string& message) const {
  return ctx_.Invalid(absl::StrCat("option '", key, "': ", message));
}

bool XcoreOptionsReader::Has(const std::string& key) const {
  if (buffer_.empty()) return false;
  return !flexbuffers::GetRoot(buffer_.data(), buffer_.size()).AsMap()[key.c_str()].IsNull();
}

absl::StatusOr<int64_t> XcoreOptionsReader::Int(const std::string& key, int64_t min,
                                                int64_t max) const {
  if (!Has(key)) return Invalid(key, "missing");
  const auto r = flexbuffers::GetRoot(buffer_.data(), buffer_.size()).AsMap()[key.c_str()];
  if (!r.IsIntOrUint() && !r.IsBool()) return Invalid(key, "not an integer");
  if (r.IsUInt() && r.AsUInt64() > static_cast<uint64_t>(INT64_MAX)) {
    return Invalid(key, "out of range");
  }
  const int64_t value = r.IsUInt() ? static_cast<int64_t>(r.AsUInt64()) : r.AsInt64();
  if (value < min || value > max) {
    return Invalid(key, absl::StrCat(value, " is outside [", min, ", ", max, "]"));
  }
  return value;
}

absl::StatusOr<bool> XcoreOptionsReader::Bool(const std::string& key) const {
  if (!Has(key)) return Invalid(key, "missing");
  const auto r = flexbuffers::GetRoot(buffer_.data(), buffer_.size()).AsMap()[key.c_str()];
  if (!r.IsBool() && !r.IsIntOrUint()) return Invalid(key, "not a boolean");
  return r.AsBool();
}

absl::StatusOr<absl::Span<const uint8_t>> XcoreOptionsReader::Bytes(const std::string& key) const {
  if (!Has(key)) return Invalid(key, "missing");
  const auto r = flexbuffers::GetRoot(buffer_.data(), buffer_.size()).AsMap()[key.c_str()];
  absl::Span<const uint8_t> bytes;
  if (!RawBytes(r, &bytes)) return Invalid(key, "not a blob or string");
  return bytes;
}

absl::StatusOr<std::vector<absl::Span<const uint8_t>>> XcoreOptionsReader::BytesVector(
    const std::string& key) const {
  if (!Has(key)) return Invalid(key, "missing");
  const auto r = flexbuffers::GetRoot(buffer_.data(), buffer_.size()).AsMap()[key.c_str()];
  if (!r.IsVector()) return Invalid(key, "not a vector");
  const flexbuffers::Vector v = r.AsVector();
  std::vector<absl::Span<const uint8_t>> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!RawBytes(v[i], &out[i])) {
      return Invalid(key, absl::StrCat("element ", i, " is not a blob or string"));
    }
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> XcoreOptionsReader::IntVector(const std::string& key) const {
  if (!Has(key)) return Invalid(key, "missing");
  const auto r = flexbuffers::GetRoot(buffer_.data(), buffer_.size()).AsMap()[key.c_str()];
  if (!r.IsAnyVector()) return Invalid(key, "not a vector");
  std::vector<int64_t> out;
  if (r.IsVector()) {
    const flexbuffers::Vector v = r.AsVector();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsIntOrUint()) return Invalid(key, absl::StrCat("element ", i, " is not an integer"));
      out.push_back(v[i].AsInt64());
    }
    return out;
  }
  const flexbuffers::TypedVector v = r.AsTypedVector();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].IsIntOrUint()) return Invalid(key, absl::StrCat("element ", i, " is not an integer"));
    out.push_back(v[i].AsInt64());
  }
  return out;
}

}  // namespace tinyserve
