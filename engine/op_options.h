// Builtin options of the ops the engine runs, decoded from the model file.
#ifndef TINYSERVE_ENGINE_OP_OPTIONS_H_
#define TINYSERVE_ENGINE_OP_OPTIONS_H_

#include <cstdint>
#include <variant>
#include <vector>

#include "absl/types/span.h"

namespace tinyserve {

enum class Padding : int8_t { kSame = 0, kValid = 1 };

// TFLite's fused activation functions (values as in the schema).
enum class Activation : int8_t {
  kNone = 0,
  kRelu = 1,
  kReluN1To1 = 2,
  kRelu6 = 3,
  kTanh = 4,
  kSignBit = 5,
};

struct ConvOptions {
  Padding padding = Padding::kSame;
  int stride_w = 0, stride_h = 0;
  int dilation_w = 1, dilation_h = 1;
  Activation activation = Activation::kNone;
};

struct DepthwiseConvOptions {
  Padding padding = Padding::kSame;
  int stride_w = 0, stride_h = 0;
  int depth_multiplier = 0;
  int dilation_w = 1, dilation_h = 1;
  Activation activation = Activation::kNone;
};

struct PoolOptions {
  Padding padding = Padding::kSame;
  int stride_w = 0, stride_h = 0;
  int filter_w = 0, filter_h = 0;
  Activation activation = Activation::kNone;
};

struct FullyConnectedOptions {
  Activation activation = Activation::kNone;
  bool keep_num_dims = false;
  bool shuffled_weights = false;  // SHUFFLED4x16INT8: refused at prepare
};

struct SoftmaxOptions {
  float beta = 1.0f;
};

struct ConcatenationOptions {
  int axis = 0;
  Activation activation = Activation::kNone;
};

// ADD, SUB and MUL carry only a fused activation.
struct ElementwiseOptions {
  Activation activation = Activation::kNone;
};

struct ReshapeOptions {
  bool has_new_shape = false;
  std::vector<int32_t> new_shape;
};

struct ReducerOptions {
  bool keep_dims = false;
};

// An XMOS operator's custom options: a flexbuffer map, read in place from the
// model file and verified by the reader; each XC op's prepare decodes its keys.
struct XcoreOptions {
  absl::Span<const uint8_t> flexbuffer;
};

using OpOptions = std::variant<std::monostate, ConvOptions, DepthwiseConvOptions, PoolOptions,
                               FullyConnectedOptions, SoftmaxOptions, ConcatenationOptions,
                               ElementwiseOptions, ReshapeOptions, ReducerOptions, XcoreOptions>;

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_OP_OPTIONS_H_
