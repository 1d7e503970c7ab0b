// XC_conv2d_v2 (xcore-opt's convolution) on the xs3 device, op by op:
// decoding and validation of its options, and bit-exactness with XMOS's host
// interpreter on every XC_conv2d_v2 of every xformed bundled model: inputs
// and expected outputs from tests/data/xmos/<model>/<config>/intermediates_input_00
// (tests/oracle_tools/generate_xmos_oracle.py), plus the XC_pad outputs that
// leaves out, from tests/data/xmos/ops/conv2d_v2
// (tests/oracle_tools/generate_xc_op_cases.py).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "devices/xs3/lowered_op.h"
#include "devices/xs3/vpu.h"
#include "devices/xs3/weight_layout.h"
#include "devices/xs3/xc/xc_lowering.h"
#include "engine/model.h"
#include "engine/xcore_ops/xcore_conv2d_v2.h"
#include "flatbuffers/flexbuffers.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/model_builder.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xs3 {
namespace {

using ::tinyserve::testing::LoadFails;
using ::tinyserve::testing::LoadTestModel;
using ::tinyserve::testing::ModelBuilder;
using ::tinyserve::testing::PerTensor;
using ::tinyserve::testing::ReadBytes;
using ::tinyserve::testing::TestDataPath;
using ::tinyserve::testing::XformedModelCases;

uint8_t* BytesOf(std::vector<Vector32>& v) { return reinterpret_cast<uint8_t*>(v.data()); }

// Runs operator `op` of `model` (an XC_conv2d_v2) alone on the xs3 kernel,
// with lib_nn's VLASHR rounding (the host interpreter's), and returns its
// output. `partial` is input 3 when the op has one.
std::vector<uint8_t> RunOp(const Model& model, const Operator& op, const std::vector<uint8_t>& input,
                           const std::vector<uint8_t>* partial = nullptr,
                           KernelContext* ctx_out = nullptr) {
  Lowering l = LowerXcConv2dV2(model, op);
  EXPECT_NE(l.op, nullptr) << l.reason;
  if (l.op == nullptr) return {};
  Vpu vpu(VlashrRounding::kLibNn2024);
  KernelContext ctx;
  ctx.vpu = &vpu;
  std::vector<Vector32> scratch(l.op->scratch_bytes() / 32 + 1);
  ctx.scratch = BytesOf(scratch);
  ctx.scratch_bytes = scratch.size() * 32;
  // Inputs live in 32-byte-aligned buffers, as in the arena.
  std::vector<Vector32> in(input.size() / 32 + 1);
  std::memcpy(BytesOf(in), input.data(), input.size());
  std::vector<Vector32> part;
  if (partial != nullptr) {
    part.resize(partial->size() / 32 + 1);
    std::memcpy(BytesOf(part), partial->data(), partial->size());
  }
  const TensorInfo& out_info = model.tensor(op.outputs[0]);
  std::vector<Vector32> out(out_info.bytes / 32 + 1);
  const void* inputs[5] = {BytesOf(in), model.tensor(op.inputs[1]).data.data(),
                           model.tensor(op.inputs[2]).data.data(),
                           partial != nullptr ? BytesOf(part) : nullptr, nullptr};
  void* outputs[1] = {BytesOf(out)};
  l.op->Run(ctx, inputs, outputs);
  if (ctx_out != nullptr) {
    ctx_out->region_count = ctx.region_count;
    std::copy(std::begin(ctx.region_slots), std::end(ctx.region_slots), ctx_out->region_slots);
  }
  return std::vector<uint8_t>(BytesOf(out), BytesOf(out) + out_info.bytes);
}

// ---------------------------------------------------------------------------
// Every xformed model of the XMOS oracle.

std::vector<std::string> XformedModelDirs() {
  std::vector<std::string> dirs;
  for (const std::string& c : XformedModelCases()) dirs.push_back(TestDataPath("xmos/" + c));
  return dirs;
}

TEST(XcConv2dV2Test, EveryConvInEveryXformedModelDecodesAndLowers) {
  const auto dirs = XformedModelDirs();
  ASSERT_FALSE(dirs.empty()) << "no xformed models under " << TestDataPath("xmos");
  int ops = 0;
  std::set<std::pair<int, int>> kinds;  // (kernel type, output transform type)
  for (const std::string& dir : dirs) {
    auto model = Model::LoadFile(dir + "/model.xc.tflite");
    ASSERT_TRUE(model.ok()) << dir << ": " << model.status();
    for (const Operator& op : (*model)->operators()) {
      if (op.type != OpType::kXcConv2dV2) continue;
      const auto* data = OpDataAs<XcConv2dV2Data>((*model)->op_data(op.index));
      ASSERT_NE(data, nullptr) << dir << " op " << op.index;
      kinds.insert({static_cast<int>(data->kernel_type),
                    static_cast<int>(data->output_transform_type)});
      Lowering l = LowerXcConv2dV2(**model, op);
      ASSERT_NE(l.op, nullptr) << dir << " op " << op.index << ": " << l.reason;
      EXPECT_EQ(l.op->work_units(), static_cast<int64_t>(data->regions.size()));
      ++ops;
    }
  }
  EXPECT_GT(ops, 100);
  // What xcore-opt 1.4.2 writes for the bundled models: direct, im2col and
  // depthwise kernels; channelwise transforms on some depthwise ones.
  EXPECT_TRUE(kinds.count({0, 0}) && kinds.count({1, 0}) && kinds.count({3, 0}) &&
              kinds.count({3, 1}));
}

// The per-op outputs of `dir`'s xformed model for input_00: tensor index →
// file path.
std::map<int, std::string> StoredTensors(const std::string& dir) {
  std::map<int, std::string> files;
  std::ifstream index_file(dir + "/index.json");
  if (!index_file) return files;
  const nlohmann::json index = nlohmann::json::parse(index_file);
  if (!index.contains("sets") || !index["sets"].contains("intermediates")) return files;
  const std::string inter = dir + "/" + index["sets"]["intermediates"]["dir"].get<std::string>();
  std::ifstream tensors_file(inter + "/tensors.json");
  if (!tensors_file) return files;
  for (const auto& t : nlohmann::json::parse(tensors_file)) {
    files[t["index"].get<int>()] = inter + "/" + t["file"].get<std::string>();
  }
  // The XC_pad outputs it leaves out, from generate_xc_op_cases.py.
  const std::string ops = TestDataPath("xmos/ops/conv2d_v2");
  std::ifstream ops_file(ops + "/index.json");
  if (!ops_file) return files;
  const nlohmann::json ops_index = nlohmann::json::parse(ops_file);
  const std::filesystem::path path(dir);
  const std::string key = path.parent_path().filename().string() + "/" + path.filename().string();
  if (ops_index["tensors"].contains(key)) {
    for (const auto& [tensor, file] : ops_index["tensors"][key].items()) {
      files[std::stoi(tensor)] = ops + "/" + file.get<std::string>();
    }
  }
  return files;
}

TEST(XcConv2dV2Test, BitExactWithHostInterpreterOnEveryStoredOpInput) {
  int checked = 0, skipped = 0;
  std::set<std::pair<int, int>> kinds;
  int multi_region = 0;
  for (const std::string& dir : XformedModelDirs()) {
    const auto stored = StoredTensors(dir);
    if (stored.empty()) continue;
    auto model = Model::LoadFile(dir + "/model.xc.tflite");
    ASSERT_TRUE(model.ok()) << model.status();
    for (const Operator& op : (*model)->operators()) {
      if (op.type != OpType::kXcConv2dV2) continue;
      const bool has_partial = op.inputs.size() > 3 && op.inputs[3] >= 0;
      if (!stored.count(op.inputs[0]) || !stored.count(op.outputs[0]) ||
          (has_partial && !stored.count(op.inputs[3]))) {
        ++skipped;
        continue;
      }
      const auto input = ReadBytes(stored.at(op.inputs[0]));
      const auto expected = ReadBytes(stored.at(op.outputs[0]));
      std::vector<uint8_t> partial;
      if (has_partial) partial = ReadBytes(stored.at(op.inputs[3]));
      KernelContext ctx;
      const auto got = RunOp(**model, op, input, has_partial ? &partial : nullptr, &ctx);
      ASSERT_EQ(got.size(), expected.size());
      int differing = 0;
      for (size_t i = 0; i < got.size(); ++i) differing += got[i] != expected[i];
      EXPECT_EQ(differing, 0) << dir << " op " << op.index << ": " << differing << " of "
                              << got.size() << " bytes differ";
      const auto& data = dynamic_cast<const XcConv2dV2Data&>((*model)->op_data(op.index));
      EXPECT_EQ(ctx.region_count, static_cast<int>(data.regions.size()));
      for (int r = 0; r < ctx.region_count; ++r) EXPECT_GT(ctx.region_slots[r], 0);
      multi_region += data.regions.size() > 1;
      kinds.insert({static_cast<int>(data.kernel_type),
                    static_cast<int>(data.output_transform_type)});
      ++checked;
    }
  }
  std::printf("XC_conv2d_v2 ops checked against the host interpreter: %d (%d multi-thread), "
              "%d without a stored input\n",
              checked, multi_region, skipped);
  // Every XC_conv2d_v2 of every xformed model, every kind among them.
  EXPECT_EQ(skipped, 0);
  EXPECT_GT(checked, 150);
  EXPECT_GT(multi_region, 20);
  EXPECT_TRUE(kinds.count({0, 0}) && kinds.count({1, 0}) && kinds.count({3, 0}) &&
              kinds.count({3, 1}));
}

// ---------------------------------------------------------------------------
// Hand-built options: a 1x1 direct conv, 32 input channels -> 16 outputs.

std::string Int32s(std::initializer_list<int32_t> values) {
  std::string s;
  for (int32_t v : values) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((static_cast<uint32_t>(v) >> (8 * i)) & 0xFF));
  }
  return s;
}

struct ConvOptions {
  std::string mp = Int32s({32, 32});                // bytes per row, per pixel
  std::string a = Int32s({512, 0, 0, 0, 0, 0});     // 1x1 tap, one 32-byte chunk
  std::string o = Int32s({16, 0});                  // 16 channels, shifts 0, 0
  std::vector<std::string> p = {Int32s({0, 1, 0, 1, 0, 1, 0, 0, 16, 0}) + "00"};
  int64_t s = 0, k = 0, t = 0;

  std::vector<uint8_t> Encode() const {
    flexbuffers::Builder fbb;
    const size_t map = fbb.StartMap();
    fbb.Key("mp");
    fbb.String(mp.data(), mp.size());
    fbb.Key("a");
    fbb.String(a.data(), a.size());
    fbb.Key("o");
    fbb.String(o.data(), o.size());
    const size_t vec = fbb.StartVector("p");
    for (const std::string& region : p) fbb.String(region.data(), region.size());
    fbb.EndVector(vec, false, false);
    fbb.Int("s", s);
    fbb.Int("k", k);
    fbb.Int("t", t);
    fbb.EndMap(map);
    fbb.Finish();
    return fbb.GetBuffer();
  }
};

// input [1,1,1,32] of ones; weights all 1; channel c gets bias 256 c - 32, so
// its 16-bit value before the final >> 8 is 256 c: output c.
std::vector<uint8_t> ConvModel(const ConvOptions& options, int weight_bytes = 512) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 1, 1, 32}, PerTensor(0.5f, 0));
  const int w = b.AddConstant(tflite::TensorType_INT8, {weight_bytes},
                              std::vector<int8_t>(static_cast<size_t>(weight_bytes), 1));
  std::vector<int16_t> mb(32);
  for (int c = 0; c < 16; ++c) {
    mb[c] = 16384;  // 1.0 in VLMUL's Q14
    mb[16 + c] = static_cast<int16_t>(256 * c - 32);
  }
  const int m = b.AddConstant(tflite::TensorType_INT16, {32}, mb);
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 1, 1, 16}, PerTensor(0.5f, 0));
  b.AddCustomOperator("XC_conv2d_v2", {in, w, m}, {out}, options.Encode());
  return b.Finish();
}

TEST(XcConv2dV2Test, HandBuiltDirectConvComputesLibNnArithmetic) {
  auto model = LoadTestModel(ConvModel(ConvOptions{}));
  ASSERT_TRUE(model.ok()) << model.status();
  const auto got = RunOp(**model, (*model)->operators()[0], std::vector<uint8_t>(32, 1));
  ASSERT_EQ(got.size(), 16u);
  for (int c = 0; c < 16; ++c) EXPECT_EQ(static_cast<int8_t>(got[c]), c) << "channel " << c;
}

TEST(XcConv2dV2Test, TruncatedParameterStructIsRefused) {
  ConvOptions o;
  o.a.resize(20);
  EXPECT_TRUE(LoadFails(ConvModel(o), absl::StatusCode::kInvalidArgument,
                        {"XC_conv2d_v2", "option 'a'", "20 bytes", "mat_mul_direct_params_t"}));
  ConvOptions p;
  p.p[0].resize(30);
  EXPECT_TRUE(LoadFails(ConvModel(p), absl::StatusCode::kInvalidArgument,
                        {"option 'p'", "abstract_kernel_params_t"}));
}

TEST(XcConv2dV2Test, InconsistentSizesAreRefused) {
  ConvOptions a;
  a.a = Int32s({480, 0, 0, 0, 0, 0});
  EXPECT_TRUE(LoadFails(ConvModel(a), absl::StatusCode::kInvalidArgument,
                        {"option 'a'", "bytes_per_kernel_channel 480"}));
  // Weights one vector short of what the group reads.
  EXPECT_TRUE(LoadFails(ConvModel(ConvOptions{}, 480), absl::StatusCode::kInvalidArgument,
                        {"input 1", "480 bytes"}));
  // A region past the output, and one whose pixels write past it.
  ConvOptions rows;
  rows.p = {Int32s({0, 2, 0, 1, 0, 1, 0, 0, 16, 0}) + "00"};
  EXPECT_TRUE(LoadFails(ConvModel(rows), absl::StatusCode::kInvalidArgument,
                        {"option 'p'", "element 0", "rows [0, 2)"}));
  ConvOptions offset;
  offset.p = {Int32s({0, 1, 0, 1, 0, 1, 4, 0, 16, 0}) + "00"};
  EXPECT_TRUE(LoadFails(ConvModel(offset), absl::StatusCode::kInvalidArgument,
                        {"option 'p'", "writes output bytes [4, 20) of 16"}));
  // An input offset that reads before the input.
  ConvOptions input;
  input.p = {Int32s({0, 1, 0, 1, 0, 1, 0, 0, 16, -4}) + "00"};
  EXPECT_TRUE(LoadFails(ConvModel(input), absl::StatusCode::kInvalidArgument,
                        {"option 'p'", "reads input"}));
  // More channels than the output has.
  ConvOptions channels;
  channels.o = Int32s({17, 0});
  EXPECT_TRUE(LoadFails(ConvModel(channels), absl::StatusCode::kInvalidArgument,
                        {"option 'o'", "output_slice_channel_count 17"}));
  ConvOptions no_regions;
  no_regions.p.clear();
  EXPECT_TRUE(LoadFails(ConvModel(no_regions), absl::StatusCode::kInvalidArgument,
                        {"option 'p'", "0 thread regions"}));
}

TEST(XcConv2dV2Test, UnknownAndUnsupportedKernelTypesAreRefused) {
  ConvOptions unknown;
  unknown.k = 42;
  EXPECT_TRUE(LoadFails(ConvModel(unknown), absl::StatusCode::kInvalidArgument,
                        {"XC_conv2d_v2", "option 'k'", "42"}));
  ConvOptions binary;
  binary.k = 5;
  EXPECT_TRUE(LoadFails(ConvModel(binary), absl::StatusCode::kUnimplemented,
                        {"kernel type BNNConv2DValidDirectBinary (5)"}));
  ConvOptions transform;
  transform.t = 2;
  EXPECT_TRUE(LoadFails(ConvModel(transform), absl::StatusCode::kInvalidArgument, {"option 't'"}));
  ConvOptions shift;
  shift.o = Int32s({16}) + std::string("\x00\x00\x10\x00", 4);  // final_shr 16
  EXPECT_TRUE(LoadFails(ConvModel(shift), absl::StatusCode::kUnimplemented, {"final_shr 16"}));
}

TEST(XcConv2dV2Test, MissingOptionIsRefused) {
  const ConvOptions o;
  flexbuffers::Builder fbb;
  fbb.Map([&] {
    fbb.Int("k", 0);
    fbb.Int("t", 0);
  });
  fbb.Finish();
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 1, 1, 32}, PerTensor(0.5f, 0));
  const int w = b.AddConstant(tflite::TensorType_INT8, {512}, std::vector<int8_t>(512, 1));
  const int m = b.AddConstant(tflite::TensorType_INT16, {32}, std::vector<int16_t>(32, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 1, 1, 16}, PerTensor(0.5f, 0));
  b.AddCustomOperator("XC_conv2d_v2", {in, w, m}, {out}, fbb.GetBuffer());
  EXPECT_TRUE(LoadFails(b.Finish(), absl::StatusCode::kInvalidArgument, {"option 's'", "missing"}));
}

}  // namespace
}  // namespace tinyserve::xs3
