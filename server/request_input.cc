#include "server/request_input.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/quant/tensor_quantization.h"

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

std::string LabelOf(const InputTensorView& view) {
  if (!view.label.empty()) return view.label;
  return absl::StrCat("input '", view.name, "'");
}

std::string Describe(const TensorInfo& tensor) {
  return absl::StrCat(DataTypeName(tensor.type), "[", absl::StrJoin(tensor.shape, ","), "]");
}

// The quantization figures of one float input.
struct FloatFigures {
  int64_t clipped = 0;
  int64_t non_finite = 0;
  std::optional<double> sqnr_db;
};

// Quantizes float input whose non-finite values are counted in `found`: the
// finite ones as QuantizeInput does (so SQNR and clipped cover only them),
// NaN to the zero point, +-Inf to the rails.
absl::StatusOr<FloatFigures> QuantizeWithNonFinite(const TensorInfo& tensor,
                                                   absl::Span<const float> all,
                                                   const NonFiniteValues& found,
                                                   std::vector<uint8_t>& bytes) {
  FloatFigures figures;
  if (found.count == 0) {
    auto report = QuantizeInput(tensor, all, absl::MakeSpan(bytes));
    if (!report.ok()) return report.status();
    figures.clipped = report->clipped;
    figures.sqnr_db = report->sqnr_db;
    return figures;
  }
  // Zero quantizes exactly to the zero point and adds nothing to signal or noise.
  std::vector<float> finite(all.begin(), all.end());
  for (float& x : finite) {
    if (!std::isfinite(x)) x = 0.0f;
  }
  auto report = QuantizeInput(tensor, finite, absl::MakeSpan(bytes));
  if (!report.ok()) return report.status();
  for (size_t i = 0; i < all.size(); ++i) {
    if (std::isinf(all[i])) {
      StoreQuantized(tensor.type, all[i] > 0 ? DataTypeMax(tensor.type) : DataTypeMin(tensor.type),
                     i, bytes);
    }
  }
  figures.clipped = report->clipped;
  figures.non_finite = found.count;
  // No finite value: no signal to measure the noise against.
  if (found.count < static_cast<int64_t>(all.size())) figures.sqnr_db = report->sqnr_db;
  return figures;
}

// One model input from its view, into `prepared`.
absl::Status PrepareOne(const Model& model, const TensorInfo& tensor, const InputTensorView& view,
                        NonFinitePolicy non_finite, std::vector<uint8_t>& bytes,
                        PreparedInput& prepared) {
  const std::string label = LabelOf(view);
  if (view.shape.has_value()) {
    const std::vector<int64_t> expected(tensor.shape.begin(), tensor.shape.end());
    if (*view.shape != expected) {
      return absl::InvalidArgumentError(absl::StrCat(
          label, " has shape [", absl::StrJoin(*view.shape, ","), "]; model '", model.name(),
          "' input '", tensor.name, "' is ", Describe(tensor)));
    }
  }
  bytes.resize(tensor.bytes);
  if (!view.is_float) {
    if (view.raw.size() != tensor.bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          label, " has ", view.raw.size(), " bytes; model '", model.name(), "' input '",
          tensor.name, "' is ", Describe(tensor), " = ", tensor.bytes, " bytes"));
    }
    std::copy(view.raw.begin(), view.raw.end(), bytes.begin());
    return absl::OkStatus();
  }
  if (static_cast<int64_t>(view.values.size()) != tensor.num_elements()) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, " has ", view.values.size(), " values; model '", model.name(), "' input '",
        tensor.name, "' is ", Describe(tensor), " = ", tensor.num_elements(), " values"));
  }
  const NonFiniteValues found = FindNonFinite(view.values);
  if (found.count > 0 && non_finite != NonFinitePolicy::kQuantize) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, "[", found.first_index, "] is ", found.first_value, " (", found.count, " of ",
        view.values.size(),
        " values are NaN or infinite; to quantize them anyway set non_finite: "
        "NON_FINITE_QUANTIZE)"));
  }
  auto figures = QuantizeWithNonFinite(tensor, view.values, found, bytes);
  if (!figures.ok()) return figures.status();
  prepared.float_input = true;
  prepared.clipped += figures->clipped;
  prepared.non_finite += figures->non_finite;
  if (figures->sqnr_db &&
      (!prepared.input_sqnr_db || *figures->sqnr_db < *prepared.input_sqnr_db)) {
    prepared.input_sqnr_db = figures->sqnr_db;
  }
  return absl::OkStatus();
}

}  // namespace

NonFiniteValues FindNonFinite(absl::Span<const float> values) {
  NonFiniteValues found;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) continue;
    if (found.count++ == 0) {
      found.first_index = static_cast<int64_t>(i);
      found.first_value = values[i];
    }
  }
  return found;
}

int64_t NonFiniteCount(absl::Span<const InputTensorView> inputs) {
  int64_t count = 0;
  for (const InputTensorView& view : inputs) {
    if (view.is_float) count += FindNonFinite(view.values).count;
  }
  return count;
}

absl::StatusOr<PreparedInput> PrepareInputs(const Model& model,
                                            absl::Span<const InputTensorView> inputs,
                                            NonFinitePolicy non_finite) {
  const auto start = std::chrono::steady_clock::now();
  const int n = model.num_inputs();
  // Which view feeds each model input.
  std::vector<const InputTensorView*> feeds(static_cast<size_t>(n), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputTensorView& view = inputs[i];
    int index = -1;
    if (view.name.empty()) {
      if (i >= static_cast<size_t>(n)) {
        return absl::InvalidArgumentError(absl::StrCat("the request has ", inputs.size(),
                                                       " inputs; model '", model.name(),
                                                       "' has ", n));
      }
      index = static_cast<int>(i);
    } else {
      for (int j = 0; j < n; ++j) {
        if (model.input(j).name == view.name) index = j;
      }
      if (index < 0) {
        std::vector<std::string> names;
        for (int j = 0; j < n; ++j) names.push_back(absl::StrCat("'", model.input(j).name, "'"));
        return absl::InvalidArgumentError(absl::StrCat("model '", model.name(),
                                                       "' has no input '", view.name,
                                                       "' (its inputs: ",
                                                       absl::StrJoin(names, ", "), ")"));
      }
    }
    if (feeds[static_cast<size_t>(index)] != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("model '", model.name(), "' input '",
                                                     model.input(index).name,
                                                     "' is given twice"));
    }
    feeds[static_cast<size_t>(index)] = &view;
  }
  PreparedInput prepared;
  prepared.tensors.resize(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) {
    const InputTensorView* view = feeds[static_cast<size_t>(j)];
    if (view == nullptr) {
      if (inputs.empty()) {
        return absl::InvalidArgumentError("the request carries no input");
      }
      return absl::InvalidArgumentError(absl::StrCat("model '", model.name(), "' input '",
                                                     model.input(j).name, "' (",
                                                     Describe(model.input(j)),
                                                     ") is missing from the request"));
    }
    if (absl::Status s = PrepareOne(model, model.input(j), *view, non_finite,
                                    prepared.tensors[static_cast<size_t>(j)], prepared);
        !s.ok()) {
      return s;
    }
  }
  prepared.quantize_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return prepared;
}

}  // namespace tinyserve::server
