#include "server/output_comparison.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tinyserve::server {
namespace {

template <typename T>
T Load(const std::vector<uint8_t>& raw, size_t i) {
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
    case DataType::kInt8: {
      const int64_t v = Load<int8_t>(t.raw, i);
      return {v, v};
    }
    case DataType::kUInt8:
    case DataType::kBool: {
      const int64_t v = Load<uint8_t>(t.raw, i);
      return {v, v};
    }
    case DataType::kInt16: {
      const int64_t v = Load<int16_t>(t.raw, i);
      return {v, v};
    }
    case DataType::kInt32: {
      const int64_t v = Load<int32_t>(t.raw, i);
      return {v, v};
    }
    case DataType::kInt64: {
      const int64_t v = Load<int64_t>(t.raw, i);
      return {v, v};
    }
    case DataType::kFloat32: {
      const int32_t bits = Load<int32_t>(t.raw, i);
      return {bits, OrderedFloatBits(bits)};
    }
    default:
      return {0, 0};
  }
}

}  // namespace

ComparedOutputs OutputsOf(const InferResult& result) {
  ComparedOutputs outputs;
  outputs.tensors.reserve(result.outputs.size());
  for (const OutputTensorResult& out : result.outputs) {
    outputs.tensors.push_back({out.info.type, out.raw});
  }
  // The pipeline ranks classes with TopK over all of output 0, so its first
  // class is the top-1 under the documented tie rule.
  if (!result.classes.empty()) outputs.top1 = result.classes.front().index;
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

ComparisonResult ResultOf(const PairDifference& comparison) {
  if (!comparison.top1_agrees) return ComparisonResult::kTop1Differs;
  return comparison.bit_exact ? ComparisonResult::kExact : ComparisonResult::kDiffers;
}

absl::StatusOr<PairDifference> CompareOutputs(const ComparedOutputs& a,
                                              const ComparedOutputs& b) {
  if (a.tensors.size() != b.tensors.size()) {
    return absl::InternalError(absl::StrCat("cannot compare ", a.tensors.size(),
                                            " output tensors with ", b.tensors.size()));
  }
  PairDifference result;
  int64_t differing = 0;
  int64_t max_diff = 0;
  int64_t base = 0;  // index of the current tensor's first element
  for (size_t t = 0; t < a.tensors.size(); ++t) {
    const ComparedOutputs::Tensor& ta = a.tensors[t];
    const ComparedOutputs::Tensor& tb = b.tensors[t];
    const size_t size = DataTypeSize(ta.dtype);
    if (ta.dtype != tb.dtype || size == 0 || ta.raw.size() != tb.raw.size() ||
        ta.raw.size() % size != 0) {
      return absl::InternalError(absl::StrCat(
          "output ", t, " cannot be compared: dtype ", DataTypeName(ta.dtype), " (",
          ta.raw.size(), " bytes) vs ", DataTypeName(tb.dtype), " (", tb.raw.size(),
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
          result.first_diff_index = base + static_cast<int64_t>(i);
          result.first_diff_a = ea.value;
          result.first_diff_b = eb.value;
        }
        ++differing;
        max_diff = std::max(max_diff, AbsDiff(ea.line, eb.line));
      }
    }
    base += static_cast<int64_t>(n);
  }
  result.bit_exact = differing == 0;
  result.differing_elements = differing;
  result.max_abs_diff = max_diff;
  result.top1_agrees = !a.top1.has_value() || !b.top1.has_value() || *a.top1 == *b.top1;
  return result;
}

}  // namespace tinyserve::server
