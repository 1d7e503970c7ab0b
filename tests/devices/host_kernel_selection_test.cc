// Proves the `host` device really runs its SIMD kernels: on every ISA this CPU
// has, each op kind the host implements is bound to that ISA's inner loops
// (HostExecutable::op_kernels), not to a silent reference or portable
// fallback. The bit-exactness tests (host_oracle_test, host_differential_test)
// say nothing about speed paths when everything quietly ran `ref`.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"

#include "devices/device_registry.h"
#include "devices/host/host_executable.h"
#include "engine/model.h"
#include "engine/op_type.h"
#include "gtest/gtest.h"
#include "tests/devices/host_isa_support.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

using testing::ModelBuilder;
using testing::PerTensor;

// The ISAs this CPU runs, probed here independently of devices/host/host_isa.cc.
std::vector<std::string> CpuIsas() {
  std::vector<std::string> isas = {"portable"};
#if defined(__x86_64__)
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512bw = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  if (avx2) isas.push_back("avx2");
  if (avx512bw) isas.push_back("avx512bw");
  if (avx512bw && __builtin_cpu_supports("avx512vnni")) isas.push_back("avx512vnni");
#endif
  return isas;
}

// What op_kernels() must say for `op` on `isa`: ADD and the pools share one
// AVX-512 table (no VNNI instruction helps them); kReferenceKernelName for an
// op the host device leaves to the reference kernels (its header says which).
std::string ExpectedKernel(const Model& model, const Operator& op, const std::string& isa) {
  switch (op.type) {
    case OpType::kDepthwiseConv2D:  // depth multiplier 1 only
      if (model.tensor(op.inputs[0]).shape.back() != model.tensor(op.outputs[0]).shape.back()) {
        return kReferenceKernelName;
      }
      return "host:" + isa;
    case OpType::kConv2D:
    case OpType::kFullyConnected:
      return "host:" + isa;
    case OpType::kAdd:
    case OpType::kAveragePool2D:
    case OpType::kMaxPool2D:
      return "host:" + (isa == "avx512vnni" ? std::string("avx512bw") : isa);
    default:
      return kReferenceKernelName;
  }
}

// The per-op kernels `model` gets from CreateDevice("host") with the current
// TINYSERVE_HOST_ISA.
std::vector<std::string> HostKernels(const std::shared_ptr<const Model>& model) {
  auto device = CreateDevice("host");
  EXPECT_TRUE(device.ok()) << device.status();
  if (!device.ok()) return {};
  auto exe = (*device)->Compile(model);
  EXPECT_TRUE(exe.ok()) << exe.status();
  if (!exe.ok()) return {};
  const auto* host = dynamic_cast<const HostExecutable*>(exe->get());
  EXPECT_NE(host, nullptr) << "the host device's Compile must return a HostExecutable";
  if (host == nullptr) return {};
  EXPECT_EQ(host->op_kernels().size(), model->operators().size());
  return host->op_kernels();
}

TEST(HostKernelSelectionTest, EveryIsaOfThisCpuIsOffered) {
  const std::vector<std::string> cpu = CpuIsas();
  EXPECT_EQ(testing::SupportedIsasByProbing(), cpu)
      << "the host device does not offer every ISA this CPU has";
  std::printf("[ host     ] ISAs of this CPU: %s\n", testing::JoinIsas(cpu).c_str());
}

TEST(HostKernelSelectionTest, DefaultIsTheBestIsa) {
  std::optional<testing::ScopedEnv> unset;
  if (std::getenv(testing::kHostIsaEnv) != nullptr) unset.emplace(testing::kHostIsaEnv, "");
  auto model = Model::LoadFile(testing::BundledModelPath("hello_world_int8"));
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<std::string> kernels = HostKernels(*model);
  ASSERT_FALSE(kernels.empty());
  EXPECT_EQ(kernels[0], "host:" + CpuIsas().back());  // a FULLY_CONNECTED
}

// Every op of every bundled model, on every ISA: the host ops on the ISA's
// own loops, the rest (SOFTMAX, RESHAPE) on the reference kernels.
TEST(HostKernelSelectionTest, BundledModelsBindHostKernelsOnEveryIsa) {
  int host_bound = 0;
  for (const std::string& isa : CpuIsas()) {
    testing::ScopedEnv env(testing::kHostIsaEnv, isa);
    for (const std::string& name : testing::BundledModelNames()) {
      auto model = Model::LoadFile(testing::BundledModelPath(name));
      ASSERT_TRUE(model.ok()) << model.status();
      const std::vector<std::string> kernels = HostKernels(*model);
      ASSERT_EQ(kernels.size(), (*model)->operators().size()) << name;
      for (const Operator& op : (*model)->operators()) {
        const std::string want = ExpectedKernel(**model, op, isa);
        EXPECT_EQ(kernels[op.index], want)
            << name << " op #" << op.index << " " << OpTypeName(op.type) << " on ISA " << isa;
        if (want != kReferenceKernelName) ++host_bound;
      }
    }
  }
  EXPECT_GT(host_bound, 0);
}

// MAX_POOL_2D, which no bundled model has; SOFTMAX as an op the host leaves to ref.
std::shared_ptr<const Model> MaxPoolThenSoftmax() {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 4, 4, 16}, PerTensor(0.5f, 3));
  const int pooled = b.AddTensor(tflite::TensorType_INT8, {1, 2, 2, 16}, PerTensor(0.5f, 3));
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 2, 2, 16}, PerTensor(1.0f / 256, -128));
  tflite::Pool2DOptionsT pool;
  pool.padding = tflite::Padding_VALID;
  pool.stride_h = pool.stride_w = 2;
  pool.filter_height = pool.filter_width = 2;
  b.AddOperator(OpType::kMaxPool2D, {in}, {pooled}, pool);
  tflite::SoftmaxOptionsT softmax;
  softmax.beta = 1.0f;
  b.AddOperator(OpType::kSoftmax, {pooled}, {out}, softmax);
  const std::vector<uint8_t> bytes = b.Finish();
  auto model = Model::LoadBuffer(absl::MakeConstSpan(bytes), "max_pool_softmax");
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

TEST(HostKernelSelectionTest, MaxPoolOnEveryIsaSoftmaxOnReference) {
  const auto model = MaxPoolThenSoftmax();
  ASSERT_NE(model, nullptr);
  for (const std::string& isa : CpuIsas()) {
    testing::ScopedEnv env(testing::kHostIsaEnv, isa);
    const std::vector<std::string> kernels = HostKernels(model);
    ASSERT_EQ(kernels.size(), 2u);
    EXPECT_EQ(kernels[0], ExpectedKernel(*model, model->operators()[0], isa)) << isa;
    EXPECT_EQ(kernels[1], kReferenceKernelName) << isa;
  }
}

}  // namespace
}  // namespace tinyserve
