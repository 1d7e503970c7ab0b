#include "engine/op_type.h"

#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"

namespace tinyserve {
namespace {

// TFLite BuiltinOperator names, indexed by code (schema order).
constexpr absl::string_view kBuiltinNames[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1",
    "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF",
    "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE",
    "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST",
    "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER",
    "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT",
    "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK",
    "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN",
    "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
    "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
    "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
    "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
    "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND",
    "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE",
    "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
    "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
};

struct XcoreOpName {
  OpType op;
  absl::string_view name;
};
constexpr XcoreOpName kXcoreOpNames[] = {
    {OpType::kXcConv2dV2, "XC_conv2d_v2"}, {OpType::kXcPad, "XC_pad"},
    {OpType::kXcPad3To4, "XC_pad_3_to_4"}, {OpType::kXcPad1To4, "XC_pad_1_to_4"},
    {OpType::kXcSlice, "XC_slice"},        {OpType::kXcNoOp, "XC_no_op"},
    {OpType::kXcAdd, "XC_add"},            {OpType::kXcLookup, "XC_lookup"},
    {OpType::kXcSoftmax, "XC_softmax"},
};

}  // namespace

std::optional<OpType> XcoreOpType(const std::string& custom_code) {
  for (const XcoreOpName& entry : kXcoreOpNames) {
    if (entry.name == custom_code) return entry.op;
  }
  return std::nullopt;
}

std::string OpTypeName(OpType op) {
  for (const XcoreOpName& entry : kXcoreOpNames) {
    if (entry.op == op) return std::string(entry.name);
  }
  return BuiltinOpName(static_cast<int>(op));
}

int MaxSupportedVersion(OpType op) {
  // Versions mark new types or options; types are validated per op at prepare, so
  // these accept every version that only adds types or options we check there.
  switch (op) {
    case OpType::kAdd: return 5;
    case OpType::kAveragePool2D: return 4;
    case OpType::kConcatenation: return 4;
    case OpType::kConv2D: return 8;
    case OpType::kDepthwiseConv2D: return 7;
    case OpType::kDequantize: return 6;
    case OpType::kFullyConnected: return 12;
    case OpType::kLogistic: return 3;
    case OpType::kMaxPool2D: return 4;
    case OpType::kMul: return 7;
    case OpType::kRelu: return 3;
    case OpType::kRelu6: return 3;
    case OpType::kReshape: return 2;
    case OpType::kSoftmax: return 3;
    case OpType::kTanh: return 3;
    case OpType::kPad: return 4;
    case OpType::kMean: return 3;
    case OpType::kSub: return 5;
    case OpType::kQuantize: return 3;
    // xcore-opt writes version 1 for its custom operators.
    case OpType::kXcConv2dV2: case OpType::kXcPad: case OpType::kXcPad3To4:
    case OpType::kXcPad1To4: case OpType::kXcSlice: case OpType::kXcNoOp:
    case OpType::kXcAdd: case OpType::kXcLookup: case OpType::kXcSoftmax:
      return 1;
  }
  return 0;
}

std::optional<OpType> SupportedOpType(int builtin_code, int version) {
  switch (builtin_code) {
    case 0: case 1: case 2: case 3: case 4: case 6: case 9: case 14: case 17:
    case 18: case 19: case 21: case 22: case 25: case 28: case 34: case 40:
    case 41: case 114: {
      const auto op = static_cast<OpType>(builtin_code);
      if (version < 1 || version > MaxSupportedVersion(op)) return std::nullopt;
      return op;
    }
    default:
      return std::nullopt;
  }
}

std::string BuiltinOpName(int builtin_code) {
  if (builtin_code >= 0 && builtin_code < static_cast<int>(std::size(kBuiltinNames))) {
    return std::string(kBuiltinNames[builtin_code]);
  }
  return absl::StrCat("BUILTIN_", builtin_code);
}

}  // namespace tinyserve
