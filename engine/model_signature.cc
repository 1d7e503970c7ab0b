#include "engine/model_signature.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/model_bytes.h"
#include "engine/tflite_reader.h"
#include "engine/tflite_subset_generated.h"
#include "engine/util/status_macros.h"
#include "flatbuffers/flatbuffers.h"

namespace tinyserve {
namespace {

absl::StatusOr<TensorSignature> ReadTensor(const tflite::SubGraph& subgraph, int32_t index,
                                           const std::string& where) {
  const auto* tensors = subgraph.tensors();
  if (tensors == nullptr || index < 0 || static_cast<uint32_t>(index) >= tensors->size()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": tensor index ", index,
                                                   " out of range (",
                                                   tensors == nullptr ? 0 : tensors->size(),
                                                   " tensors)"));
  }
  const tflite::Tensor* t = tensors->Get(static_cast<uint32_t>(index));
  TensorSignature sig;
  sig.name = t->name() != nullptr ? t->name()->str() : std::string();
  const auto type = DataTypeFromTflite(t->type());
  if (!type.has_value()) {
    return absl::UnimplementedError(absl::StrCat(where, " '", sig.name, "': tensor type ",
                                                 TfliteTypeName(t->type()),
                                                 " is not supported"));
  }
  sig.type = *type;
  int64_t elements = 1;
  if (t->shape() != nullptr) {
    if (t->shape()->size() > static_cast<uint32_t>(kMaxTensorRank)) {
      return absl::InvalidArgumentError(absl::StrCat(where, " '", sig.name, "': rank ",
                                                     t->shape()->size(), " exceeds the limit of ",
                                                     kMaxTensorRank));
    }
    for (int32_t d : *t->shape()) {
      if (d <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " '", sig.name, "': dimension ", d, " (must be positive)"));
      }
      sig.shape.push_back(d);
      elements *= d;
      if (elements * static_cast<int64_t>(DataTypeSize(sig.type)) > kMaxTensorBytes) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " '", sig.name, "': more than ", kMaxTensorBytes, " bytes"));
      }
    }
  }
  sig.bytes = static_cast<size_t>(elements) * DataTypeSize(sig.type);
  if (const tflite::QuantizationParameters* q = t->quantization()) {
    if (q->scale() != nullptr) sig.scales.assign(q->scale()->begin(), q->scale()->end());
    if (q->zero_point() != nullptr) {
      // A hand-made file can misalign the 8-byte elements (see tflite_reader).
      if (reinterpret_cast<uintptr_t>(q->zero_point()->data()) % alignof(int64_t) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, " '", sig.name, "': the zero_point vector is not 8-byte aligned"));
      }
      sig.zero_points.assign(q->zero_point()->begin(), q->zero_point()->end());
    }
    if (sig.scales.empty()) sig.zero_points.clear();  // not quantized, as the engine reads it
  }
  return sig;
}

absl::Status ReadList(const tflite::SubGraph& subgraph, const flatbuffers::Vector<int32_t>* list,
                      const std::string& where, std::vector<TensorSignature>& out) {
  if (list == nullptr || list->size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": none declared"));
  }
  for (uint32_t i = 0; i < list->size(); ++i) {
    TS_ASSIGN_OR_RETURN(TensorSignature sig,
                        ReadTensor(subgraph, list->Get(i), absl::StrCat(where, " ", i)));
    out.push_back(std::move(sig));
  }
  return absl::OkStatus();
}

std::string FirstDifference(const TensorSignature& a, const TensorSignature& b) {
  if (a.type != b.type || a.shape != b.shape) {
    return absl::StrCat(DataTypeName(a.type), "[", absl::StrJoin(a.shape, ","), "] vs ",
                        DataTypeName(b.type), "[", absl::StrJoin(b.shape, ","), "]");
  }
  if (a.scales != b.scales || a.zero_points != b.zero_points) {
    return absl::StrCat("quantization scale ", absl::StrJoin(a.scales, ","), " zero point ",
                        absl::StrJoin(a.zero_points, ","), " vs scale ",
                        absl::StrJoin(b.scales, ","), " zero point ",
                        absl::StrJoin(b.zero_points, ","));
  }
  return "";
}

}  // namespace

absl::StatusOr<ModelSignature> ReadModelSignature(absl::Span<const uint8_t> bytes,
                                                  const std::string& name) {
  const std::string where = absl::StrCat("model '", name, "'");
  if (bytes.size() < 8 || !tflite::ModelBufferHasIdentifier(bytes.data())) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": not a TFLite model (no 'TFL3' file identifier)"));
  }
  flatbuffers::Verifier::Options options;
  options.max_depth = 64;
  options.max_tables = 1 << 20;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), options);
  if (!tflite::VerifyModelBuffer(verifier)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the flatbuffer is malformed (verifier rejected it)"));
  }
  const tflite::Model* model = tflite::GetModel(bytes.data());
  if (model->subgraphs() == nullptr || model->subgraphs()->size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": has no subgraphs"));
  }
  const tflite::SubGraph& subgraph = *model->subgraphs()->Get(0);
  ModelSignature sig;
  TS_RETURN_IF_ERROR(ReadList(subgraph, subgraph.inputs(), absl::StrCat(where, ": input"),
                              sig.inputs));
  TS_RETURN_IF_ERROR(ReadList(subgraph, subgraph.outputs(), absl::StrCat(where, ": output"),
                              sig.outputs));
  return sig;
}

absl::StatusOr<ModelSignature> ReadModelSignatureFile(const std::string& path) {
  TS_ASSIGN_OR_RETURN(auto bytes, ModelBytes::ReadFile(path));
  return ReadModelSignature(bytes->span(), std::filesystem::path(path).filename().string());
}

ModelSignature SignatureOf(const Model& model) {
  auto convert = [](const TensorInfo& t) {
    TensorSignature sig;
    sig.name = t.name;
    sig.type = t.type;
    sig.shape = t.shape;
    sig.scales = t.quantization.scales;
    sig.zero_points = t.quantization.zero_points;
    sig.bytes = t.bytes;
    return sig;
  };
  ModelSignature sig;
  for (int i = 0; i < model.num_inputs(); ++i) sig.inputs.push_back(convert(model.input(i)));
  for (int o = 0; o < model.num_outputs(); ++o) sig.outputs.push_back(convert(model.output(o)));
  return sig;
}

absl::Status CheckSameSignature(const ModelSignature& a, const std::string& a_name,
                                const ModelSignature& b, const std::string& b_name) {
  auto mismatch = [&](const std::string& what) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model '", a_name, "' does not match '", b_name, "': ", what));
  };
  if (a.inputs.size() != b.inputs.size()) {
    return mismatch(absl::StrCat(a.inputs.size(), " vs ", b.inputs.size(), " inputs"));
  }
  if (a.outputs.size() != b.outputs.size()) {
    return mismatch(absl::StrCat(a.outputs.size(), " vs ", b.outputs.size(), " outputs"));
  }
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const std::string d = FirstDifference(a.inputs[i], b.inputs[i]);
    if (!d.empty()) return mismatch(absl::StrCat("input ", i, ": ", d));
  }
  for (size_t o = 0; o < a.outputs.size(); ++o) {
    const std::string d = FirstDifference(a.outputs[o], b.outputs[o]);
    if (!d.empty()) return mismatch(absl::StrCat("output ", o, ": ", d));
  }
  return absl::OkStatus();
}

std::string TensorSignatureText(const TensorSignature& tensor) {
  std::string text =
      absl::StrCat(DataTypeName(tensor.type), "[", absl::StrJoin(tensor.shape, ","), "]");
  if (!tensor.scales.empty()) {
    absl::StrAppend(&text, " scale ", absl::StrJoin(tensor.scales, ","), " zero point ",
                    absl::StrJoin(tensor.zero_points, ","));
  }
  return text;
}

}  // namespace tinyserve
