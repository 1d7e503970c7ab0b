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

  // XMOS's custom operators, as xcore-opt (xmos-ai-tools) writes them: CUSTOM
  // ops named "XC_*" with flexbuffer options. Values lie past every builtin
  // code. They run on devices that emulate or drive the chip only.
  kXcConv2dV2 = 1000,
  kXcPad = 1001,
  kXcPad3To4 = 1002,
  kXcPad1To4 = 1003,
  kXcSlice = 1004,
  kXcNoOp = 1005,
  kXcAdd = 1006,
  kXcLookup = 1007,
  kXcSoftmax = 1008,
};

// The first and one-past-last XMOS operator values.
inline constexpr int kFirstXcoreOp = 1000;
inline constexpr int kEndXcoreOp = 1009;
inline bool IsXcoreOp(OpType op) {
  return static_cast<int>(op) >= kFirstXcoreOp && static_cast<int>(op) < kEndXcoreOp;
}

// The OpType for a builtin code and version if the engine runs it.
std::optional<OpType> SupportedOpType(int builtin_code, int version);

// Highest version of an op the engine accepts.
int MaxSupportedVersion(OpType op);

// The XMOS operator named `custom_code` ("XC_conv2d_v2"), if tinyserve reads it.
std::optional<OpType> XcoreOpType(const std::string& custom_code);

// TFLite's name for any builtin code ("CONV_2D"); "BUILTIN_<n>" when unknown.
std::string BuiltinOpName(int builtin_code);
// "CONV_2D" for builtins, XMOS's name ("XC_conv2d_v2") for XMOS operators.
std::string OpTypeName(OpType op);

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_OP_TYPE_H_
