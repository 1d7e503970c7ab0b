// Writes small valid models, one per operator the engine runs, as extra seeds
// for model_loader_fuzzer. The bundled models are 2 KB to 330 KB and run whole
// networks, so the fuzzer manages ~100 executions a second on them; these are
// ~500 bytes and run in microseconds, which lets it reach every kernel's
// Prepare and Eval tens of thousands of times a second. Each seed is checked to
// load and run before it is written, so a seed that stops loading fails here.
//
//   make_fuzz_seeds <directory>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "engine/model.h"
#include "engine/tflite_subset_generated.h"
#include "flatbuffers/flatbuffers.h"
#include "tests/fuzz/model_runner.h"

namespace {

struct TensorSpec {
  std::vector<int32_t> shape;
  tflite::TensorType type = tflite::TensorType_INT8;
  std::vector<float> scales = {0.05f};
  std::vector<int64_t> zero_points = {0};
  int quantized_dimension = 0;
  std::vector<uint8_t> data;  // empty: activation
};

TensorSpec Int8(std::vector<int32_t> shape, float scale = 0.05f, int64_t zero_point = 0) {
  TensorSpec t;
  t.shape = std::move(shape);
  t.scales = {scale};
  t.zero_points = {zero_point};
  return t;
}

TensorSpec Float32(std::vector<int32_t> shape) {
  TensorSpec t;
  t.shape = std::move(shape);
  t.type = tflite::TensorType_FLOAT32;
  t.scales.clear();
  t.zero_points.clear();
  return t;
}

template <typename T>
TensorSpec Constant(std::vector<int32_t> shape, tflite::TensorType type, const std::vector<T>& v) {
  TensorSpec t;
  t.shape = std::move(shape);
  t.type = type;
  t.data.resize(v.size() * sizeof(T));
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

// Per-channel int8 weights along `dim` with `channels` scales, and values
// cycling through -127..127.
TensorSpec Weights(std::vector<int32_t> shape, int dim) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  std::vector<int8_t> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<int8_t>((i * 37) % 255 - 127);
  TensorSpec t = Constant(shape, tflite::TensorType_INT8, v);
  t.scales.assign(shape[dim], 0.01f);
  for (int c = 0; c < shape[dim]; ++c) t.scales[c] = 0.005f + 0.001f * c;
  t.zero_points.assign(shape[dim], 0);
  t.quantized_dimension = dim;
  return t;
}

TensorSpec Bias(int channels, float scale) {
  std::vector<int32_t> v(channels);
  for (int c = 0; c < channels; ++c) v[c] = 100 * c - 300;
  TensorSpec t = Constant({channels}, tflite::TensorType_INT32, v);
  t.scales = {scale};
  t.zero_points = {0};
  return t;
}

struct OpSpec {
  int code;
  std::vector<int> inputs, outputs;
  tflite::BuiltinOptionsUnion options;
};

// A model of `tensors` and `ops`; inputs and outputs are the model's.
void Write(const std::string& dir, const std::string& name, const std::vector<TensorSpec>& tensors,
           std::vector<OpSpec> ops, std::vector<int> inputs, std::vector<int> outputs) {
  tflite::ModelT model;
  model.version = 3;
  model.buffers.push_back(std::make_unique<tflite::BufferT>());
  auto subgraph = std::make_unique<tflite::SubGraphT>();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorSpec& spec = tensors[i];
    auto t = std::make_unique<tflite::TensorT>();
    t->name = "t" + std::to_string(i);
    t->type = spec.type;
    t->shape = spec.shape;
    if (!spec.scales.empty()) {
      t->quantization = std::make_unique<tflite::QuantizationParametersT>();
      t->quantization->scale = spec.scales;
      t->quantization->zero_point = spec.zero_points;
      t->quantization->quantized_dimension = spec.quantized_dimension;
    }
    if (!spec.data.empty()) {
      t->buffer = static_cast<uint32_t>(model.buffers.size());
      model.buffers.push_back(std::make_unique<tflite::BufferT>());
      model.buffers.back()->data = spec.data;
    }
    subgraph->tensors.push_back(std::move(t));
  }
  for (OpSpec& spec : ops) {
    uint32_t code_index = 0;
    while (code_index < model.operator_codes.size() &&
           model.operator_codes[code_index]->builtin_code != spec.code) {
      ++code_index;
    }
    if (code_index == model.operator_codes.size()) {
      auto code = std::make_unique<tflite::OperatorCodeT>();
      code->builtin_code = spec.code;
      code->deprecated_builtin_code = static_cast<int8_t>(spec.code < 127 ? spec.code : 127);
      model.operator_codes.push_back(std::move(code));
    }
    auto op = std::make_unique<tflite::OperatorT>();
    op->opcode_index = code_index;
    op->inputs = spec.inputs;
    op->outputs = spec.outputs;
    op->builtin_options = std::move(spec.options);
    subgraph->operators.push_back(std::move(op));
  }
  subgraph->inputs = std::move(inputs);
  subgraph->outputs = std::move(outputs);
  model.subgraphs.push_back(std::move(subgraph));

  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(tflite::Model::Pack(fbb, &model), tflite::ModelIdentifier());
  const auto loaded = tinyserve::Model::LoadBuffer(
      absl::MakeConstSpan(fbb.GetBufferPointer(), fbb.GetSize()), name);
  absl::StatusOr<bool> ran = false;
  if (loaded.ok()) {
    ran = tinyserve::fuzz::RunReferenceOnce(*loaded);
  } else {
    ran = loaded.status();
  }
  if (!ran.ok() || !*ran) {
    std::fprintf(stderr, "make_fuzz_seeds: seed %s does not load and run: %s\n", name.c_str(),
                 ran.ok() ? "over the run budget" : ran.status().ToString().c_str());
    std::exit(1);
  }
  const std::string path = dir + "/" + name + ".tflite";
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  if (!out) {
    std::fprintf(stderr, "make_fuzz_seeds: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

template <typename T>
tflite::BuiltinOptionsUnion Options(T options) {
  tflite::BuiltinOptionsUnion u;
  u.Set(std::move(options));
  return u;
}

// One op reading tensors 0..n-2 and writing tensor n-1; the first
// `model_inputs` tensors are the model's inputs.
void WriteSingleOp(const std::string& dir, const std::string& name, int code,
                   const std::vector<TensorSpec>& tensors, int model_inputs,
                   tflite::BuiltinOptionsUnion options = {}) {
  OpSpec op{code, {}, {static_cast<int>(tensors.size()) - 1}, std::move(options)};
  for (size_t i = 0; i + 1 < tensors.size(); ++i) op.inputs.push_back(static_cast<int>(i));
  std::vector<int> inputs;
  for (int i = 0; i < model_inputs; ++i) inputs.push_back(i);
  std::vector<OpSpec> ops;
  ops.push_back(std::move(op));
  Write(dir, name, tensors, std::move(ops), inputs, {static_cast<int>(tensors.size()) - 1});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds <directory>\n");
    return 2;
  }
  const std::string dir = argv[1];
  const TensorSpec x = Int8({1, 4, 4, 3}, 0.05f, 0);
  const TensorSpec y = Int8({1, 1, 1, 3}, 0.07f, 3);
  const TensorSpec z = Int8({1, 4, 4, 3}, 0.1f, -2);

  WriteSingleOp(dir, "add", 0, {x, y, z}, 2, Options(tflite::AddOptionsT()));
  WriteSingleOp(dir, "sub", 41, {x, y, z}, 2, Options(tflite::SubOptionsT()));
  WriteSingleOp(dir, "mul", 18, {x, y, z}, 2, Options(tflite::MulOptionsT()));
  tflite::Pool2DOptionsT pool;
  pool.padding = tflite::Padding_SAME;
  pool.stride_h = pool.stride_w = 2;
  pool.filter_height = pool.filter_width = 3;
  WriteSingleOp(dir, "average_pool", 1, {x, Int8({1, 2, 2, 3})}, 1, Options(pool));
  WriteSingleOp(dir, "max_pool", 17, {x, Int8({1, 2, 2, 3})}, 1, Options(pool));
  tflite::ConcatenationOptionsT concat;
  concat.axis = 3;
  WriteSingleOp(dir, "concatenation", 2, {x, x, Int8({1, 4, 4, 6})}, 2, Options(concat));
  WriteSingleOp(dir, "dequantize", 6, {x, Float32({1, 4, 4, 3})}, 1);
  WriteSingleOp(dir, "quantize", 114, {Float32({1, 4, 4, 3}), x}, 1);
  WriteSingleOp(dir, "requantize", 114, {x, z}, 1);
  WriteSingleOp(dir, "logistic", 14, {x, Int8({1, 4, 4, 3}, 1.0f / 256, -128)}, 1);
  WriteSingleOp(dir, "tanh", 28, {x, Int8({1, 4, 4, 3}, 1.0f / 128, 0)}, 1);
  WriteSingleOp(dir, "relu", 19, {x, z}, 1);
  WriteSingleOp(dir, "relu6", 21, {x, z}, 1);
  WriteSingleOp(dir, "pad", 34,
                {x, Constant<int32_t>({4, 2}, tflite::TensorType_INT32, {0, 0, 1, 1, 2, 0, 0, 0}),
                 Int8({1, 6, 6, 3})},
                1, Options(tflite::PadOptionsT()));
  tflite::ReducerOptionsT mean;
  mean.keep_dims = true;
  WriteSingleOp(dir, "mean", 40,
                {x, Constant<int32_t>({2}, tflite::TensorType_INT32, {1, 2}), Int8({1, 1, 1, 3})},
                1, Options(mean));
  tflite::ReshapeOptionsT reshape;
  reshape.new_shape = {1, 48};
  WriteSingleOp(dir, "reshape", 22, {x, Int8({1, 48})}, 1, Options(reshape));
  tflite::SoftmaxOptionsT softmax;
  softmax.beta = 1.0f;
  WriteSingleOp(dir, "softmax", 25, {Int8({1, 10}, 0.1f), Int8({1, 10}, 1.0f / 256, -128)}, 1,
                Options(softmax));

  // The weighted ops, per-channel, with bias.
  tflite::Conv2DOptionsT conv;
  conv.padding = tflite::Padding_SAME;
  conv.stride_h = conv.stride_w = 2;
  conv.fused_activation_function = tflite::ActivationFunctionType_RELU;
  WriteSingleOp(dir, "conv_2d", 3,
                {x, Weights({4, 3, 3, 3}, 0), Bias(4, 0.0005f), Int8({1, 2, 2, 4}, 0.1f, -5)}, 1,
                Options(conv));
  tflite::DepthwiseConv2DOptionsT depthwise;
  depthwise.padding = tflite::Padding_VALID;
  depthwise.stride_h = depthwise.stride_w = 1;
  depthwise.depth_multiplier = 2;
  WriteSingleOp(dir, "depthwise_conv_2d", 4,
                {x, Weights({1, 3, 3, 6}, 3), Bias(6, 0.0005f), Int8({1, 2, 2, 6}, 0.1f, 1)}, 1,
                Options(depthwise));
  tflite::FullyConnectedOptionsT fc;
  WriteSingleOp(dir, "fully_connected", 9,
                {Int8({1, 16}), Weights({5, 16}, 0), Bias(5, 0.0005f), Int8({1, 5}, 0.1f)}, 1,
                Options(fc));

  // A small network: CONV_2D -> AVERAGE_POOL_2D -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX.
  {
    std::vector<TensorSpec> t = {x,
                                 Weights({4, 3, 3, 3}, 0),
                                 Bias(4, 0.0005f),
                                 Int8({1, 2, 2, 4}, 0.1f, -5),
                                 Int8({1, 1, 1, 4}, 0.1f, -5),
                                 Int8({1, 4}, 0.1f, -5),
                                 Weights({3, 4}, 0),
                                 Bias(3, 0.001f),
                                 Int8({1, 3}, 0.2f),
                                 Int8({1, 3}, 1.0f / 256, -128)};
    tflite::Pool2DOptionsT global;
    global.padding = tflite::Padding_VALID;
    global.stride_h = global.stride_w = 1;
    global.filter_height = global.filter_width = 2;
    std::vector<OpSpec> ops;
    ops.push_back({3, {0, 1, 2}, {3}, Options(conv)});
    ops.push_back({1, {3}, {4}, Options(global)});
    ops.push_back({22, {4}, {5}, Options(tflite::ReshapeOptionsT())});
    ops.push_back({9, {5, 6, 7}, {8}, Options(tflite::FullyConnectedOptionsT())});
    ops.push_back({25, {8}, {9}, Options(softmax)});
    Write(dir, "network", t, std::move(ops), {0}, {9});
  }
  return 0;
}
