// The validated graph of one model: tensors and operators in execution order.
// Plain data; built by tflite_reader, owned by Model.
#ifndef TINYSERVE_ENGINE_GRAPH_H_
#define TINYSERVE_ENGINE_GRAPH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "engine/op_options.h"
#include "engine/op_type.h"
#include "engine/types.h"

namespace tinyserve {

struct Quantization {
  std::vector<float> scales;       // empty: not quantized
  std::vector<int64_t> zero_points;
  int quantized_dimension = 0;

  bool empty() const { return scales.empty(); }
  bool per_channel() const { return scales.size() > 1; }
  float scale() const { return scales.empty() ? 0.0f : scales[0]; }
  int32_t zero_point() const {
    return zero_points.empty() ? 0 : static_cast<int32_t>(zero_points[0]);
  }
};

struct TensorInfo {
  std::string name;
  DataType type = DataType::kInt8;
  std::vector<int32_t> shape;
  Quantization quantization;
  // Constant data, read in place from the model file; empty for activations.
  absl::Span<const uint8_t> data;
  size_t bytes = 0;  // element count * element size

  bool is_constant() const { return data.data() != nullptr; }
  int64_t num_elements() const {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    return n;
  }
  int rank() const { return static_cast<int>(shape.size()); }
  template <typename T>
  const T* constant_data() const {
    return reinterpret_cast<const T*>(data.data());
  }
};

inline constexpr int kOptionalTensor = -1;

struct Operator {
  int index = 0;      // position in execution order
  OpType type = OpType::kAdd;
  int version = 1;
  std::vector<int> inputs;   // tensor indices; kOptionalTensor for an omitted input
  std::vector<int> outputs;
  OpOptions options;
};

struct Graph {
  std::vector<TensorInfo> tensors;
  std::vector<Operator> operators;
  std::vector<int> inputs;
  std::vector<int> outputs;
  // Threads an xformed model was compiled for (xcore-opt's
  // --xcore-thread-count, from its "xcoreSharedConfig" metadata); 0 when the
  // file has none.
  int xcore_thread_count = 0;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_GRAPH_H_
