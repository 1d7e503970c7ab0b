// Operator codes: the TFLite builtin ops the engine runs, and names for all others.
#ifndef TINYSERVE_ENGINE_OP_TYPE_H_
#define TINYSERVE_ENGINE_OP_TYPE_H_

#include <optional>
#include <string>

namespace tinyserve {

// Values are TFLite BuiltinOperator codes.
enum class OpType : int {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2D = 17,
  kMul = 18,
  kRelu = 19,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kTanh = 28,
  kPad = 34,
  kMean = 40,
  kSub = 41,
  kQuantize = 114,
};

// The OpType for a builtin code and version if the engine runs it.
std::optional<OpType> SupportedOpType(int builtin_code, int version);

// Highest version of an op the engine accepts.
int MaxSupportedVersion(OpType op);

// TFLite's name for any builtin code ("CONV_2D"); "BUILTIN_<n>" when unknown.
std::string BuiltinOpName(int builtin_code);
inline std::string OpTypeName(OpType op) { return BuiltinOpName(static_cast<int>(op)); }

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_OP_TYPE_H_
