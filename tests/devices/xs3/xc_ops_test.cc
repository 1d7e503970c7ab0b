// XMOS's data-movement and element-wise operators (XC_no_op, XC_pad_3_to_4,
// XC_pad_1_to_4, XC_pad, XC_slice, XC_add, XC_lookup, XC_softmax) on xs3:
// - bit-exact with XMOS's host interpreter on single-op cases
//   (tests/data/xmos/ops, made by tests/oracle_tools/generate_xc_data_op_cases.py;
//   the expected outputs come from XMOS's tools, never from tinyserve);
// - their options decoded and checked: hostile values get a clear status
//   naming the operator and the option;
// - every such operator in every xformed bundled model decodes.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "devices/device_registry.h"
#include "devices/xs3/lowered_op.h"
#include "devices/xs3/vpu.h"
#include "devices/xs3/weight_layout.h"
#include "devices/xs3/xc/xc_elementwise_kernel.h"
#include "devices/xs3/xc/xc_lowering.h"
#include "devices/xs3/xc/xc_thread_split.h"
#include "engine/model.h"
#include "engine/model_bytes.h"
#include "engine/tflite_reader.h"
#include "engine/xcore_ops/xcore_data_movement.h"
#include "engine/xcore_ops/xcore_elementwise.h"
#include "engine/xcore_ops/xcore_ops.h"
#include "flatbuffers/flexbuffers.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/model_builder.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xs3 {
namespace {

using ::tinyserve::testing::ModelBuilder;
using ::tinyserve::testing::PerTensor;
using ::tinyserve::testing::ReadBytes;
using ::tinyserve::testing::TestDataPath;

// ---- Single-op cases against XMOS's host interpreter.

struct OpCase {
  std::string op, name, model;
  std::vector<std::string> inputs;
  std::string output;
  int vectors = 0;
  int threads = 1;
};

std::vector<OpCase> OpCases() {
  std::vector<OpCase> cases;
  std::ifstream in(TestDataPath("xmos/ops/index.json"));
  if (!in) return cases;
  const nlohmann::json index = nlohmann::json::parse(in);
  for (const auto& c : index["cases"]) {
    OpCase oc;
    oc.op = c["op"];
    oc.name = c["name"];
    oc.model = c["model"];
    for (const auto& f : c["inputs"]) oc.inputs.push_back(f);
    oc.output = c["output"];
    oc.vectors = c["vectors"];
    oc.threads = c["threads"];
    cases.push_back(oc);
  }
  return cases;
}

std::string OpsPath(const std::string& relative) { return TestDataPath("xmos/ops/" + relative); }

// 32-byte aligned buffers for the VPU emulator's operands.
struct AlignedBuffer {
  explicit AlignedBuffer(size_t bytes) : vectors((bytes + 31) / 32 + 1) {}
  uint8_t* data() { return vectors.data()->bytes; }
  std::vector<Vector32> vectors;
};

class XcOpCaseTest : public ::testing::TestWithParam<OpCase> {};

// Runs the case's lowered op (for lookup and softmax: built with `threads`,
// which a single-op file cannot reveal to XmosModelThreadCount) on its own
// KernelContext, vector by vector; returns the output bytes that differ from
// XMOS's (reporting the first few when `report`).
int DifferingBytes(const OpCase& c, int threads, bool report) {
  int differing = 0;
  [&] {
    auto model = Model::LoadFile(OpsPath(c.model));
    ASSERT_TRUE(model.ok()) << model.status();
    ASSERT_EQ((*model)->operators().size(), 1u);
    const Operator& op = (*model)->operators()[0];
    std::unique_ptr<LoweredOp> kernel;
    if (op.type == OpType::kXcSoftmax) {
      const auto* data = OpDataAs<XcSoftmaxData>((*model)->op_data(0));
      ASSERT_NE(data, nullptr);
      kernel = std::make_unique<XcSoftmaxKernel>(*data, threads);
    } else if (op.type == OpType::kXcLookup) {
      const auto* data = OpDataAs<XcLookupData>((*model)->op_data(0));
      ASSERT_NE(data, nullptr);
      kernel = std::make_unique<XcLookupKernel>(*data, threads);
    } else {
      Lowering l = LowerXcoreOp(**model, op);
      ASSERT_NE(l.op, nullptr) << l.reason;
      kernel = std::move(l.op);
    }

    std::vector<std::vector<uint8_t>> inputs;
    for (const std::string& f : c.inputs) inputs.push_back(ReadBytes(OpsPath(f)));
    const std::vector<uint8_t> expected = ReadBytes(OpsPath(c.output));
    const size_t out_bytes = (*model)->tensor(op.outputs[0]).bytes;
    ASSERT_EQ(expected.size(), out_bytes * c.vectors);

    Vpu vpu;
    AlignedBuffer scratch(kernel->scratch_bytes());
    AlignedBuffer out(out_bytes);
    std::vector<AlignedBuffer> in_buffers;
    std::vector<const void*> in_ptrs;
    for (int t : op.inputs) {
      const TensorInfo& info = (*model)->tensor(t);
      in_buffers.emplace_back(info.bytes);
      if (info.is_constant()) std::memcpy(in_buffers.back().data(), info.data.data(), info.bytes);
    }
    for (auto& b : in_buffers) in_ptrs.push_back(b.data());
    void* out_ptr = out.data();
    for (int v = 0; v < c.vectors; ++v) {
      size_t k = 0;
      for (size_t i = 0; i < op.inputs.size(); ++i) {
        const TensorInfo& info = (*model)->tensor(op.inputs[i]);
        if (info.is_constant()) continue;
        ASSERT_EQ(inputs[k].size(), info.bytes * c.vectors);
        std::memcpy(in_buffers[i].data(), inputs[k].data() + v * info.bytes, info.bytes);
        ++k;
      }
      std::memset(out.data(), 0x5A, out_bytes);  // stale bytes must be overwritten
      KernelContext ctx;
      ctx.vpu = &vpu;
      ctx.scratch = scratch.data();
      ctx.scratch_bytes = kernel->scratch_bytes();
      kernel->Run(ctx, in_ptrs.data(), &out_ptr);
      EXPECT_GE(ctx.region_count, 1) << "an XC op reports its thread regions";
      for (size_t i = 0; i < out_bytes; ++i) {
        const int got = static_cast<int8_t>(out.data()[i]);
        const int want = static_cast<int8_t>(expected[v * out_bytes + i]);
        if (got != want && differing++ < 5 && report) {
          ADD_FAILURE() << c.model << " vector " << v << " byte " << i << ": xs3 " << got
                        << ", XMOS " << want;
        }
      }
    }
  }();
  return differing;
}

TEST_P(XcOpCaseTest, KernelIsBitExactWithXmosHostInterpreter) {
  EXPECT_EQ(DifferingBytes(GetParam(), GetParam().threads, /*report=*/true), 0);
}

// The same file through the xs3 device (compile, session, invoke): the
// thread count comes from the file's xcoreSharedConfig metadata.
TEST_P(XcOpCaseTest, DeviceIsBitExactWithXmosHostInterpreter) {
  const OpCase& c = GetParam();
  auto model = Model::LoadFile(OpsPath(c.model));
  ASSERT_TRUE(model.ok()) << model.status();
  auto device = CreateDevice("xs3");
  ASSERT_TRUE(device.ok()) << device.status();
  auto exe = (*device)->Compile(*model);
  ASSERT_TRUE(exe.ok()) << exe.status();
  auto session = (*exe)->NewSession();
  ASSERT_TRUE(session.ok()) << session.status();
  std::vector<std::vector<uint8_t>> inputs;
  for (const std::string& f : c.inputs) inputs.push_back(ReadBytes(OpsPath(f)));
  const std::vector<uint8_t> expected = ReadBytes(OpsPath(c.output));
  const size_t out_bytes = (*model)->output(0).bytes;
  ASSERT_EQ(static_cast<size_t>((*model)->num_inputs()), inputs.size());
  for (int v = 0; v < c.vectors; ++v) {
    for (int i = 0; i < (*model)->num_inputs(); ++i) {
      const size_t n = (*model)->input(i).bytes;
      std::copy_n(inputs[i].begin() + v * n, n, (*session)->input(i).begin());
    }
    auto stats = (*session)->Invoke(InvokeOptions{});
    ASSERT_TRUE(stats.ok()) << stats.status();
    const auto got = (*session)->output(0);
    ASSERT_EQ(got.size(), out_bytes);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), expected.begin() + v * out_bytes))
        << c.model << " vector " << v;
  }
}

INSTANTIATE_TEST_SUITE_P(XmosHostInterpreter, XcOpCaseTest, ::testing::ValuesIn(OpCases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) {
                           std::string name = info.param.op.substr(3) + "_" + info.param.name;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(XcOpCasesTest, EveryOperatorHasCases) {
  std::set<std::string> ops;
  for (const OpCase& c : OpCases()) ops.insert(c.op);
  for (const std::string op : {"XC_no_op", "XC_pad_3_to_4", "XC_pad_1_to_4", "XC_pad", "XC_slice",
                               "XC_add", "XC_lookup", "XC_softmax"}) {
    EXPECT_TRUE(ops.count(op)) << op << " has no case in tests/data/xmos/ops/index.json";
  }
}

// ---- The thread split that decides XC_softmax's float sums.

// The multi-thread softmax cases hold vectors whose result the split changes,
// so summing on one thread instead must be caught.
TEST(XcOpCasesTest, SoftmaxCasesDetectAWrongThreadSplit) {
  int cases = 0;
  for (const OpCase& c : OpCases()) {
    if (c.op != "XC_softmax" || c.threads == 1 || c.vectors <= 6) continue;
    ++cases;
    EXPECT_GT(DifferingBytes(c, 1, /*report=*/false), 0) << c.model;
  }
  EXPECT_GE(cases, 3);
}

TEST(AlignedThreadSplitTest, MatchesLibNnSplits) {
  auto ranges = [](int threads, int64_t size) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const ElementRange& r : AlignedThreadSplit(threads, size)) out.push_back({r.begin, r.end});
    return out;
  };
  using R = std::vector<std::pair<int64_t, int64_t>>;
  EXPECT_EQ(ranges(1, 10), (R{{0, 10}}));
  EXPECT_EQ(ranges(5, 2), (R{{0, 2}}));                    // one thread's worth
  EXPECT_EQ(ranges(5, 10), (R{{0, 4}, {4, 8}, {8, 10}}));  // 4,3,3: 7 rounds up to 8
  EXPECT_EQ(ranges(5, 12), (R{{0, 4}, {4, 8}, {8, 12}}));
  EXPECT_EQ(ranges(5, 37), (R{{0, 8}, {8, 16}, {16, 24}, {24, 32}, {32, 37}}));
  EXPECT_EQ(ranges(3, 16), (R{{0, 8}, {8, 12}, {12, 16}}));  // 6,5,5: 6 -> 8 (up), 11 -> 12
  EXPECT_EQ(ranges(5, 0), (R{{0, 0}}));
}

// ---- Option decoding on hand-built operators.

struct Opt {
  std::string key;
  enum Kind { kInt, kBool, kString } kind = kInt;
  int64_t value = 0;
};

std::vector<uint8_t> Options(const std::vector<Opt>& opts) {
  flexbuffers::Builder fbb;
  fbb.Map([&] {
    for (const Opt& o : opts) {
      switch (o.kind) {
        case Opt::kInt: fbb.Int(o.key.c_str(), o.value); break;
        case Opt::kBool: fbb.Bool(o.key.c_str(), o.value != 0); break;
        case Opt::kString: fbb.String(o.key.c_str(), "x"); break;
      }
    }
  });
  fbb.Finish();
  return fbb.GetBuffer();
}

// Replaces (or, with kind kString and key "-name", removes) one option.
std::vector<Opt> With(std::vector<Opt> opts, const Opt& change) {
  std::vector<Opt> out;
  bool replaced = false;
  for (const Opt& o : opts) {
    if ("-" + o.key == change.key) continue;
    if (o.key == change.key) {
      out.push_back(change);
      replaced = true;
    } else {
      out.push_back(o);
    }
  }
  if (!replaced && change.key[0] != '-') out.push_back(change);
  return out;
}

// [1,3,5,4] padded by 1 on every side to [1,5,7,4].
std::vector<Opt> PadOptions() {
  return {{"s", Opt::kInt, 7 * 4 + 4}, {"l", Opt::kInt, 20},  {"n", Opt::kInt, 2},
          {"p", Opt::kInt, 8},         {"e", Opt::kInt, 4 + 28}, {"z", Opt::kInt, -128},
          {"v", Opt::kBool, 1}};
}

absl::Status LoadPad(const std::vector<Opt>& opts) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 3, 5, 4}, PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 5, 7, 4}, PerTensor(0.5f, 0));
  b.AddCustomOperator("XC_pad", {in}, {out}, Options(opts));
  return Model::LoadBuffer(b.Finish(), "pad").status();
}

void ExpectInvalid(const absl::Status& status, const std::string& op, const std::string& what) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(op), std::string::npos) << status;
  EXPECT_NE(status.message().find(what), std::string::npos) << status;
}

TEST(XcOptionsTest, PadAcceptsAConsistentPlan) { EXPECT_TRUE(LoadPad(PadOptions()).ok()); }

TEST(XcOptionsTest, PadRefusesMissingWrongTypedAndInconsistentOptions) {
  ExpectInvalid(LoadPad(With(PadOptions(), {"-s", Opt::kString})), "XC_pad", "option 's': missing");
  ExpectInvalid(LoadPad(With(PadOptions(), {"l", Opt::kString})), "XC_pad",
                "option 'l': not an integer");
  ExpectInvalid(LoadPad(With(PadOptions(), {"v", Opt::kString})), "XC_pad",
                "option 'v': not a boolean");
  ExpectInvalid(LoadPad(With(PadOptions(), {"n", Opt::kInt, -1})), "XC_pad", "option 'n'");
  ExpectInvalid(LoadPad(With(PadOptions(), {"n", Opt::kInt, int64_t{1} << 40})), "XC_pad",
                "option 'n'");
  // One row too many would read past the input.
  ExpectInvalid(LoadPad(With(PadOptions(), {"n", Opt::kInt, 3})), "XC_pad", "the input has 60");
  // A fill past the output.
  ExpectInvalid(LoadPad(With(PadOptions(), {"e", Opt::kInt, 33})), "XC_pad",
                "the output has 140");
  ExpectInvalid(LoadPad(With(PadOptions(), {"s", Opt::kInt, 0x7FFFFFFF})), "XC_pad",
                "the output has 140");
}

absl::Status LoadSlice(const std::vector<Opt>& opts) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 3, 8, 4}, PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 3, 4, 4}, PerTensor(0.5f, 0));
  b.AddCustomOperator("XC_slice", {in}, {out}, Options(opts));
  return Model::LoadBuffer(b.Finish(), "slice").status();
}

std::vector<Opt> SliceOptions() {
  return {{"s", Opt::kInt, 8}, {"o", Opt::kInt, 32}, {"l", Opt::kInt, 16}, {"n", Opt::kInt, 3},
          {"v", Opt::kBool, 1}};
}

TEST(XcOptionsTest, SliceRefusesRunsOutsideItsTensors) {
  EXPECT_TRUE(LoadSlice(SliceOptions()).ok());
  ExpectInvalid(LoadSlice(With(SliceOptions(), {"s", Opt::kInt, 17})), "XC_slice",
                "past the input's 96");
  ExpectInvalid(LoadSlice(With(SliceOptions(), {"o", Opt::kInt, 40})), "XC_slice",
                "past the input's 96");
  ExpectInvalid(LoadSlice(With(SliceOptions(), {"o", Opt::kInt, -32})), "XC_slice", "option 'o'");
  ExpectInvalid(LoadSlice(With(SliceOptions(), {"n", Opt::kInt, 2})), "XC_slice",
                "the output has 48");
  ExpectInvalid(LoadSlice(With(SliceOptions(), {"-v", Opt::kString})), "XC_slice",
                "option 'v': missing");
}

absl::Status LoadPadTo4(const std::string& name, int in_channels, std::vector<int32_t> out_shape,
                        const std::vector<Opt>& opts) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 2, 3, in_channels}, PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, std::move(out_shape), PerTensor(0.5f, 0));
  b.AddCustomOperator(name, {in}, {out}, Options(opts));
  return Model::LoadBuffer(b.Finish(), "pad_to_4").status();
}

TEST(XcOptionsTest, PadTo4ChecksShapesAndItsPadWord) {
  EXPECT_TRUE(LoadPadTo4("XC_pad_3_to_4", 3, {1, 2, 3, 4}, {{"pv", Opt::kInt, -2139062144}}).ok());
  EXPECT_TRUE(LoadPadTo4("XC_pad_1_to_4", 1, {1, 2, 3, 4}, {{"pv", Opt::kInt, 0x80808080}}).ok());
  ExpectInvalid(LoadPadTo4("XC_pad_3_to_4", 3, {1, 2, 3, 4}, {}), "XC_pad_3_to_4",
                "option 'pv': missing");
  ExpectInvalid(LoadPadTo4("XC_pad_1_to_4", 1, {1, 2, 3, 4}, {{"pv", Opt::kInt, int64_t{1} << 33}}),
                "XC_pad_1_to_4", "option 'pv'");
  ExpectInvalid(LoadPadTo4("XC_pad_3_to_4", 1, {1, 2, 3, 4}, {{"pv", Opt::kInt, 0}}),
                "XC_pad_3_to_4", "expected shape [1, 2, 3, 3]");
  ExpectInvalid(LoadPadTo4("XC_pad_1_to_4", 1, {1, 2, 4, 4}, {{"pv", Opt::kInt, 0}}),
                "XC_pad_1_to_4", "expected shape [1, 2, 4, 1]");
  ExpectInvalid(LoadPadTo4("XC_pad_3_to_4", 3, {1, 2, 3, 8}, {{"pv", Opt::kInt, 0}}),
                "XC_pad_3_to_4", "expected shape [1, H, W, 4]");
}

TEST(XcOptionsTest, NoOpKeepsEveryByte) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 8}, PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 2, 2}, PerTensor(0.5f, 0));
  b.AddCustomOperator("XC_no_op", {in}, {out});
  ExpectInvalid(Model::LoadBuffer(b.Finish(), "no_op").status(), "XC_no_op", "has 4 bytes");
}

absl::Status LoadAdd(const std::vector<Opt>& opts, std::vector<int32_t> shape2 = {1, 20}) {
  ModelBuilder b;
  const int in1 = b.AddInput(tflite::TensorType_INT8, {1, 20}, PerTensor(0.5f, 0));
  const int in2 = b.AddInput(tflite::TensorType_INT8, std::move(shape2), PerTensor(0.5f, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 20}, PerTensor(0.5f, 0));
  b.AddCustomOperator("XC_add", {in1, in2}, {out}, Options(opts));
  return Model::LoadBuffer(b.Finish(), "add").status();
}

std::vector<Opt> AddOptions() {
  return {{"m1", Opt::kInt, 3167}, {"m2", Opt::kInt, 8377}, {"bias", Opt::kInt, -152393},
          {"shift", Opt::kInt, 12}};
}

TEST(XcOptionsTest, AddRefusesValuesLibNnCannotHold) {
  EXPECT_TRUE(LoadAdd(AddOptions()).ok());
  ExpectInvalid(LoadAdd(With(AddOptions(), {"m1", Opt::kInt, 40000})), "XC_add",
                "option 'm1': 40000 is outside [-32768, 32767]");
  ExpectInvalid(LoadAdd(With(AddOptions(), {"shift", Opt::kInt, 0})), "XC_add", "option 'shift'");
  ExpectInvalid(LoadAdd(With(AddOptions(), {"shift", Opt::kInt, 31})), "XC_add", "option 'shift'");
  ExpectInvalid(LoadAdd(With(AddOptions(), {"bias", Opt::kInt, int64_t{1} << 31})), "XC_add",
                "option 'bias'");
  ExpectInvalid(LoadAdd(With(AddOptions(), {"-m2", Opt::kString})), "XC_add",
                "option 'm2': missing");
  ExpectInvalid(LoadAdd(AddOptions(), {1, 4}), "XC_add", "does not broadcast");
}

absl::Status LoadTableOp(const std::string& name, tflite::TensorType table_type, int entries) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 10}, PerTensor(0.5f, 0));
  const size_t entry_bytes = table_type == tflite::TensorType_FLOAT32 ? 4 : 1;
  const int table = b.AddConstantTensor(table_type, {entries},
                                        std::vector<uint8_t>(entries * entry_bytes, 0));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 10}, PerTensor(0.5f, 0));
  b.AddCustomOperator(name, {in, table}, {out});
  return Model::LoadBuffer(b.Finish(), "table").status();
}

TEST(XcOptionsTest, LookupAndSoftmaxNeedTheirTables) {
  EXPECT_TRUE(LoadTableOp("XC_lookup", tflite::TensorType_UINT8, 256).ok());
  EXPECT_TRUE(LoadTableOp("XC_softmax", tflite::TensorType_FLOAT32, 256).ok());
  ExpectInvalid(LoadTableOp("XC_lookup", tflite::TensorType_UINT8, 255), "XC_lookup",
                "256 uint8");
  ExpectInvalid(LoadTableOp("XC_softmax", tflite::TensorType_FLOAT32, 128), "XC_softmax",
                "256 float32");
  ExpectInvalid(LoadTableOp("XC_softmax", tflite::TensorType_UINT8, 256), "XC_softmax",
                "256 float32");
}

// ---- Every such operator in every xformed bundled model decodes (with the
// reader and these prepares alone: no other op's prepare is involved).

TEST(XcOptionsTest, EveryOperatorInEveryXformedBundledModelDecodes) {
  const std::vector<std::string> cases = tinyserve::testing::XformedModelCases();
  if (cases.empty()) GTEST_SKIP() << "no tests/data/xmos";
  std::map<std::string, int> decoded;
  for (const std::string& c : cases) {
    const std::string file = TestDataPath("xmos/" + c + "/model.xc.tflite");
    auto bytes = ModelBytes::ReadFile(file);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    const std::string name = c.substr(0, c.find('/'));
    auto graph = ReadTfliteGraph(**bytes, name);
    ASSERT_TRUE(graph.ok()) << file << ": " << graph.status();
    for (const Operator& op : graph->operators) {
      PrepareFn prepare = nullptr;
      switch (op.type) {
        case OpType::kXcPad: prepare = PrepareXcPad; break;
        case OpType::kXcPad3To4: prepare = PrepareXcPad3To4; break;
        case OpType::kXcPad1To4: prepare = PrepareXcPad1To4; break;
        case OpType::kXcSlice: prepare = PrepareXcSlice; break;
        case OpType::kXcNoOp: prepare = PrepareXcNoOp; break;
        case OpType::kXcAdd: prepare = PrepareXcAdd; break;
        case OpType::kXcLookup: prepare = PrepareXcLookup; break;
        case OpType::kXcSoftmax: prepare = PrepareXcSoftmax; break;
        default: continue;
      }
      const PrepareContext ctx(*graph, op, name);
      auto data = prepare(ctx);
      EXPECT_TRUE(data.ok()) << file << ": " << data.status();
      ++decoded[OpTypeName(op.type)];
    }
  }
  // The bundled models' xformed graphs hold each of these at least once.
  for (const std::string op : {"XC_pad", "XC_pad_3_to_4", "XC_pad_1_to_4", "XC_slice", "XC_no_op",
                               "XC_add", "XC_lookup", "XC_softmax"}) {
    EXPECT_GT(decoded[op], 0) << op;
  }
}

}  // namespace
}  // namespace tinyserve::xs3
