#include "server/request_input.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tinyserve::server {
namespace {

// Stores the integer `q` as element `i` of a tensor of `type` (int8, uint8, int16).
void StoreQuantized(DataType type, int32_t q, size_t i, std::vector<uint8_t>& bytes) {
  switch (type) {
    case DataType::kInt8: bytes[i] = static_cast<uint8_t>(static_cast<int8_t>(q)); break;
    case DataType::kUInt8: bytes[i] = static_cast<uint8_t>(q); break;
    default: {
      const auto v = static_cast<int16_t>(q);
      std::memcpy(bytes.data() + 2 * i, &v, 2);
    }
  }
}

// Quantizes float input whose non-finite values are counted in `found`: the
// finite ones as QuantizeInput does (so SQNR and clipped cover only them),
// NaN to the zero point, +-Inf to the rails.
absl::Status QuantizeWithNonFinite(const TensorInfo& tensor,
                                   const google::protobuf::RepeatedField<float>& values,
                                   const NonFiniteValues& found, PreparedInput& prepared) {
  const absl::Span<const float> all(values.data(), values.size());
  if (found.count == 0) {
    auto report = QuantizeInput(tensor, all, absl::MakeSpan(prepared.bytes));
    if (!report.ok()) return report.status();
    prepared.quantization = *report;
    prepared.input_sqnr_db = report->sqnr_db;
    return absl::OkStatus();
  }
  // Zero quantizes exactly to the zero point and adds nothing to signal or noise.
  std::vector<float> finite(all.begin(), all.end());
  for (float& x : finite) {
    if (!std::isfinite(x)) x = 0.0f;
  }
  auto report = QuantizeInput(tensor, finite, absl::MakeSpan(prepared.bytes));
  if (!report.ok()) return report.status();
  for (size_t i = 0; i < all.size(); ++i) {
    if (std::isinf(all[i])) {
      StoreQuantized(tensor.type, all[i] > 0 ? DataTypeMax(tensor.type) : DataTypeMin(tensor.type),
                     i, prepared.bytes);
    }
  }
  prepared.quantization = *report;
  prepared.non_finite = found.count;
  // No finite value: no signal to measure the noise against.
  if (found.count < values.size()) prepared.input_sqnr_db = report->sqnr_db;
  return absl::OkStatus();
}

}  // namespace

NonFiniteValues FindNonFinite(const google::protobuf::RepeatedField<float>& values) {
  NonFiniteValues found;
  for (int i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) continue;
    if (found.count++ == 0) {
      found.first_index = i;
      found.first_value = values[i];
    }
  }
  return found;
}

absl::StatusOr<PreparedInput> PrepareInput(const Model& model, const std::string* raw,
                                           const google::protobuf::RepeatedField<float>* values,
                                           v1::NonFinitePolicy non_finite) {
  const auto start = std::chrono::steady_clock::now();
  if (model.num_inputs() != 1) {
    return absl::UnimplementedError(absl::StrCat("model '", model.name(), "' has ",
                                                 model.num_inputs(),
                                                 " inputs; only single-input models are served"));
  }
  const TensorInfo& tensor = model.input(0);
  const std::string expected = absl::StrCat(DataTypeName(tensor.type), "[",
                                            absl::StrJoin(tensor.shape, ","), "]");
  PreparedInput prepared;
  prepared.bytes.resize(tensor.bytes);
  if (raw != nullptr) {
    if (raw->size() != tensor.bytes) {
      return absl::InvalidArgumentError(absl::StrCat("raw_input has ", raw->size(),
                                                     " bytes; model '", model.name(),
                                                     "' input '", tensor.name, "' is ",
                                                     expected, " = ", tensor.bytes, " bytes"));
    }
    std::copy(raw->begin(), raw->end(), prepared.bytes.begin());
  } else if (values != nullptr) {
    if (values->size() != tensor.num_elements()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "float_input has ", values->size(), " values; model '", model.name(), "' input '",
          tensor.name, "' is ", expected, " = ", tensor.num_elements(), " values"));
    }
    const NonFiniteValues found = FindNonFinite(*values);
    if (found.count > 0 && non_finite != v1::NON_FINITE_QUANTIZE) {
      return absl::InvalidArgumentError(absl::StrCat(
          "float_input[", found.first_index, "] is ", found.first_value, " (", found.count,
          " of ", values->size(),
          " values are NaN or infinite; to quantize them anyway set non_finite: "
          "NON_FINITE_QUANTIZE)"));
    }
    if (absl::Status s = QuantizeWithNonFinite(tensor, *values, found, prepared); !s.ok()) {
      return s;
    }
  } else {
    return absl::InvalidArgumentError(
        "the request carries no input (set raw_input or float_input)");
  }
  prepared.quantize_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return prepared;
}

}  // namespace tinyserve::server
