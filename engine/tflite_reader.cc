#include "engine/tflite_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/tflite_subset_generated.h"
#include "engine/util/status_macros.h"
#include "flatbuffers/flatbuffers.h"
#include "flatbuffers/flexbuffers.h"

namespace tinyserve {
namespace {

constexpr uint32_t kSchemaVersion = 3;
constexpr int kCustomOpCode = 32;

// The XMOS operator named `custom` at a version tinyserve reads.
std::optional<OpType> XcoreOpVersion(const std::string& custom, int version) {
  const std::optional<OpType> type = XcoreOpType(custom);
  if (!type.has_value() || version != MaxSupportedVersion(*type)) return std::nullopt;
  return type;
}

class Reader {
 public:
  Reader(const ModelBytes& bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  absl::StatusOr<Graph> Read();

 private:
  std::string Where() const { return absl::StrCat("model '", name_, "'"); }
  std::string WhereTensor(int index) const {
    return absl::StrCat(Where(), ": subgraph 0: tensor ", index);
  }
  std::string WhereOp(int index) const {
    return absl::StrCat(Where(), ": subgraph 0: operator #", index);
  }

  absl::Status Verify();
  absl::Status ReadBuffers();
  absl::Status ReadTensors();
  absl::Status ReadTensor(int index, const tflite::Tensor& t, TensorInfo& out);
  absl::Status ReadQuantization(int index, const tflite::QuantizationParameters& q,
                                TensorInfo& out);
  absl::Status ReadOperators();
  absl::StatusOr<OpOptions> ReadOptions(int index, OpType type, const tflite::Operator& op);
  absl::StatusOr<OpOptions> ReadXcoreOptions(int index, OpType type,
                                             const tflite::Operator& op) const;
  absl::StatusOr<Activation> ReadActivation(int index, OpType type,
                                            tflite::ActivationFunctionType a) const;
  absl::Status ReadTensorList(const flatbuffers::Vector<int32_t>* list, bool allow_optional,
                              const std::string& what, std::vector<int>& out);
  absl::Status CheckDataflow();
  absl::Status ReadXcoreMetadata();

  const ModelBytes& bytes_;
  const std::string& name_;
  const tflite::Model* model_ = nullptr;
  const tflite::SubGraph* subgraph_ = nullptr;
  std::vector<absl::Span<const uint8_t>> buffers_;
  Graph graph_;
};

absl::Status Reader::Verify() {
  if (bytes_.size() < 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(), ": file is ", bytes_.size(), " bytes, too short to be a TFLite model"));
  }
  if (!tflite::ModelBufferHasIdentifier(bytes_.data())) {
    const char* id = reinterpret_cast<const char*>(bytes_.data()) + 4;
    std::string shown;
    for (int i = 0; i < 4; ++i) {
      shown += (id[i] >= 0x20 && id[i] < 0x7f) ? id[i] : '?';
    }
    return absl::InvalidArgumentError(absl::StrCat(
        Where(), ": not a TFLite model (file identifier '", shown, "', expected 'TFL3')"));
  }
  flatbuffers::Verifier::Options options;
  options.max_depth = 64;
  options.max_tables = 1 << 20;
  flatbuffers::Verifier verifier(bytes_.data(), bytes_.size(), options);
  if (!tflite::VerifyModelBuffer(verifier)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(), ": the flatbuffer is malformed (verifier rejected it: truncated, "
                 "offsets out of range or nested too deep)"));
  }
  model_ = tflite::GetModel(bytes_.data());
  if (model_->version() != kSchemaVersion) {
    return absl::InvalidArgumentError(absl::StrCat(Where(), ": schema version ",
                                                   model_->version(), ", expected ",
                                                   kSchemaVersion));
  }
  if (model_->subgraphs() == nullptr || model_->subgraphs()->size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(Where(), ": has no subgraphs"));
  }
  subgraph_ = model_->subgraphs()->Get(0);
  return absl::OkStatus();
}

absl::Status Reader::ReadBuffers() {
  const auto* buffers = model_->buffers();
  if (buffers == nullptr) return absl::OkStatus();
  // Regions of buffers stored after the flatbuffer (offset/size form).
  std::vector<std::pair<uint64_t, uint64_t>> external;
  buffers_.resize(buffers->size());
  for (flatbuffers::uoffset_t i = 0; i < buffers->size(); ++i) {
    const tflite::Buffer* b = buffers->Get(i);
    if (b == nullptr) continue;
    const bool inline_data = b->data() != nullptr && b->data()->size() > 0;
    // The schema reads offset/size only when offset > 1.
    const bool offset_data = b->offset() > 1;
    if (inline_data && offset_data) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(), ": buffer ", i, " has both inline data and an external offset"));
    }
    if (inline_data) {
      buffers_[i] = {b->data()->data(), b->data()->size()};
    } else if (offset_data) {
      const uint64_t offset = b->offset(), size = b->size();
      if (size > bytes_.size() || offset > bytes_.size() - size) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(), ": buffer ", i, " (offset ", offset, ", size ", size,
            ") extends beyond the end of the ", bytes_.size(), "-byte file"));
      }
      buffers_[i] = {bytes_.data() + offset, static_cast<size_t>(size)};
      external.emplace_back(offset, size);
    }
  }
  std::sort(external.begin(), external.end());
  for (size_t i = 1; i < external.size(); ++i) {
    if (external[i].first < external[i - 1].first + external[i - 1].second) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(), ": external buffers overlap at file offset ", external[i].first));
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadQuantization(int index, const tflite::QuantizationParameters& q,
                                      TensorInfo& out) {
  if (q.details_type() != tflite::QuantizationDetails_NONE) {
    return absl::UnimplementedError(absl::StrCat(
        WhereTensor(index), " '", out.name, "': custom quantization details are not supported"));
  }
  const auto* scales = q.scale();
  const auto* zero_points = q.zero_point();
  if (scales == nullptr || scales->size() == 0) return absl::OkStatus();  // not quantized
  if (zero_points == nullptr || zero_points->size() != scales->size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        WhereTensor(index), " '", out.name, "': ", scales->size(), " scales but ",
        zero_points == nullptr ? 0 : zero_points->size(), " zero points"));
  }
  // The verifier aligns a vector's length field (4 bytes) but not its 8-byte
  // elements; a hand-made file can misalign them, and reading one is undefined.
  if (reinterpret_cast<uintptr_t>(zero_points->data()) % alignof(int64_t) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        WhereTensor(index), " '", out.name,
        "': the zero_point vector is not 8-byte aligned (malformed flatbuffer)"));
  }
  Quantization& quant = out.quantization;
  quant.scales.assign(scales->begin(), scales->end());
  quant.zero_points.assign(zero_points->begin(), zero_points->end());
  quant.quantized_dimension = q.quantized_dimension();
  for (size_t c = 0; c < quant.scales.size(); ++c) {
    const float s = quant.scales[c];
    if (!std::isfinite(s) || s <= 0.0f) {
      return absl::InvalidArgumentError(absl::StrCat(
          WhereTensor(index), " '", out.name, "': scale[", c, "] = ", s,
          " (scales must be finite and positive)"));
    }
    const int64_t zp = quant.zero_points[c];
    if (zp < DataTypeMin(out.type) || zp > DataTypeMax(out.type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          WhereTensor(index), " '", out.name, "': zero point ", zp, " is outside the range of ",
          DataTypeName(out.type)));
    }
  }
  if (quant.per_channel()) {
    const int qdim = quant.quantized_dimension;
    // TFLite Micro accepts 1-D bias tensors whose quantized_dimension was copied
    // from the filter (e.g. 3); the only axis a 1-D tensor has is 0.
    const int axis = out.rank() == 1 ? 0 : qdim;
    if (out.rank() > 1 && (qdim < 0 || qdim >= out.rank())) {
      return absl::InvalidArgumentError(absl::StrCat(
          WhereTensor(index), " '", out.name, "': quantized_dimension ", qdim,
          " is out of range for rank ", out.rank()));
    }
    if (out.rank() == 0 || static_cast<int64_t>(quant.scales.size()) != out.shape[axis]) {
      return absl::InvalidArgumentError(absl::StrCat(
          WhereTensor(index), " '", out.name, "': ", quant.scales.size(),
          " per-channel scales but dimension ", axis, " has ",
          out.rank() == 0 ? 0 : out.shape[axis], " channels"));
    }
    quant.quantized_dimension = axis;
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadTensor(int index, const tflite::Tensor& t, TensorInfo& out) {
  out.name = t.name() != nullptr ? t.name()->str() : std::string();
  const auto type = DataTypeFromTflite(t.type());
  if (!type.has_value()) {
    return absl::UnimplementedError(absl::StrCat(WhereTensor(index), " '", out.name,
                                                 "': tensor type ", TfliteTypeName(t.type()),
                                                 " is not supported"));
  }
  out.type = *type;
  if (t.sparsity() != nullptr) {
    return absl::UnimplementedError(
        absl::StrCat(WhereTensor(index), " '", out.name, "': sparse tensors are not supported"));
  }
  if (t.external_buffer() != 0) {
    return absl::UnimplementedError(absl::StrCat(
        WhereTensor(index), " '", out.name, "': external weight files are not supported"));
  }
  if (t.is_variable()) {
    return absl::UnimplementedError(absl::StrCat(
        WhereTensor(index), " '", out.name, "': variable (stateful) tensors are not supported"));
  }
  if (t.shape() != nullptr) {
    if (t.shape()->size() > static_cast<flatbuffers::uoffset_t>(kMaxTensorRank)) {
      return absl::InvalidArgumentError(absl::StrCat(WhereTensor(index), " '", out.name,
                                                     "': rank ", t.shape()->size(),
                                                     " exceeds the limit of ", kMaxTensorRank));
    }
    out.shape.assign(t.shape()->begin(), t.shape()->end());
  }
  int64_t elements = 1;
  for (size_t d = 0; d < out.shape.size(); ++d) {
    if (out.shape[d] <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(WhereTensor(index), " '", out.name,
                                                     "': dimension ", d, " is ", out.shape[d],
                                                     " (dimensions must be positive)"));
    }
    elements *= out.shape[d];
    if (elements * static_cast<int64_t>(DataTypeSize(out.type)) > kMaxTensorBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          WhereTensor(index), " '", out.name, "': shape [", absl::StrJoin(out.shape, ","),
          "] needs more than the ", kMaxTensorBytes, "-byte tensor limit"));
    }
  }
  out.bytes = static_cast<size_t>(elements) * DataTypeSize(out.type);

  if (t.buffer() >= buffers_.size() && !(t.buffer() == 0 && buffers_.empty())) {
    return absl::InvalidArgumentError(absl::StrCat(WhereTensor(index), " '", out.name,
                                                   "': buffer index ", t.buffer(),
                                                   " out of range (", buffers_.size(),
                                                   " buffers)"));
  }
  const absl::Span<const uint8_t> data =
      t.buffer() < buffers_.size() ? buffers_[t.buffer()] : absl::Span<const uint8_t>();
  if (!data.empty()) {
    if (data.size() != out.bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          WhereTensor(index), " '", out.name, "': buffer ", t.buffer(), " holds ", data.size(),
          " bytes but shape [", absl::StrJoin(out.shape, ","), "] of ", DataTypeName(out.type),
          " needs ", out.bytes));
    }
    if (reinterpret_cast<uintptr_t>(data.data()) % DataTypeSize(out.type) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(WhereTensor(index), " '", out.name,
                                                     "': buffer ", t.buffer(),
                                                     " is not aligned for ",
                                                     DataTypeName(out.type)));
    }
    out.data = data;
  }
  if (t.quantization() != nullptr) {
    TS_RETURN_IF_ERROR(ReadQuantization(index, *t.quantization(), out));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadTensors() {
  const auto* tensors = subgraph_->tensors();
  if (tensors == nullptr) return absl::OkStatus();
  graph_.tensors.resize(tensors->size());
  for (flatbuffers::uoffset_t i = 0; i < tensors->size(); ++i) {
    TS_RETURN_IF_ERROR(ReadTensor(static_cast<int>(i), *tensors->Get(i), graph_.tensors[i]));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadTensorList(const flatbuffers::Vector<int32_t>* list,
                                    bool allow_optional, const std::string& what,
                                    std::vector<int>& out) {
  if (list == nullptr) return absl::OkStatus();
  for (int32_t t : *list) {
    if (t == kOptionalTensor && allow_optional) {
      out.push_back(t);
      continue;
    }
    if (t < 0 || t >= static_cast<int>(graph_.tensors.size())) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": tensor index ", t,
                                                     " out of range (", graph_.tensors.size(),
                                                     " tensors)"));
    }
    out.push_back(t);
  }
  return absl::OkStatus();
}

Padding ToPadding(tflite::Padding p) { return static_cast<Padding>(p); }

// "Conv2DOptions (type 1)", or "unknown type 3" for union members outside our
// schema subset.
std::string OptionsTypeName(tflite::BuiltinOptions type) {
  const char* name = tflite::EnumNameBuiltinOptions(type);
  if (name == nullptr || *name == '\0') {
    return absl::StrCat("unknown type ", static_cast<int>(type));
  }
  return absl::StrCat(name, " (type ", static_cast<int>(type), ")");
}

absl::StatusOr<Activation> Reader::ReadActivation(int index, OpType type,
                                                  tflite::ActivationFunctionType a) const {
  if (a < tflite::ActivationFunctionType_NONE || a > tflite::ActivationFunctionType_SIGN_BIT) {
    return absl::InvalidArgumentError(absl::StrCat(WhereOp(index), " ", OpTypeName(type),
                                                   ": unknown fused activation ",
                                                   static_cast<int>(a)));
  }
  return static_cast<Activation>(a);
}

absl::StatusOr<OpOptions> Reader::ReadOptions(int index, OpType type,
                                              const tflite::Operator& op) {
  // Which options table each op carries; NONE means the op has none.
  tflite::BuiltinOptions expected = tflite::BuiltinOptions_NONE;
  bool required = false;
  switch (type) {
    case OpType::kConv2D: expected = tflite::BuiltinOptions_Conv2DOptions; required = true; break;
    case OpType::kDepthwiseConv2D:
      expected = tflite::BuiltinOptions_DepthwiseConv2DOptions; required = true; break;
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D: expected = tflite::BuiltinOptions_Pool2DOptions; required = true; break;
    case OpType::kFullyConnected: expected = tflite::BuiltinOptions_FullyConnectedOptions; break;
    case OpType::kSoftmax: expected = tflite::BuiltinOptions_SoftmaxOptions; break;
    case OpType::kConcatenation:
      expected = tflite::BuiltinOptions_ConcatenationOptions; required = true; break;
    case OpType::kAdd: expected = tflite::BuiltinOptions_AddOptions; break;
    case OpType::kSub: expected = tflite::BuiltinOptions_SubOptions; break;
    case OpType::kMul: expected = tflite::BuiltinOptions_MulOptions; break;
    case OpType::kReshape: expected = tflite::BuiltinOptions_ReshapeOptions; break;
    case OpType::kMean: expected = tflite::BuiltinOptions_ReducerOptions; break;
    case OpType::kPad: expected = tflite::BuiltinOptions_PadOptions; break;
    default: break;
  }
  const auto actual = op.builtin_options_type();
  if (actual != tflite::BuiltinOptions_NONE && expected != tflite::BuiltinOptions_NONE &&
      actual != expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        WhereOp(index), " ", OpTypeName(type), ": carries builtin options ",
        OptionsTypeName(actual), ", expected ", OptionsTypeName(expected)));
  }
  if (required && (actual == tflite::BuiltinOptions_NONE || op.builtin_options() == nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat(WhereOp(index), " ", OpTypeName(type), ": builtin options are missing"));
  }
  switch (type) {
    case OpType::kConv2D: {
      const auto* o = op.builtin_options_as_Conv2DOptions();
      ConvOptions r;
      r.padding = ToPadding(o->padding());
      r.stride_w = o->stride_w();
      r.stride_h = o->stride_h();
      r.dilation_w = o->dilation_w_factor();
      r.dilation_h = o->dilation_h_factor();
      TS_ASSIGN_OR_RETURN(r.activation,
                          ReadActivation(index, type, o->fused_activation_function()));
      return r;
    }
    case OpType::kDepthwiseConv2D: {
      const auto* o = op.builtin_options_as_DepthwiseConv2DOptions();
      DepthwiseConvOptions r;
      r.padding = ToPadding(o->padding());
      r.stride_w = o->stride_w();
      r.stride_h = o->stride_h();
      r.depth_multiplier = o->depth_multiplier();
      r.dilation_w = o->dilation_w_factor();
      r.dilation_h = o->dilation_h_factor();
      TS_ASSIGN_OR_RETURN(r.activation,
                          ReadActivation(index, type, o->fused_activation_function()));
      return r;
    }
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D: {
      const auto* o = op.builtin_options_as_Pool2DOptions();
      PoolOptions r;
      r.padding = ToPadding(o->padding());
      r.stride_w = o->stride_w();
      r.stride_h = o->stride_h();
      r.filter_w = o->filter_width();
      r.filter_h = o->filter_height();
      TS_ASSIGN_OR_RETURN(r.activation,
                          ReadActivation(index, type, o->fused_activation_function()));
      return r;
    }
    case OpType::kFullyConnected: {
      FullyConnectedOptions r;
      if (const auto* o = op.builtin_options_as_FullyConnectedOptions()) {
        TS_ASSIGN_OR_RETURN(r.activation,
                            ReadActivation(index, type, o->fused_activation_function()));
        r.keep_num_dims = o->keep_num_dims();
        r.shuffled_weights = o->weights_format() != tflite::FullyConnectedOptionsWeightsFormat_DEFAULT;
      }
      return r;
    }
    case OpType::kSoftmax: {
      SoftmaxOptions r;
      if (const auto* o = op.builtin_options_as_SoftmaxOptions()) r.beta = o->beta();
      return r;
    }
    case OpType::kConcatenation: {
      const auto* o = op.builtin_options_as_ConcatenationOptions();
      ConcatenationOptions r;
      r.axis = o->axis();
      TS_ASSIGN_OR_RETURN(r.activation,
                          ReadActivation(index, type, o->fused_activation_function()));
      return r;
    }
    case OpType::kAdd: {
      ElementwiseOptions r;
      if (const auto* o = op.builtin_options_as_AddOptions()) {
        TS_ASSIGN_OR_RETURN(r.activation,
                            ReadActivation(index, type, o->fused_activation_function()));
      }
      return r;
    }
    case OpType::kSub: {
      ElementwiseOptions r;
      if (const auto* o = op.builtin_options_as_SubOptions()) {
        TS_ASSIGN_OR_RETURN(r.activation,
                            ReadActivation(index, type, o->fused_activation_function()));
      }
      return r;
    }
    case OpType::kMul: {
      ElementwiseOptions r;
      if (const auto* o = op.builtin_options_as_MulOptions()) {
        TS_ASSIGN_OR_RETURN(r.activation,
                            ReadActivation(index, type, o->fused_activation_function()));
      }
      return r;
    }
    case OpType::kReshape: {
      ReshapeOptions r;
      const auto* o = op.builtin_options_as_ReshapeOptions();
      if (o != nullptr && o->new_shape() != nullptr) {
        r.has_new_shape = true;
        r.new_shape.assign(o->new_shape()->begin(), o->new_shape()->end());
      }
      return r;
    }
    case OpType::kMean: {
      ReducerOptions r;
      if (const auto* o = op.builtin_options_as_ReducerOptions()) r.keep_dims = o->keep_dims();
      return r;
    }
    default:
      if (IsXcoreOp(type)) return ReadXcoreOptions(index, type, op);
      return OpOptions{};
  }
}

absl::StatusOr<OpOptions> Reader::ReadXcoreOptions(int index, OpType type,
                                                   const tflite::Operator& op) const {
  const std::string where = absl::StrCat(WhereOp(index), " ", OpTypeName(type));
  if (op.custom_options_format() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": custom options format ",
                                                   op.custom_options_format(),
                                                   " (only 0, FLEXBUFFERS, exists)"));
  }
  XcoreOptions options;
  const auto* bytes = op.custom_options();
  if (bytes == nullptr || bytes->size() == 0) return options;  // XC_no_op has none
  // The flexbuffer is verified here once, so every prepare may decode it freely.
  std::vector<uint8_t> reuse_tracker;
  if (!flexbuffers::VerifyBuffer(bytes->data(), bytes->size(), &reuse_tracker)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": custom options are not a valid flexbuffer (", bytes->size(),
                     " bytes)"));
  }
  if (!flexbuffers::GetRoot(bytes->data(), bytes->size()).IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": custom options are not a flexbuffer map"));
  }
  options.flexbuffer = absl::MakeConstSpan(bytes->data(), bytes->size());
  return options;
}

absl::Status Reader::ReadOperators() {
  const auto* codes = model_->operator_codes();
  const auto* ops = subgraph_->operators();
  if (ops == nullptr) return absl::OkStatus();
  // Unsupported ops are collected so one error lists every one of them.
  std::vector<std::string> unsupported;
  for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i) {
    const tflite::Operator* op = ops->Get(i);
    const int index = static_cast<int>(i);
    if (codes == nullptr || op->opcode_index() >= codes->size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          WhereOp(index), ": opcode index ", op->opcode_index(), " out of range (",
          codes == nullptr ? 0 : codes->size(), " operator codes)"));
    }
    const tflite::OperatorCode* code = codes->Get(op->opcode_index());
    // Older files only fill the one-byte field; newer ones both, for codes < 127.
    const int builtin = std::max<int>(code->builtin_code(), code->deprecated_builtin_code());
    const int version = code->version();
    const std::string custom =
        builtin == kCustomOpCode && code->custom_code() != nullptr ? code->custom_code()->str()
                                                                   : std::string();
    if (absl::StartsWith(custom, "XC_") && !XcoreOpType(custom).has_value()) {
      // Named on its own: an XMOS op we don't read yet, not a file problem.
      return absl::UnimplementedError(absl::StrCat(
          WhereOp(index), ": unknown XMOS operator '", custom,
          "' (tinyserve reads the XC_* operators xcore-opt emits for int8 convolution "
          "networks: XC_conv2d_v2, XC_pad, XC_pad_3_to_4, XC_pad_1_to_4, XC_slice, "
          "XC_no_op, XC_add, XC_lookup, XC_softmax)"));
    }
    const std::optional<OpType> type =
        custom.empty() ? SupportedOpType(builtin, version) : XcoreOpVersion(custom, version);
    if (!type.has_value()) {
      std::string what = absl::StrCat("#", index, " ", BuiltinOpName(builtin));
      if (builtin == kCustomOpCode && code->custom_code() != nullptr) {
        absl::StrAppend(&what, " '", code->custom_code()->str(), "'");
      }
      absl::StrAppend(&what, " v", version);
      unsupported.push_back(std::move(what));
      continue;
    }
    Operator parsed;
    parsed.index = index;
    parsed.type = *type;
    parsed.version = version;
    const std::string where = absl::StrCat(WhereOp(index), " ", OpTypeName(*type));
    TS_RETURN_IF_ERROR(ReadTensorList(op->inputs(), /*allow_optional=*/true,
                                      absl::StrCat(where, ": inputs"), parsed.inputs));
    TS_RETURN_IF_ERROR(ReadTensorList(op->outputs(), /*allow_optional=*/false,
                                      absl::StrCat(where, ": outputs"), parsed.outputs));
    TS_ASSIGN_OR_RETURN(parsed.options, ReadOptions(index, *type, *op));
    graph_.operators.push_back(std::move(parsed));
  }
  if (!unsupported.empty()) {
    return absl::UnimplementedError(absl::StrCat(
        Where(), ": ", unsupported.size(), " unsupported operator",
        unsupported.size() == 1 ? "" : "s", ": ", absl::StrJoin(unsupported, ", ")));
  }
  return absl::OkStatus();
}

// Every tensor an op reads must exist when it runs, and every op output must be
// a fresh activation written exactly once.
absl::Status Reader::CheckDataflow() {
  const size_t n = graph_.tensors.size();
  std::vector<bool> available(n, false);
  for (size_t t = 0; t < n; ++t) available[t] = graph_.tensors[t].is_constant();
  for (int t : graph_.inputs) {
    if (graph_.tensors[t].is_constant()) {
      return absl::InvalidArgumentError(
          absl::StrCat(WhereTensor(t), ": a model input cannot be a constant"));
    }
    available[t] = true;
  }
  // xcore-opt gives some XMOS ops a scratch tensor as an input: an activation
  // no operator writes, used by that one op only (the arena plans it for that
  // op's lifetime).
  std::vector<bool> produced(available);
  for (const Operator& op : graph_.operators) {
    for (int t : op.outputs) produced[t] = true;
  }
  std::vector<bool> scratch(n, false);
  std::vector<bool> written(n, false);
  for (const Operator& op : graph_.operators) {
    const std::string where = absl::StrCat(WhereOp(op.index), " ", OpTypeName(op.type));
    for (int t : op.inputs) {
      if (t == kOptionalTensor) continue;
      if (!available[t] && !produced[t] && IsXcoreOp(op.type) && !scratch[t]) {
        scratch[t] = true;
        continue;
      }
      if (!available[t]) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": reads tensor ", t, " '", graph_.tensors[t].name,
            "' before any operator produces it"));
      }
    }
    for (int t : op.outputs) {
      if (graph_.tensors[t].is_constant()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": writes constant tensor ", t,
                                                       " '", graph_.tensors[t].name, "'"));
      }
      if (available[t] || written[t]) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": tensor ", t, " '", graph_.tensors[t].name,
            "' is written more than once (or is a model input)"));
      }
      written[t] = true;
      available[t] = true;
    }
  }
  for (int t : graph_.outputs) {
    if (!available[t] || graph_.tensors[t].is_constant()) {
      return absl::InvalidArgumentError(absl::StrCat(
          WhereTensor(t), " '", graph_.tensors[t].name,
          "': model output is never produced by an operator"));
    }
  }
  return absl::OkStatus();
}

// xcore-opt's "xcoreSharedConfig" metadata starts with 13 little-endian
// uint32: target arch, lib_nn, lib_tflite_micro and xformer versions
// (major/minor/patch each), the thread count the model was compiled for, and
// its external input and output tensor counts. Only the thread count is used:
// XMOS's runtime splits some ops over that many threads, which changes their
// results (XC_softmax sums per thread).
absl::Status Reader::ReadXcoreMetadata() {
  const auto* metadata = model_->metadata();
  if (metadata == nullptr) return absl::OkStatus();
  for (const tflite::Metadata* m : *metadata) {
    if (m == nullptr || m->name() == nullptr || m->name()->str() != "xcoreSharedConfig") continue;
    constexpr size_t kHeaderWords = 13, kThreadCountWord = 10;
    if (m->buffer() >= buffers_.size() || buffers_[m->buffer()].size() < kHeaderWords * 4) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(), ": xcoreSharedConfig metadata names buffer ", m->buffer(),
          ", which is missing or shorter than its ", kHeaderWords * 4, "-byte header"));
    }
    const uint8_t* word = buffers_[m->buffer()].data() + kThreadCountWord * 4;
    const uint32_t threads = uint32_t{word[0]} | uint32_t{word[1]} << 8 |
                             uint32_t{word[2]} << 16 | uint32_t{word[3]} << 24;
    // An xcore.ai tile runs 8 hardware threads.
    if (threads < 1 || threads > 8) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(), ": xcoreSharedConfig metadata asks for ", threads,
          " threads (an xcore.ai tile has 1 to 8)"));
    }
    graph_.xcore_thread_count = static_cast<int>(threads);
  }
  return absl::OkStatus();
}

absl::StatusOr<Graph> Reader::Read() {
  TS_RETURN_IF_ERROR(Verify());
  TS_RETURN_IF_ERROR(ReadBuffers());
  TS_RETURN_IF_ERROR(ReadTensors());
  TS_RETURN_IF_ERROR(ReadTensorList(subgraph_->inputs(), false,
                                    absl::StrCat(Where(), ": subgraph 0 inputs"), graph_.inputs));
  TS_RETURN_IF_ERROR(ReadTensorList(subgraph_->outputs(), false,
                                    absl::StrCat(Where(), ": subgraph 0 outputs"),
                                    graph_.outputs));
  if (graph_.inputs.empty() || graph_.outputs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(), ": subgraph 0 declares no inputs or no outputs"));
  }
  TS_RETURN_IF_ERROR(ReadOperators());
  TS_RETURN_IF_ERROR(CheckDataflow());
  TS_RETURN_IF_ERROR(ReadXcoreMetadata());
  return std::move(graph_);
}

}  // namespace

absl::StatusOr<Graph> ReadTfliteGraph(const ModelBytes& bytes, const std::string& model_name) {
  return Reader(bytes, model_name).Read();
}

}  // namespace tinyserve
