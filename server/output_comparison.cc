#include "server/output_comparison.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "tinyserve/v1/data_type_size.h"

namespace tinyserve::server {
namespace {

template <typename T>
T Load(const std::string& raw, size_t i) {
  T value;
  std::memcpy(&value, raw.data() + i * sizeof(T), sizeof(T));
  return value;
}

// Float32 bits on a line where adjacent floats are adjacent integers (-0 and
// +0 both at 0), so a difference of two is a distance in ULPs.
int64_t OrderedFloatBits(int32_t bits) {
  return bits >= 0 ? static_cast<int64_t>(bits)
                   : static_cast<int64_t>(std::numeric_limits<int32_t>::min()) - bits;
}

// |a - b| without overflow, saturated to int64.
int64_t AbsDiff(int64_t a, int64_t b) {
  const uint64_t d = a >= b ? static_cast<uint64_t>(a) - static_cast<uint64_t>(b)
                            : static_cast<uint64_t>(b) - static_cast<uint64_t>(a);
  return d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(d);
}

// Element i of a tensor as reported (value), and as compared (distance line).
struct Element {
  int64_t value;
  int64_t line;
};

Element ElementAt(const ComparedOutputs::Tensor& t, size_t i) {
  switch (t.dtype) {
    case v1::INT8: {
      const int64_t v = Load<int8_t>(t.raw, i);
      return {v, v};
    }
    case v1::UINT8:
    case v1::BOOL: {
      const int64_t v = Load<uint8_t>(t.raw, i);
      return {v, v};
    }
    case v1::INT16: {
      const int64_t v = Load<int16_t>(t.raw, i);
      return {v, v};
    }
    case v1::INT32: {
      const int64_t v = Load<int32_t>(t.raw, i);
      return {v, v};
    }
    case v1::INT64: {
      const int64_t v = Load<int64_t>(t.raw, i);
      return {v, v};
    }
    case v1::FLOAT32: {
      const int32_t bits = Load<int32_t>(t.raw, i);
      return {bits, OrderedFloatBits(bits)};
    }
    default:
      return {0, 0};
  }
}

}  // namespace

ComparedOutputs OutputsOf(const v1::ClassifyResponse& response) {
  ComparedOutputs outputs;
  outputs.tensors.reserve(response.outputs_size());
  for (const v1::OutputTensor& out : response.outputs()) {
    outputs.tensors.push_back({out.spec().dtype(), out.raw()});
  }
  // The pipeline ranks classes with TopK over all of output 0, so its first
  // class is the top-1 under the documented tie rule.
  if (!response.classes().empty()) outputs.top1 = response.classes(0).index();
  return outputs;
}

const char* ComparisonResultName(ComparisonResult result) {
  switch (result) {
    case ComparisonResult::kExact:
      return "exact";
    case ComparisonResult::kDiffers:
      return "differs";
    case ComparisonResult::kTop1Differs:
      return "top1_differs";
  }
  return "differs";
}

ComparisonResult ResultOf(const v1::PairComparison& comparison) {
  if (!comparison.top1_agrees()) return ComparisonResult::kTop1Differs;
  return comparison.bit_exact() ? ComparisonResult::kExact : ComparisonResult::kDiffers;
}

absl::StatusOr<v1::PairComparison> CompareOutputs(const ComparedOutputs& a,
                                                  const ComparedOutputs& b) {
  if (a.tensors.size() != b.tensors.size()) {
    return absl::InternalError(absl::StrCat("cannot compare ", a.tensors.size(),
                                            " output tensors with ", b.tensors.size()));
  }
  v1::PairComparison result;
  int64_t differing = 0;
  int64_t max_diff = 0;
  int64_t base = 0;  // index of the current tensor's first element
  for (size_t t = 0; t < a.tensors.size(); ++t) {
    const ComparedOutputs::Tensor& ta = a.tensors[t];
    const ComparedOutputs::Tensor& tb = b.tensors[t];
    const size_t size = static_cast<size_t>(DataTypeBytes(ta.dtype));
    if (ta.dtype != tb.dtype || size == 0 || ta.raw.size() != tb.raw.size() ||
        ta.raw.size() % size != 0) {
      return absl::InternalError(absl::StrCat(
          "output ", t, " cannot be compared: dtype ", v1::DataType_Name(ta.dtype), " (",
          ta.raw.size(), " bytes) vs ", v1::DataType_Name(tb.dtype), " (", tb.raw.size(),
          " bytes)"));
    }
    const size_t n = ta.raw.size() / size;
    // Equal bytes are the common case (bit-exact devices): skip the walk.
    if (ta.raw != tb.raw) {
      for (size_t i = 0; i < n; ++i) {
        if (std::memcmp(ta.raw.data() + i * size, tb.raw.data() + i * size, size) == 0) {
          continue;
        }
        const Element ea = ElementAt(ta, i);
        const Element eb = ElementAt(tb, i);
        if (differing == 0) {
          result.set_first_diff_index(base + static_cast<int64_t>(i));
          result.set_first_diff_a(ea.value);
          result.set_first_diff_b(eb.value);
        }
        ++differing;
        max_diff = std::max(max_diff, AbsDiff(ea.line, eb.line));
      }
    }
    base += static_cast<int64_t>(n);
  }
  result.set_bit_exact(differing == 0);
  result.set_differing_elements(differing);
  result.set_max_abs_diff(max_diff);
  result.set_top1_agrees(!a.top1.has_value() || !b.top1.has_value() || *a.top1 == *b.top1);
  return result;
}

}  // namespace tinyserve::server
