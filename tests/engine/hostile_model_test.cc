// Model files are untrusted. Every malformed or inconsistent file must be
// rejected at load with InvalidArgument, every valid file we cannot run with
// Unimplemented, and the message must name the model and the operator or tensor
// at fault. Nothing may crash: truncations and random byte flips of every
// bundled model either fail to load or load and run.
//
// Hostile models are built by unpacking a bundled model with the flatbuffers
// object API, changing one thing and packing it again, or by editing bytes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/compiled_model.h"
#include "engine/executor.h"
#include "engine/model.h"
#include "engine/tflite_subset_generated.h"
#include "flatbuffers/flatbuffers.h"
#include "gtest/gtest.h"
#include "tests/fuzz/model_runner.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

using Bytes = std::vector<uint8_t>;
using LoadResult = absl::StatusOr<std::shared_ptr<const Model>>;
using absl::StatusCode;

constexpr StatusCode kInvalid = StatusCode::kInvalidArgument;
constexpr StatusCode kUnimplemented = StatusCode::kUnimplemented;

// TFLite builtin codes used below.
constexpr int kLstmCode = 16;
constexpr int kCustomCode = 32;

// A bundled model by name, or "xmos/<model>/<config>": its xcore-opt twin in
// tests/data (XMOS operators, flexbuffer options, packed weights).
Bytes Bundled(const std::string& name) {
  if (name.rfind("xmos/", 0) == 0) {
    return testing::ReadBytes(testing::TestDataPath(name + "/model.xc.tflite"));
  }
  return testing::ReadBytes(testing::BundledModelPath(name));
}

bool IsXformed(const std::string& name) { return name.rfind("xmos/", 0) == 0; }

LoadResult Load(const Bytes& bytes, const std::string& name) {
  return Model::LoadBuffer(absl::MakeConstSpan(bytes), name);
}

std::unique_ptr<tflite::ModelT> Unpack(const Bytes& bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  EXPECT_TRUE(tflite::VerifyModelBuffer(verifier));
  return std::unique_ptr<tflite::ModelT>(tflite::GetModel(bytes.data())->UnPack());
}

Bytes Pack(const tflite::ModelT& model) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(tflite::Model::Pack(fbb, &model), tflite::ModelIdentifier());
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

// The bundled model `name`, unpacked, changed by `edit` and packed again.
Bytes Edited(const std::string& name, const std::function<void(tflite::ModelT&)>& edit) {
  auto model = Unpack(Bundled(name));
  edit(*model);
  return Pack(*model);
}

tflite::SubGraphT& Subgraph(tflite::ModelT& m) { return *m.subgraphs[0]; }
tflite::TensorT& Tensor(tflite::ModelT& m, int i) { return *Subgraph(m).tensors[i]; }
tflite::OperatorT& Op(tflite::ModelT& m, int i) { return *Subgraph(m).operators[i]; }
tflite::BufferT& BufferOf(tflite::ModelT& m, int tensor) {
  return *m.buffers[Tensor(m, tensor).buffer];
}

// Loads `bytes` and checks the status code and that the message contains every
// one of `parts` (model name, operator, tensor, what is wrong).
::testing::AssertionResult Rejected(const Bytes& bytes, const std::string& name, StatusCode code,
                                    const std::vector<std::string>& parts) {
  const LoadResult r = Load(bytes, name);
  if (r.ok()) {
    return ::testing::AssertionFailure()
           << "model loaded, expected " << absl::StatusCodeToString(code);
  }
  if (r.status().code() != code) {
    return ::testing::AssertionFailure()
           << "got " << r.status() << ", expected code " << absl::StatusCodeToString(code);
  }
  const std::string message(r.status().message());
  for (const std::string& part : parts) {
    if (!absl::StrContains(message, part)) {
      return ::testing::AssertionFailure()
             << "message \"" << message << "\" lacks \"" << part << "\"";
    }
  }
  return ::testing::AssertionSuccess() << r.status();
}

// Loads, compiles and runs `bytes`, which must be a valid model.
::testing::AssertionResult LoadsAndRuns(const Bytes& bytes, const std::string& name) {
  const LoadResult r = Load(bytes, name);
  if (!r.ok()) return ::testing::AssertionFailure() << r.status();
  const absl::StatusOr<bool> ran = fuzz::RunReferenceOnce(*r);
  if (!ran.ok()) return ::testing::AssertionFailure() << ran.status();
  if (!*ran) return ::testing::AssertionFailure() << "over the run budget";
  return ::testing::AssertionSuccess();
}

// A model's output for an all-`fill` input.
Bytes OutputFor(const Bytes& bytes, uint8_t fill) {
  const LoadResult model = Load(bytes, "m");
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return {};
  auto compiled = CompiledModel::CompileReference(*model);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  if (!compiled.ok()) return {};
  Executor executor(*compiled);
  std::memset(executor.input(0).data(), fill, executor.input(0).size());
  executor.Invoke();
  const auto out = executor.output(0);
  return Bytes(out.begin(), out.end());
}

// Moves the data of `buffers` out of the flatbuffer to after its end (TFLite's
// offset/size form, used for models over 2 GiB), each region 16-byte aligned.
// `place(i, offsets)` may then move region i to break the file.
Bytes WithExternalBuffers(tflite::ModelT& model, const std::vector<int>& buffers,
                          const std::function<void(std::vector<uint64_t>&)>& place = nullptr) {
  std::vector<std::vector<uint8_t>> data;
  for (int b : buffers) {
    data.push_back(std::move(model.buffers[b]->data));
    model.buffers[b]->data.clear();
    model.buffers[b]->offset = uint64_t{1} << 40;  // placeholder; same encoded size
    model.buffers[b]->size = data.back().size();
  }
  const size_t flatbuffer_size = Pack(model).size();
  std::vector<uint64_t> offsets;
  uint64_t end = flatbuffer_size;
  for (const auto& d : data) {
    end = (end + 15) / 16 * 16;
    offsets.push_back(end);
    end += d.size();
  }
  if (place) place(offsets);
  for (size_t i = 0; i < buffers.size(); ++i) model.buffers[buffers[i]]->offset = offsets[i];
  Bytes bytes = Pack(model);
  EXPECT_EQ(bytes.size(), flatbuffer_size);
  for (size_t i = 0; i < data.size(); ++i) {
    const uint64_t at = offsets[i];
    if (at > (uint64_t{1} << 24)) continue;  // deliberately beyond the file
    if (bytes.size() < at + data[i].size()) bytes.resize(at + data[i].size());
    std::memcpy(bytes.data() + at, data[i].data(), data[i].size());
  }
  return bytes;
}

// A model of one operator: `tensors` are int8 activations (or constants with
// `data`), tensor 0 is the model input and the last tensor the model output.
struct TensorSpec {
  std::vector<int32_t> shape;
  float scale = 1.0f;
  int64_t zero_point = 0;
  tflite::TensorType type = tflite::TensorType_INT8;
  std::vector<uint8_t> data;  // empty: activation
};

TensorSpec Int8(std::vector<int32_t> shape, float scale, int64_t zero_point) {
  TensorSpec t;
  t.shape = std::move(shape);
  t.scale = scale;
  t.zero_point = zero_point;
  return t;
}

Bytes SingleOpModel(int builtin_code, const std::vector<TensorSpec>& tensors,
                    tflite::BuiltinOptionsUnion options) {
  tflite::ModelT model;
  model.version = 3;
  model.buffers.push_back(std::make_unique<tflite::BufferT>());
  auto code = std::make_unique<tflite::OperatorCodeT>();
  code->builtin_code = builtin_code;
  code->deprecated_builtin_code = static_cast<int8_t>(std::min(builtin_code, 127));
  model.operator_codes.push_back(std::move(code));
  auto subgraph = std::make_unique<tflite::SubGraphT>();
  auto op = std::make_unique<tflite::OperatorT>();
  for (size_t i = 0; i < tensors.size(); ++i) {
    auto t = std::make_unique<tflite::TensorT>();
    t->name = absl::StrCat("t", i);
    t->type = tensors[i].type;
    t->shape = tensors[i].shape;
    t->quantization = std::make_unique<tflite::QuantizationParametersT>();
    t->quantization->scale = {tensors[i].scale};
    t->quantization->zero_point = {tensors[i].zero_point};
    if (!tensors[i].data.empty()) {
      t->buffer = static_cast<uint32_t>(model.buffers.size());
      model.buffers.push_back(std::make_unique<tflite::BufferT>());
      model.buffers.back()->data = tensors[i].data;
    }
    subgraph->tensors.push_back(std::move(t));
    if (i + 1 < tensors.size()) op->inputs.push_back(static_cast<int>(i));
  }
  const int last = static_cast<int>(tensors.size()) - 1;
  op->outputs = {last};
  op->builtin_options = std::move(options);
  subgraph->inputs = {0};
  subgraph->outputs = {last};
  subgraph->operators.push_back(std::move(op));
  model.subgraphs.push_back(std::move(subgraph));
  return Pack(model);
}

// ---------------------------------------------------------------------------
// Sanity: every bundled model loads, and survives a pack/unpack round trip.

class BundledModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BundledModelTest, LoadsAndRuns) {
  EXPECT_TRUE(LoadsAndRuns(Bundled(GetParam()), GetParam()));
}

TEST_P(BundledModelTest, RepackedModelGivesTheSameOutputs) {
  // Repacking goes through our schema subset, which keeps no custom options.
  if (IsXformed(GetParam())) GTEST_SKIP() << "xformed model";
  const Bytes original = Bundled(GetParam());
  const Bytes repacked = Pack(*Unpack(original));
  for (uint8_t fill : {0x00, 0x7f, 0x80}) {
    EXPECT_EQ(OutputFor(original, fill), OutputFor(repacked, fill)) << int{fill};
  }
}

// ---------------------------------------------------------------------------
// Truncation and random corruption.

// Every truncation of every bundled model is rejected with InvalidArgument.
TEST_P(BundledModelTest, EveryTruncationIsRejected) {
  const std::string name = GetParam();
  const Bytes bytes = Bundled(name);
  std::vector<size_t> lengths;
  if (bytes.size() <= 32 * 1024) {
    for (size_t n = 0; n < bytes.size(); ++n) lengths.push_back(n);
  } else {
    // ~300 lengths over the file, plus every one of the first 64 and last 64.
    for (size_t n = 0; n < 64; ++n) lengths.push_back(n);
    for (size_t n = 64; n < bytes.size() - 64; n += bytes.size() / 300) lengths.push_back(n);
    for (size_t n = bytes.size() - 64; n < bytes.size(); ++n) lengths.push_back(n);
  }
  int rejected = 0;
  for (size_t n : lengths) {
    const Bytes truncated(bytes.begin(), bytes.begin() + n);
    const LoadResult r = Load(truncated, name);
    ASSERT_FALSE(r.ok()) << name << " truncated to " << n << " bytes loaded";
    ASSERT_EQ(r.status().code(), kInvalid) << name << " truncated to " << n << ": " << r.status();
    ASSERT_TRUE(absl::StrContains(r.status().message(), absl::StrCat("model '", name, "'")))
        << r.status();
    ++rejected;
  }
  RecordProperty("truncations", rejected);
  EXPECT_GE(rejected, std::min<int>(static_cast<int>(bytes.size()), 300));
}

// Seeded random byte flips: a mutant either loads, compiles and runs, or is
// rejected with InvalidArgument or Unimplemented naming the model.
constexpr int kMutantsPerModel = 500;

TEST_P(BundledModelTest, RandomByteFlipsLoadAndRunOrAreRejected) {
  const std::string name = GetParam();
  const Bytes bytes = Bundled(name);
  std::mt19937_64 rng(std::hash<std::string>{}(name) ^ 0x5eed5eedULL);
  int loaded = 0, ran = 0, rejected = 0;
  for (int m = 0; m < kMutantsPerModel; ++m) {
    Bytes mutant = bytes;
    // 1 to 8 flips; half of them land in the first 4 KiB, where the tables
    // (shapes, indices, options, quantization) of small models live, and the
    // rest anywhere, weights included.
    const int flips = 1 + static_cast<int>(rng() % 8);
    std::string what;
    for (int f = 0; f < flips; ++f) {
      const size_t span = (f % 2 == 0) ? std::min<size_t>(bytes.size(), 4096) : bytes.size();
      const size_t at = rng() % span;
      uint8_t value = static_cast<uint8_t>(rng());
      if (value == mutant[at]) value ^= 0xff;
      absl::StrAppend(&what, " [", at, "]=", value);
      mutant[at] = value;
    }
    const std::string label = absl::StrCat(name, " mutant ", m, ":", what);
    const LoadResult r = Load(mutant, name);
    if (!r.ok()) {
      ++rejected;
      ASSERT_TRUE(r.status().code() == kInvalid || r.status().code() == kUnimplemented)
          << label << ": " << r.status();
      ASSERT_TRUE(absl::StrContains(r.status().message(), absl::StrCat("model '", name, "'")))
          << label << ": " << r.status();
      continue;
    }
    ++loaded;
    const absl::StatusOr<bool> result = fuzz::RunReferenceOnce(*r);
    ASSERT_TRUE(result.ok()) << label << ": " << result.status();
    if (*result) ++ran;
  }
  std::printf("%s: %d mutants, %d rejected, %d loaded (%d ran, %d over the run budget)\n",
              name.c_str(), kMutantsPerModel, rejected, loaded, ran, loaded - ran);
  RecordProperty("rejected", rejected);
  RecordProperty("loaded", loaded);
}

INSTANTIATE_TEST_SUITE_P(Bundled, BundledModelTest,
                         ::testing::ValuesIn(testing::BundledModelNames()));
// The smaller xcore-opt twins: the XC ops' option decoding under truncation
// and byte flips (a mutant that loads must also run on xs3).
INSTANTIATE_TEST_SUITE_P(Xformed, BundledModelTest,
                         ::testing::Values("xmos/hello_world_int8/default",
                                           "xmos/kws_ref_model/t05x5",
                                           "xmos/pretrainedResnet_quant/default"));

// ---------------------------------------------------------------------------
// Not a TFLite file at all.

TEST(HostileFileTest, EmptyFile) {
  EXPECT_TRUE(Rejected({}, "empty", kInvalid, {"model 'empty'", "0 bytes", "too short"}));
}

TEST(HostileFileTest, FourByteFile) {
  EXPECT_TRUE(Rejected({0x10, 0, 0, 0}, "four", kInvalid, {"model 'four'", "4 bytes"}));
}

TEST(HostileFileTest, WrongFileIdentifier) {
  Bytes bytes = Bundled("hello_world_int8");
  std::memcpy(bytes.data() + 4, "TFL2", 4);
  EXPECT_TRUE(Rejected(bytes, "wrong_id", kInvalid,
                       {"model 'wrong_id'", "not a TFLite model", "'TFL2'", "expected 'TFL3'"}));
}

TEST(HostileFileTest, NonPrintableIdentifierIsEscaped) {
  Bytes bytes = Bundled("hello_world_int8");
  bytes[4] = 0;
  bytes[5] = 0xff;
  EXPECT_TRUE(Rejected(bytes, "bin_id", kInvalid, {"model 'bin_id'", "'??L3'"}));
}

TEST(HostileFileTest, Garbage) {
  std::mt19937 rng(42);
  for (size_t size : {8u, 64u, 1000u, 100000u}) {
    Bytes bytes(size);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    EXPECT_TRUE(Rejected(bytes, "garbage", kInvalid, {"model 'garbage'"})) << size;
    // With the right identifier it gets as far as the verifier.
    std::memcpy(bytes.data() + 4, "TFL3", 4);
    EXPECT_TRUE(Rejected(bytes, "garbage", kInvalid, {"model 'garbage'", "malformed"})) << size;
  }
}

TEST(HostileFileTest, RootOffsetOutOfRange) {
  Bytes bytes = Bundled("hello_world_int8");
  const uint32_t root = 0xfffffff0u;
  std::memcpy(bytes.data(), &root, 4);
  EXPECT_TRUE(Rejected(bytes, "root", kInvalid, {"model 'root'", "malformed"}));
}

TEST(HostileFileTest, AllZeroAndAllOnes) {
  for (uint8_t fill : {0x00, 0xff}) {
    Bytes bytes(4096, fill);
    std::memcpy(bytes.data() + 4, "TFL3", 4);
    EXPECT_TRUE(Rejected(bytes, "fill", kInvalid, {"model 'fill'"})) << int{fill};
  }
}

// ---------------------------------------------------------------------------
// Model-level structure.

TEST(HostileStructureTest, WrongSchemaVersion) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) { m.version = 2; });
  EXPECT_TRUE(Rejected(bytes, "v2", kInvalid, {"model 'v2'", "schema version 2", "expected 3"}));
}

TEST(HostileStructureTest, NoSubgraphs) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) { m.subgraphs.clear(); });
  EXPECT_TRUE(Rejected(bytes, "nosub", kInvalid, {"model 'nosub'", "no subgraphs"}));
}

TEST(HostileStructureTest, NoInputsOrOutputs) {
  EXPECT_TRUE(
      Rejected(Edited("hello_world_int8", [](tflite::ModelT& m) { Subgraph(m).inputs.clear(); }),
               "noin", kInvalid, {"model 'noin'", "no inputs or no outputs"}));
  EXPECT_TRUE(
      Rejected(Edited("hello_world_int8", [](tflite::ModelT& m) { Subgraph(m).outputs.clear(); }),
               "noout", kInvalid, {"model 'noout'", "no inputs or no outputs"}));
}

TEST(HostileStructureTest, SubgraphInputIndexOutOfRange) {
  for (int bad : {10, 1 << 30, -1, -7, std::numeric_limits<int>::min()}) {
    const Bytes bytes =
        Edited("hello_world_int8", [&](tflite::ModelT& m) { Subgraph(m).inputs[0] = bad; });
    EXPECT_TRUE(Rejected(bytes, "in", kInvalid,
                         {"model 'in'", "subgraph 0 inputs", absl::StrCat("tensor index ", bad),
                          "out of range (10 tensors)"}))
        << bad;
  }
}

TEST(HostileStructureTest, SubgraphOutputIndexOutOfRange) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Subgraph(m).outputs[0] = 10; });
  EXPECT_TRUE(Rejected(bytes, "out", kInvalid,
                       {"model 'out'", "subgraph 0 outputs", "tensor index 10 out of range"}));
}

TEST(HostileStructureTest, ConstantModelInput) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Subgraph(m).inputs[0] = 6; });
  EXPECT_TRUE(
      Rejected(bytes, "cin", kInvalid, {"model 'cin'", "tensor 6", "input cannot be a constant"}));
}

TEST(HostileStructureTest, ModelOutputNeverProduced) {
  // Tensor 8 is produced by op 1; make op 2 write a fresh tensor instead of 9.
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    auto extra = std::make_unique<tflite::TensorT>(Tensor(m, 9));
    extra->name = "extra";
    extra->quantization =
        std::make_unique<tflite::QuantizationParametersT>(*Tensor(m, 9).quantization);
    Subgraph(m).tensors.push_back(std::move(extra));
    Op(m, 2).outputs[0] = 10;
  });
  EXPECT_TRUE(Rejected(bytes, "noprod", kInvalid,
                       {"model 'noprod'", "tensor 9", "never produced by an operator"}));
}

TEST(HostileStructureTest, ConstantModelOutput) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Subgraph(m).outputs[0] = 2; });
  EXPECT_TRUE(Rejected(bytes, "cout", kInvalid,
                       {"model 'cout'", "tensor 2", "never produced by an operator"}));
}

// ---------------------------------------------------------------------------
// Tensors: shapes, types, buffers.

TEST(HostileTensorTest, NegativeDimension) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 7).shape = {1, -16};
  });
  EXPECT_TRUE(Rejected(bytes, "neg", kInvalid,
                       {"model 'neg'", "tensor 7", "dimension 1 is -16", "must be positive"}));
}

TEST(HostileTensorTest, ZeroDimension) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 7).shape = {0, 16};
  });
  EXPECT_TRUE(Rejected(bytes, "zero", kInvalid, {"model 'zero'", "tensor 7", "dimension 0 is 0"}));
}

TEST(HostileTensorTest, HugeShapeWhoseProductOverflowsInt64) {
  // 2^31-1 ^ 6 overflows int64 many times over; the size limit must catch it
  // before the product wraps.
  const int32_t big = std::numeric_limits<int32_t>::max();
  const Bytes bytes = Edited("hello_world_int8", [&](tflite::ModelT& m) {
    Tensor(m, 7).shape = {big, big, big, big, big, big};
  });
  EXPECT_TRUE(Rejected(bytes, "huge", kInvalid,
                       {"model 'huge'", "tensor 7", "1073741824-byte tensor limit"}));
  // Just over the limit, and for a 4-byte type.
  EXPECT_TRUE(Rejected(Edited("hello_world_int8",
                              [](tflite::ModelT& m) {
                                Tensor(m, 7).shape = {1 << 15, 1 << 15, 2};
                              }),
                       "over", kInvalid, {"model 'over'", "tensor 7", "tensor limit"}));
  EXPECT_TRUE(Rejected(Edited("hello_world_int8",
                              [](tflite::ModelT& m) {
                                Tensor(m, 1).shape = {(1 << 28) + 1};
                                BufferOf(m, 1).data.clear();
                              }),
                       "over32", kInvalid, {"model 'over32'", "tensor 1", "tensor limit"}));
}

TEST(HostileTensorTest, RankAboveSix) {
  const Bytes bytes = Edited(
      "hello_world_int8", [](tflite::ModelT& m) { Tensor(m, 7).shape = {1, 1, 1, 1, 1, 1, 16}; });
  EXPECT_TRUE(Rejected(bytes, "rank", kInvalid,
                       {"model 'rank'", "tensor 7", "rank 7 exceeds the limit of 6"}));
}

TEST(HostileTensorTest, BufferIndexOutOfRange) {
  for (uint32_t bad : {13u, 1000u, 0xffffffffu}) {
    const Bytes bytes =
        Edited("hello_world_int8", [&](tflite::ModelT& m) { Tensor(m, 4).buffer = bad; });
    EXPECT_TRUE(Rejected(bytes, "buf", kInvalid,
                         {"model 'buf'", "tensor 4", absl::StrCat("buffer index ", bad),
                          "out of range (13 buffers)"}))
        << bad;
  }
}

TEST(HostileTensorTest, ShortBuffer) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { BufferOf(m, 4).data.resize(255); });
  EXPECT_TRUE(Rejected(bytes, "short", kInvalid,
                       {"model 'short'", "tensor 4", "holds 255 bytes", "needs 256"}));
}

TEST(HostileTensorTest, LongBuffer) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { BufferOf(m, 3).data.resize(65); });
  EXPECT_TRUE(Rejected(bytes, "long", kInvalid,
                       {"model 'long'", "tensor 3", "holds 65 bytes", "int32 needs 64"}));
}

TEST(HostileTensorTest, UnsupportedTensorType) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 7).type = tflite::TensorType_FLOAT16;
  });
  EXPECT_TRUE(Rejected(bytes, "f16", kUnimplemented,
                       {"model 'f16'", "tensor 7", "FLOAT16 is not supported"}));
  const Bytes unknown = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 7).type = static_cast<tflite::TensorType>(99);
  });
  EXPECT_TRUE(Rejected(unknown, "t99", kUnimplemented, {"model 't99'", "tensor 7", "UNKNOWN"}));
}

TEST(HostileTensorTest, SparseTensor) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 4).sparsity = std::make_unique<tflite::SparsityParametersT>();
  });
  EXPECT_TRUE(
      Rejected(bytes, "sparse", kUnimplemented, {"model 'sparse'", "tensor 4", "sparse tensors"}));
}

TEST(HostileTensorTest, VariableTensor) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Tensor(m, 7).is_variable = true; });
  EXPECT_TRUE(Rejected(bytes, "var", kUnimplemented, {"model 'var'", "tensor 7", "variable"}));
}

TEST(HostileTensorTest, ExternalWeightFile) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Tensor(m, 4).external_buffer = 1; });
  EXPECT_TRUE(
      Rejected(bytes, "ext", kUnimplemented, {"model 'ext'", "tensor 4", "external weight files"}));
}

// ---------------------------------------------------------------------------
// Buffers stored after the flatbuffer (offset/size).

TEST(HostileBufferTest, ValidExternalBuffersLoadAndGiveTheSameOutputs) {
  const Bytes original = Bundled("hello_world_int8");
  auto model = Unpack(original);
  const Bytes external = WithExternalBuffers(*model, {2, 3, 5, 7});
  ASSERT_TRUE(LoadsAndRuns(external, "external"));
  for (uint8_t fill : {0x00, 0x7f, 0x80}) {
    EXPECT_EQ(OutputFor(original, fill), OutputFor(external, fill)) << int{fill};
  }
}

TEST(HostileBufferTest, InlineDataAndExternalOffset) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    BufferOf(m, 4).offset = 64;
    BufferOf(m, 4).size = 256;
  });
  EXPECT_TRUE(Rejected(bytes, "both", kInvalid,
                       {"model 'both'", "buffer 5", "both inline data and an external offset"}));
}

TEST(HostileBufferTest, ExternalBufferBeyondFileEnd) {
  auto model = Unpack(Bundled("hello_world_int8"));
  const Bytes bytes = WithExternalBuffers(
      *model, {5}, [](std::vector<uint64_t>& offsets) { offsets[0] = uint64_t{1} << 40; });
  EXPECT_TRUE(
      Rejected(bytes, "beyond", kInvalid, {"model 'beyond'", "buffer 5", "beyond the end of the"}));
  // The end straddles the file end.
  auto model2 = Unpack(Bundled("hello_world_int8"));
  Bytes straddle = WithExternalBuffers(*model2, {5});
  straddle.resize(straddle.size() - 1);
  EXPECT_TRUE(Rejected(straddle, "straddle", kInvalid, {"model 'straddle'", "buffer 5", "beyond"}));
  // offset + size wraps around 2^64.
  auto model3 = Unpack(Bundled("hello_world_int8"));
  model3->buffers[5]->data.clear();
  model3->buffers[5]->offset = 64;
  model3->buffers[5]->size = std::numeric_limits<uint64_t>::max() - 32;
  EXPECT_TRUE(Rejected(Pack(*model3), "wrap", kInvalid, {"model 'wrap'", "buffer 5", "beyond"}));
}

TEST(HostileBufferTest, ExternalBuffersOverlap) {
  auto model = Unpack(Bundled("hello_world_int8"));
  const Bytes bytes = WithExternalBuffers(*model, {3, 5}, [](std::vector<uint64_t>& offsets) {
    offsets[1] = offsets[0] + 8;  // buffer 3 is 16 bytes
  });
  EXPECT_TRUE(
      Rejected(bytes, "overlap", kInvalid, {"model 'overlap'", "external buffers overlap"}));
}

TEST(HostileBufferTest, MisalignedExternalBuffer) {
  // Buffer 4 holds tensor 3, int32 bias: an offset of 4k + 2 is misaligned.
  auto model = Unpack(Bundled("hello_world_int8"));
  const Bytes bytes =
      WithExternalBuffers(*model, {4}, [](std::vector<uint64_t>& offsets) { offsets[0] += 2; });
  EXPECT_TRUE(Rejected(bytes, "align", kInvalid,
                       {"model 'align'", "tensor 3", "buffer 4", "not aligned for int32"}));
}

// ---------------------------------------------------------------------------
// Quantization parameters.

TEST(HostileQuantizationTest, PerChannelScaleCountDiffersFromChannels) {
  // kws_ref_model tensor 17: conv filter [64,10,4,1], 64 scales along dim 0.
  const Bytes bytes = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Tensor(m, 17).quantization->scale.pop_back();
    Tensor(m, 17).quantization->zero_point.pop_back();
  });
  EXPECT_TRUE(Rejected(
      bytes, "kws", kInvalid,
      {"model 'kws'", "tensor 17", "63 per-channel scales", "dimension 0 has 64 channels"}));
}

TEST(HostileQuantizationTest, PerChannelAlongTheWrongDimension) {
  // 64 scales along dimension 3 of [64,10,4,1] (1 channel).
  const Bytes bytes = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Tensor(m, 17).quantization->quantized_dimension = 3;
  });
  EXPECT_TRUE(Rejected(
      bytes, "kws", kInvalid,
      {"model 'kws'", "tensor 17", "64 per-channel scales", "dimension 3 has 1 channels"}));
  const Bytes out_of_range = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Tensor(m, 17).quantization->quantized_dimension = 4;
  });
  EXPECT_TRUE(Rejected(out_of_range, "kws", kInvalid,
                       {"model 'kws'", "tensor 17", "quantized_dimension 4 is out of range"}));
  const Bytes negative = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Tensor(m, 17).quantization->quantized_dimension = -1;
  });
  EXPECT_TRUE(Rejected(negative, "kws", kInvalid,
                       {"model 'kws'", "tensor 17", "quantized_dimension -1 is out of range"}));
}

TEST(HostileQuantizationTest, PerChannelWeightsAlongTheWrongAxisForTheOp) {
  // Depthwise filter [1,3,3,64] per-channel along 3; a [64,3,3,64] conv-like
  // reading would be along 0. Make tensor 5 [64,3,3,1] with 64 scales along 0:
  // valid for the reader, wrong for DEPTHWISE_CONV_2D (operator #1).
  const Bytes bytes = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Tensor(m, 5).shape = {64, 3, 3, 1};
    Tensor(m, 5).quantization->quantized_dimension = 0;
  });
  EXPECT_TRUE(Rejected(bytes, "kws", kInvalid,
                       {"model 'kws'", "operator #1 DEPTHWISE_CONV_2D", "input 1", "tensor 5"}));
}

TEST(HostileQuantizationTest, ScaleAndZeroPointCountsDiffer) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 7).quantization->zero_point.push_back(0);
  });
  EXPECT_TRUE(
      Rejected(bytes, "zpc", kInvalid, {"model 'zpc'", "tensor 7", "1 scales but 2 zero points"}));
}

TEST(HostileQuantizationTest, NonPositiveOrNonFiniteScale) {
  const float bad_scales[] = {0.0f,
                              -0.5f,
                              -0.0f,
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::quiet_NaN()};
  for (float s : bad_scales) {
    const Bytes bytes = Edited("hello_world_int8",
                               [&](tflite::ModelT& m) { Tensor(m, 7).quantization->scale[0] = s; });
    EXPECT_TRUE(Rejected(bytes, "scale", kInvalid,
                         {"model 'scale'", "tensor 7", "scale[0]", "finite and positive"}))
        << s;
  }
  // One bad channel among 64.
  const Bytes channel = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Tensor(m, 17).quantization->scale[40] = std::numeric_limits<float>::quiet_NaN();
  });
  EXPECT_TRUE(Rejected(channel, "kws", kInvalid, {"model 'kws'", "tensor 17", "scale[40]"}));
}

TEST(HostileQuantizationTest, ZeroPointOutOfRange) {
  for (int64_t zp : {int64_t{128}, int64_t{-129}, int64_t{1} << 40}) {
    const Bytes bytes = Edited("hello_world_int8", [&](tflite::ModelT& m) {
      Tensor(m, 7).quantization->zero_point[0] = zp;
    });
    EXPECT_TRUE(Rejected(
        bytes, "zp", kInvalid,
        {"model 'zp'", "tensor 7", absl::StrCat("zero point ", zp), "outside the range of int8"}))
        << zp;
  }
  // int32 bias: the range is int32's.
  const Bytes bias = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 5).quantization->zero_point[0] = int64_t{1} << 33;
  });
  EXPECT_TRUE(
      Rejected(bias, "zp", kInvalid, {"model 'zp'", "tensor 5", "outside the range of int32"}));
}

// The verifier checks a vector's 4-byte length alignment only; int64 zero
// points placed at 4 mod 8 must be refused, not read.
TEST(HostileQuantizationTest, MisalignedZeroPointVector) {
  Bytes bytes = Pack(*Unpack(Bundled("hello_world_int8")));
  const auto* q =
      tflite::GetModel(bytes.data())->subgraphs()->Get(0)->tensors()->Get(7)->quantization();
  const uint8_t* field = reinterpret_cast<const flatbuffers::Table*>(q)->GetAddressOf(
      tflite::QuantizationParameters::VT_ZERO_POINT);
  ASSERT_NE(field, nullptr);
  const size_t field_at = static_cast<size_t>(field - bytes.data());
  // A new one-element vector at the end: length at 0 mod 8, element at 4 mod 8.
  while (bytes.size() % 8 != 0) bytes.push_back(0);
  const size_t vector_at = bytes.size();
  const uint32_t length = 1;
  const int64_t zero_point = 0;
  bytes.resize(vector_at + 12);
  std::memcpy(bytes.data() + vector_at, &length, 4);
  std::memcpy(bytes.data() + vector_at + 4, &zero_point, 8);
  const uint32_t relative = static_cast<uint32_t>(vector_at - field_at);
  std::memcpy(bytes.data() + field_at, &relative, 4);
  EXPECT_TRUE(Rejected(bytes, "zpalign", kInvalid,
                       {"model 'zpalign'", "tensor 7", "zero_point vector is not 8-byte aligned"}));
  // The same vector placed aligned loads.
  std::memcpy(bytes.data() + vector_at + 4, &length, 4);
  bytes.resize(vector_at + 16);
  std::memcpy(bytes.data() + vector_at + 8, &zero_point, 8);
  const uint32_t aligned = relative + 4;
  std::memcpy(bytes.data() + field_at, &aligned, 4);
  const LoadResult r = Load(bytes, "zpaligned");
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST(HostileQuantizationTest, NonzeroWeightZeroPoint) {
  const Bytes bytes = Edited(
      "hello_world_int8", [](tflite::ModelT& m) { Tensor(m, 4).quantization->zero_point[0] = 3; });
  EXPECT_TRUE(Rejected(bytes, "wzp", kInvalid,
                       {"model 'wzp'", "operator #1 FULLY_CONNECTED", "input 1", "tensor 4",
                        "weight zero point 3 is not 0"}));
  // Per-channel conv weights: one channel.
  const Bytes conv = Edited(
      "kws_ref_model", [](tflite::ModelT& m) { Tensor(m, 18).quantization->zero_point[7] = -1; });
  EXPECT_TRUE(
      Rejected(conv, "kws", kInvalid,
               {"model 'kws'", "operator #2 CONV_2D", "tensor 18", "weight zero point -1"}));
}

TEST(HostileQuantizationTest, CustomQuantizationDetails) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    auto custom = std::make_unique<tflite::CustomQuantizationT>();
    custom->custom = {1, 2, 3};
    Tensor(m, 7).quantization->details.Set(std::move(*custom));
  });
  EXPECT_TRUE(
      Rejected(bytes, "cq", kUnimplemented, {"model 'cq'", "tensor 7", "custom quantization"}));
}

TEST(HostileQuantizationTest, MultiplierTooLargeForRequantization) {
  // s_in * s_w / s_out ~ 1e30: no int32 fixed-point multiplier can hold it.
  // (The bias is dropped, or its scale check would refuse the model first.)
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 4).quantization->scale[0] = 1e30f;
    Op(m, 1).inputs[2] = -1;
  });
  EXPECT_TRUE(Rejected(bytes, "mult", kInvalid,
                       {"model 'mult'", "operator #1 FULLY_CONNECTED", "multiplier"}));
  // The float32 product s_in * s_w overflows to infinity (per-tensor FC).
  const Bytes inf = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Tensor(m, 7).quantization->scale[0] = 3e38f;
    Tensor(m, 4).quantization->scale[0] = 3e38f;
    Op(m, 1).inputs[2] = -1;
  });
  EXPECT_TRUE(
      Rejected(inf, "inf", kInvalid, {"model 'inf'", "operator #1 FULLY_CONNECTED", "multiplier"}));
  // Per-channel conv (double product): one channel's multiplier too large.
  const Bytes conv = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Tensor(m, 18).quantization->scale[5] = 1e35f;
    Op(m, 2).inputs[2] = -1;
  });
  EXPECT_TRUE(Rejected(conv, "kws", kInvalid,
                       {"model 'kws'", "operator #2 CONV_2D", "channel 5", "multiplier"}));
}

// A 1-D bias whose quantized_dimension was copied from the filter (3) is
// accepted by TFLite Micro: its only axis is 0.
TEST(HostileQuantizationTest, OneDimensionalBiasWithQuantizedDimension3Loads) {
  // micro_speech tensor 0: DEPTHWISE_CONV_2D bias [8], 8 scales.
  const Bytes bytes = Edited("micro_speech_quantized", [](tflite::ModelT& m) {
    ASSERT_EQ(Tensor(m, 0).quantization->scale.size(), 8u);
    Tensor(m, 0).quantization->quantized_dimension = 3;
  });
  EXPECT_TRUE(LoadsAndRuns(bytes, "bias_qd3"));
  EXPECT_EQ(OutputFor(bytes, 0x11), OutputFor(Bundled("micro_speech_quantized"), 0x11));
  // kws: every conv/depthwise bias.
  const Bytes kws = Edited("kws_ref_model", [](tflite::ModelT& m) {
    for (int t : {3, 4, 6, 7, 9, 10, 12, 13, 15})
      Tensor(m, t).quantization->quantized_dimension = 3;
  });
  EXPECT_TRUE(LoadsAndRuns(kws, "kws_bias_qd3"));
  // But the scale count must still match its length.
  const Bytes wrong = Edited("micro_speech_quantized", [](tflite::ModelT& m) {
    Tensor(m, 0).quantization->quantized_dimension = 3;
    Tensor(m, 0).quantization->scale.pop_back();
    Tensor(m, 0).quantization->zero_point.pop_back();
  });
  EXPECT_TRUE(Rejected(wrong, "bias", kInvalid,
                       {"model 'bias'", "tensor 0", "7 per-channel scales", "8 channels"}));
}

// ---------------------------------------------------------------------------
// Operators: codes, indices, dataflow, options.

TEST(HostileOperatorTest, OpcodeIndexOutOfRange) {
  for (uint32_t bad : {1u, 1000u, 0xffffffffu}) {
    const Bytes bytes =
        Edited("hello_world_int8", [&](tflite::ModelT& m) { Op(m, 2).opcode_index = bad; });
    EXPECT_TRUE(Rejected(bytes, "opc", kInvalid,
                         {"model 'opc'", "operator #2", absl::StrCat("opcode index ", bad),
                          "out of range (1 operator codes)"}))
        << bad;
  }
}

TEST(HostileOperatorTest, InputIndexOutOfRange) {
  for (int bad : {10, 12345, -2, std::numeric_limits<int>::min()}) {
    const Bytes bytes =
        Edited("hello_world_int8", [&](tflite::ModelT& m) { Op(m, 1).inputs[1] = bad; });
    EXPECT_TRUE(Rejected(bytes, "opin", kInvalid,
                         {"model 'opin'", "operator #1 FULLY_CONNECTED", "inputs",
                          absl::StrCat("tensor index ", bad), "out of range (10 tensors)"}))
        << bad;
  }
}

TEST(HostileOperatorTest, OutputIndexOutOfRange) {
  for (int bad : {10, -1, -2}) {
    const Bytes bytes =
        Edited("hello_world_int8", [&](tflite::ModelT& m) { Op(m, 1).outputs[0] = bad; });
    EXPECT_TRUE(Rejected(bytes, "opout", kInvalid,
                         {"model 'opout'", "operator #1 FULLY_CONNECTED", "outputs",
                          absl::StrCat("tensor index ", bad)}))
        << bad;
  }
}

TEST(HostileOperatorTest, ReadsATensorNobodyProduced) {
  // Operator #0 reads tensor 8, which operator #1 writes later.
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 0).inputs[0] = 8; });
  EXPECT_TRUE(Rejected(bytes, "unprod", kInvalid,
                       {"model 'unprod'", "operator #0 FULLY_CONNECTED", "reads tensor 8",
                        "before any operator produces it"}));
}

TEST(HostileOperatorTest, WritesAConstant) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 0).outputs[0] = 6; });
  EXPECT_TRUE(
      Rejected(bytes, "wconst", kInvalid,
               {"model 'wconst'", "operator #0 FULLY_CONNECTED", "writes constant tensor 6"}));
}

TEST(HostileOperatorTest, TensorWrittenTwice) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 2).outputs[0] = 7; });
  EXPECT_TRUE(Rejected(
      bytes, "twice", kInvalid,
      {"model 'twice'", "operator #2 FULLY_CONNECTED", "tensor 7", "written more than once"}));
}

TEST(HostileOperatorTest, WritesTheModelInput) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 0).outputs[0] = 0; });
  EXPECT_TRUE(Rejected(bytes, "win", kInvalid,
                       {"model 'win'", "operator #0 FULLY_CONNECTED", "tensor 0", "model input"}));
}

TEST(HostileOperatorTest, OperatesInPlace) {
  // Reading and writing the same tensor is writing a tensor twice.
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 1).outputs[0] = 7; });
  EXPECT_TRUE(Rejected(bytes, "inplace", kInvalid,
                       {"model 'inplace'", "operator #1 FULLY_CONNECTED", "tensor 7"}));
}

TEST(HostileOperatorTest, ConvOutputShapeDisagreesWithPadding) {
  // kws operator #0: [1,49,10,1] * [64,10,4,1], stride 2, SAME -> [1,25,5,64].
  const Bytes valid = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Op(m, 0).builtin_options.AsConv2DOptions()->padding = tflite::Padding_VALID;
  });
  EXPECT_TRUE(Rejected(valid, "kws", kInvalid,
                       {"model 'kws'", "operator #0 CONV_2D", "output 0", "tensor 22",
                        "output is 25x5 but VALID padding gives 20x4"}));
  const Bytes shape = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Tensor(m, 22).shape = {1, 24, 5, 64};
  });
  EXPECT_TRUE(Rejected(
      shape, "kws", kInvalid,
      {"model 'kws'", "operator #0 CONV_2D", "output is 24x5 but SAME padding gives 25x5"}));
  const Bytes padding = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Op(m, 0).builtin_options.AsConv2DOptions()->padding = static_cast<tflite::Padding>(7);
  });
  EXPECT_TRUE(
      Rejected(padding, "kws", kInvalid, {"model 'kws'", "operator #0 CONV_2D", "padding 7"}));
}

TEST(HostileOperatorTest, ZeroOrNegativeStride) {
  for (int stride : {0, -2}) {
    const Bytes bytes = Edited("kws_ref_model", [&](tflite::ModelT& m) {
      Op(m, 0).builtin_options.AsConv2DOptions()->stride_w = stride;
    });
    EXPECT_TRUE(Rejected(bytes, "kws", kInvalid,
                         {"model 'kws'", "operator #0 CONV_2D", "strides must be positive",
                          absl::StrCat("w=", stride)}))
        << stride;
  }
  const Bytes dw = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Op(m, 1).builtin_options.AsDepthwiseConv2DOptions()->stride_h = 0;
  });
  EXPECT_TRUE(
      Rejected(dw, "kws", kInvalid,
               {"model 'kws'", "operator #1 DEPTHWISE_CONV_2D", "strides must be positive"}));
  const Bytes pool = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Op(m, 9).builtin_options.AsPool2DOptions()->stride_h = 0;
  });
  EXPECT_TRUE(Rejected(pool, "kws", kInvalid,
                       {"model 'kws'", "operator #9 AVERAGE_POOL_2D", "strides must be positive"}));
}

TEST(HostileOperatorTest, ZeroDilationAndZeroPoolWindow) {
  const Bytes dilation = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Op(m, 0).builtin_options.AsConv2DOptions()->dilation_h_factor = 0;
  });
  EXPECT_TRUE(Rejected(dilation, "kws", kInvalid,
                       {"model 'kws'", "operator #0 CONV_2D", "dilations must be positive"}));
  const Bytes window = Edited("kws_ref_model", [](tflite::ModelT& m) {
    Op(m, 9).builtin_options.AsPool2DOptions()->filter_width = 0;
  });
  EXPECT_TRUE(
      Rejected(window, "kws", kInvalid,
               {"model 'kws'", "operator #9 AVERAGE_POOL_2D", "window must be at least 1x1"}));
}

TEST(HostileOperatorTest, HugeStrideAndDilationAreRejectedNotOverflowed) {
  // A SAME window so wide that padding and tap coordinates leave int32.
  const int32_t big = std::numeric_limits<int32_t>::max();
  const Bytes dilation = Edited("kws_ref_model", [&](tflite::ModelT& m) {
    Op(m, 0).builtin_options.AsConv2DOptions()->dilation_h_factor = big;
  });
  EXPECT_TRUE(
      Rejected(dilation, "kws", kInvalid, {"model 'kws'", "operator #0 CONV_2D", "window"}));
  // Operator #9 AVERAGE_POOL_2D over [1,25,5,64]: a SAME window of 2^31-1
  // rows at stride 1 gives 25 rows whose taps reach row 2^31 + 23.
  const Bytes pool = Edited("kws_ref_model", [&](tflite::ModelT& m) {
    auto* o = Op(m, 9).builtin_options.AsPool2DOptions();
    o->padding = tflite::Padding_SAME;
    o->filter_height = big;
    o->stride_h = 1;
    Tensor(m, 31).shape = {1, 25, 1, 64};
  });
  EXPECT_TRUE(
      Rejected(pool, "kws", kInvalid, {"model 'kws'", "operator #9 AVERAGE_POOL_2D", "window"}));
  // Huge windows and strides that stay in range are fine: one SAME window of
  // 2^31-1 rows at stride 2^31-1 is a global pool; so is VALID at stride 2^30.
  const Bytes global = Edited("kws_ref_model", [&](tflite::ModelT& m) {
    auto* o = Op(m, 9).builtin_options.AsPool2DOptions();
    o->padding = tflite::Padding_SAME;
    o->filter_height = big;
    o->stride_h = big;
  });
  EXPECT_TRUE(LoadsAndRuns(global, "kws_global_pool"));
  const Bytes stride = Edited("kws_ref_model", [&](tflite::ModelT& m) {
    Op(m, 9).builtin_options.AsPool2DOptions()->stride_h = 1 << 30;
  });
  EXPECT_TRUE(LoadsAndRuns(stride, "kws_big_stride"));
}

TEST(HostileOperatorTest, UnsupportedOpsAreAllListedInOneMessage) {
  // hello_world: operator #0 becomes LSTM, operator #2 a CUSTOM op.
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    auto lstm = std::make_unique<tflite::OperatorCodeT>();
    lstm->builtin_code = kLstmCode;
    lstm->deprecated_builtin_code = kLstmCode;
    lstm->version = 4;
    auto custom = std::make_unique<tflite::OperatorCodeT>();
    custom->builtin_code = kCustomCode;
    custom->deprecated_builtin_code = kCustomCode;
    custom->custom_code = "TFLite_Detection_PostProcess";
    m.operator_codes.push_back(std::move(lstm));
    m.operator_codes.push_back(std::move(custom));
    Op(m, 0).opcode_index = 1;
    Op(m, 2).opcode_index = 2;
  });
  EXPECT_TRUE(Rejected(bytes, "unsup", kUnimplemented,
                       {"model 'unsup'", "2 unsupported operators", "#0 LSTM v4",
                        "#2 CUSTOM 'TFLite_Detection_PostProcess' v1"}));
}

TEST(HostileOperatorTest, UnsupportedOpVersionAndUnknownBuiltin) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { m.operator_codes[0]->version = 99; });
  EXPECT_TRUE(Rejected(bytes, "ver", kUnimplemented,
                       {"model 'ver'", "3 unsupported operators", "#0 FULLY_CONNECTED v99",
                        "#1 FULLY_CONNECTED v99", "#2 FULLY_CONNECTED v99"}));
  // Codes beyond TFLite's list, and negative ones (TFLite takes the larger of
  // the two code fields).
  const std::pair<int, int> codes[] = {{4000, 0}, {-5, -3}};
  for (const std::pair<int, int>& c : codes) {
    const Bytes unknown = Edited("hello_world_int8", [&](tflite::ModelT& m) {
      m.operator_codes[0]->builtin_code = c.first;
      m.operator_codes[0]->deprecated_builtin_code = static_cast<int8_t>(c.second);
    });
    EXPECT_TRUE(Rejected(unknown, "unk", kUnimplemented,
                         {"model 'unk'", "3 unsupported operators",
                          absl::StrCat("#0 BUILTIN_", std::max(c.first, c.second), " v4")}))
        << c.first;
  }
}

TEST(HostileOperatorTest, WrongBuiltinOptionsType) {
  // CONV_2D with Pool2DOptions.
  const Bytes bytes = Edited("kws_ref_model", [](tflite::ModelT& m) {
    tflite::Pool2DOptionsT pool;
    pool.stride_w = pool.stride_h = pool.filter_width = pool.filter_height = 1;
    Op(m, 0).builtin_options.Set(std::move(pool));
  });
  EXPECT_TRUE(
      Rejected(bytes, "opts", kInvalid,
               {"model 'opts'", "operator #0 CONV_2D", "Pool2DOptions", "expected Conv2DOptions"}));
  // FULLY_CONNECTED with SoftmaxOptions.
  const Bytes fc = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Op(m, 1).builtin_options.Set(tflite::SoftmaxOptionsT());
  });
  EXPECT_TRUE(Rejected(fc, "opts", kInvalid,
                       {"model 'opts'", "operator #1 FULLY_CONNECTED", "SoftmaxOptions",
                        "expected FullyConnectedOptions"}));
}

TEST(HostileOperatorTest, MissingRequiredBuiltinOptions) {
  const Bytes bytes =
      Edited("kws_ref_model", [](tflite::ModelT& m) { Op(m, 0).builtin_options.Reset(); });
  EXPECT_TRUE(Rejected(bytes, "noopts", kInvalid,
                       {"model 'noopts'", "operator #0 CONV_2D", "builtin options are missing"}));
}

TEST(HostileOperatorTest, UnknownOptionsTypeOfAnUnlistedUnionMember) {
  // Union type 3 (LSHProjectionOptions in TFLite) is not in our schema subset:
  // the verifier skips it, the reader must refuse it.
  Bytes packed = Edited("kws_ref_model", [](tflite::ModelT&) {});
  // Operator #0's builtin_options_type byte (1, Conv2DOptions), overwritten in place.
  const auto* op = reinterpret_cast<const flatbuffers::Table*>(
      tflite::GetModel(packed.data())->subgraphs()->Get(0)->operators()->Get(0));
  const uint8_t* type_field = op->GetAddressOf(tflite::Operator::VT_BUILTIN_OPTIONS_TYPE);
  ASSERT_NE(type_field, nullptr);
  ASSERT_EQ(*type_field, tflite::BuiltinOptions_Conv2DOptions);
  packed[type_field - packed.data()] = 3;
  EXPECT_TRUE(Rejected(packed, "u3", kInvalid,
                       {"model 'u3'", "operator #0 CONV_2D", "type 3", "expected Conv2DOptions"}));
}

TEST(HostileOperatorTest, UnknownFusedActivation) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    Op(m, 0).builtin_options.AsFullyConnectedOptions()->fused_activation_function =
        static_cast<tflite::ActivationFunctionType>(42);
  });
  EXPECT_TRUE(Rejected(bytes, "act", kInvalid,
                       {"model 'act'", "operator #0 FULLY_CONNECTED", "fused activation 42"}));
}

TEST(HostileOperatorTest, WrongArityAndOmittedRequiredInput) {
  EXPECT_TRUE(Rejected(Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 1).inputs = {7}; }),
                       "arity", kInvalid,
                       {"model 'arity'", "operator #1 FULLY_CONNECTED", "has 1 inputs"}));
  EXPECT_TRUE(Rejected(
      Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 1).inputs[1] = -1; }), "omit",
      kInvalid, {"model 'omit'", "operator #1 FULLY_CONNECTED", "required input 1 is omitted"}));
  EXPECT_TRUE(Rejected(
      Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 1).outputs.push_back(-1); }),
      "outopt", kInvalid, {"model 'outopt'", "operator #1 FULLY_CONNECTED", "tensor index -1"}));
}

TEST(HostileOperatorTest, OptionalBiasMayBeOmitted) {
  const Bytes bytes =
      Edited("hello_world_int8", [](tflite::ModelT& m) { Op(m, 1).inputs[2] = -1; });
  EXPECT_TRUE(LoadsAndRuns(bytes, "nobias"));
}

// ---------------------------------------------------------------------------
// Kernel limits that keep valid-looking models from undefined behaviour.

// A SOFTMAX over more classes than its Q12.19 sum of exponentials can hold.
TEST(HostileKernelTest, SoftmaxTooDeepIsRefused) {
  const Bytes bytes = Edited("hello_world_int8", [](tflite::ModelT& m) {
    // FC(16) -> [1,16]; make the last FC produce 8192 units and add a softmax.
    Tensor(m, 2).shape = {8192, 16};
    BufferOf(m, 2).data.assign(8192 * 16, 1);
    Tensor(m, 1).shape = {8192};
    BufferOf(m, 1).data.assign(8192 * 4, 0);
    Tensor(m, 1).quantization->scale.assign(1, Tensor(m, 1).quantization->scale[0]);
    Tensor(m, 9).shape = {1, 8192};
    auto softmax_out = std::make_unique<tflite::TensorT>();
    softmax_out->name = "probs";
    softmax_out->type = tflite::TensorType_INT8;
    softmax_out->shape = {1, 8192};
    softmax_out->buffer = 0;
    softmax_out->quantization = std::make_unique<tflite::QuantizationParametersT>();
    softmax_out->quantization->scale = {1.0f / 256};
    softmax_out->quantization->zero_point = {-128};
    Subgraph(m).tensors.push_back(std::move(softmax_out));
    auto code = std::make_unique<tflite::OperatorCodeT>();
    code->builtin_code = code->deprecated_builtin_code = 25;  // SOFTMAX
    m.operator_codes.push_back(std::move(code));
    auto op = std::make_unique<tflite::OperatorT>();
    op->opcode_index = 1;
    op->inputs = {9};
    op->outputs = {10};
    tflite::SoftmaxOptionsT options;
    options.beta = 1.0f;
    op->builtin_options.Set(std::move(options));
    Subgraph(m).operators.push_back(std::move(op));
    Subgraph(m).outputs = {10};
  });
  EXPECT_TRUE(Rejected(bytes, "deep", kUnimplemented, {"model 'deep'", "operator #3 SOFTMAX"}));
}

// A SOFTMAX over 1000 equal values: each probability is 1/1000, which int8
// (steps of 1/256) rounds to 0, i.e. -128. The normalization's shift is 32 here
// (TFLite Micro shifts an int32 by 32: undefined).
TEST(HostileKernelTest, WideSoftmaxOfEqualValues) {
  tflite::SoftmaxOptionsT options;
  options.beta = 1.0f;
  tflite::BuiltinOptionsUnion u;
  u.Set(std::move(options));
  const Bytes bytes = SingleOpModel(
      25, {Int8({1, 1000}, 0.1f, 0), Int8({1, 1000}, 1.0f / 256, -128)}, std::move(u));
  ASSERT_TRUE(LoadsAndRuns(bytes, "softmax1000"));
  for (uint8_t fill : {0x00, 0x7f, 0x80}) {
    EXPECT_EQ(OutputFor(bytes, fill), Bytes(1000, 0x80)) << int{fill};
  }
}

// An AVERAGE_POOL_2D whose window sums more than 2^31 / 127 values.
TEST(HostileKernelTest, AveragePoolOverAHugeWindowDoesNotOverflow) {
  tflite::Pool2DOptionsT options;
  options.padding = tflite::Padding_VALID;
  options.stride_h = options.stride_w = 1;
  options.filter_height = 4096;
  options.filter_width = 4608;  // 18.9M taps * 127 > 2^31
  tflite::BuiltinOptionsUnion u;
  u.Set(std::move(options));
  const Bytes bytes = SingleOpModel(
      1, {Int8({1, 4096, 4608, 1}, 0.5f, 0), Int8({1, 1, 1, 1}, 0.5f, 0)}, std::move(u));
  EXPECT_EQ(OutputFor(bytes, 0x7f), Bytes{0x7f});
  EXPECT_EQ(OutputFor(bytes, 0x80), Bytes{0x80});
}

}  // namespace
}  // namespace tinyserve
