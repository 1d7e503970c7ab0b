#include "devices/xs3/output_agreement.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tinyserve::xs3 {
namespace {

template <typename T>
T Element(absl::Span<const uint8_t> bytes, size_t i) {
  T v;
  std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

template <typename T>
void AddTyped(absl::Span<const uint8_t> got, absl::Span<const uint8_t> want, Agreement& a) {
  const size_t n = std::min(got.size(), want.size()) / sizeof(T);
  for (size_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(Element<T>(got, i)) -
                               static_cast<double>(Element<T>(want, i)));
    a.identical += d == 0.0;
    a.max_abs_diff = std::max(a.max_abs_diff, d);
  }
  a.elements += static_cast<int64_t>(n);
}

// Score of element i as a number (int8 or uint8).
int Score(DataType type, absl::Span<const uint8_t> bytes, size_t i) {
  return type == DataType::kInt8 ? static_cast<int8_t>(bytes[i]) : bytes[i];
}

size_t ArgMax(DataType type, absl::Span<const uint8_t> bytes) {
  size_t best = 0;
  for (size_t i = 1; i < bytes.size(); ++i) {
    if (Score(type, bytes, i) > Score(type, bytes, best)) best = i;
  }
  return best;
}

}  // namespace

void Agreement::Add(DataType type, absl::Span<const uint8_t> got,
                    absl::Span<const uint8_t> want) {
  switch (type) {
    case DataType::kInt8: return AddTyped<int8_t>(got, want, *this);
    case DataType::kUInt8:
    case DataType::kBool: return AddTyped<uint8_t>(got, want, *this);
    case DataType::kInt16: return AddTyped<int16_t>(got, want, *this);
    case DataType::kInt32: return AddTyped<int32_t>(got, want, *this);
    case DataType::kInt64: return AddTyped<int64_t>(got, want, *this);
    case DataType::kFloat32: return AddTyped<float>(got, want, *this);
  }
}

void Agreement::Merge(const Agreement& other) {
  elements += other.elements;
  identical += other.identical;
  max_abs_diff = std::max(max_abs_diff, other.max_abs_diff);
}

double Agreement::identical_fraction() const {
  return elements == 0 ? 1.0 : static_cast<double>(identical) / static_cast<double>(elements);
}

bool HasTopClass(const TensorInfo& output) {
  const int64_t n = output.num_elements();
  return (output.type == DataType::kInt8 || output.type == DataType::kUInt8) && n >= 2 &&
         n <= 100;
}

bool TopClassAgrees(DataType type, absl::Span<const uint8_t> got,
                    absl::Span<const uint8_t> want) {
  if (got.empty() || got.size() != want.size()) return false;
  return Score(type, want, ArgMax(type, got)) == Score(type, want, ArgMax(type, want));
}

}  // namespace tinyserve::xs3
