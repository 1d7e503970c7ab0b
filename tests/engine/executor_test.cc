// Executor guarantees: Invoke allocates nothing, and many executors of one
// compiled model run correctly on different threads at once.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <thread>

#include "engine/executor.h"
#include "engine/util/splitmix64.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_paths.h"

// Counts heap allocations made by the current thread while counting is on.
// g++ sees free() of an operator-new pointer after inlining the replaced
// operators below and warns, though the pair here is malloc/free throughout.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
thread_local bool g_counting = false;
thread_local int64_t g_allocations = 0;
}  // namespace

void* operator new(size_t size) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// The nothrow form too (std::stable_sort's temporary buffer uses it): left to
// the runtime, AddressSanitizer's would allocate what the free() above releases.
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  if (g_counting) ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace tinyserve {
namespace {

std::shared_ptr<const CompiledModel> Compile(const std::string& name) {
  auto model = Model::LoadFile(testing::BundledModelPath(name));
  EXPECT_TRUE(model.ok()) << model.status();
  auto compiled = CompiledModel::CompileReference(*model);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

TEST(ExecutorTest, InvokeAllocatesNothing) {
  for (const std::string& name : testing::BundledModelNames()) {
    Executor executor(Compile(name));
    SplitMix64 rng(1);
    for (auto& b : executor.input(0)) b = static_cast<uint8_t>(rng.NextInt8());
    g_allocations = 0;
    g_counting = true;
    executor.Invoke();
    executor.Invoke(/*profile=*/true);
    g_counting = false;
    EXPECT_EQ(g_allocations, 0) << name << ": Invoke allocated";
  }
}

TEST(ExecutorTest, AllocationCounterSeesAllocations) {
  // Guards the test above against a counter that cannot count.
  g_allocations = 0;
  g_counting = true;
  auto* p = new std::vector<int>(100);
  g_counting = false;
  delete p;
  EXPECT_GE(g_allocations, 1);
}

// Four threads share one CompiledModel, each with its own Executor and its own
// oracle vector, many times over; every output must stay the oracle's.
TEST(ExecutorTest, ConcurrentExecutorsShareOneCompiledModel) {
  const auto oracle = testing::OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  const std::string name = "kws_ref_model";
  const std::string dir = *oracle + "/" + name;
  auto compiled = Compile(name);
  constexpr int kThreads = 4;
  std::vector<std::vector<uint8_t>> inputs, outputs;
  for (int i = 0; i < kThreads; ++i) {
    char file[32];
    std::snprintf(file, sizeof(file), "%02d.bin", i);
    inputs.push_back(testing::ReadBytes(dir + "/inputs/input_" + file));
    outputs.push_back(testing::ReadBytes(dir + "/outputs/output_" + file));
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Executor executor(compiled);
      for (int round = 0; round < 50; ++round) {
        std::copy(inputs[t].begin(), inputs[t].end(), executor.input(0).begin());
        executor.Invoke();
        const auto out = executor.output(0);
        if (!std::equal(out.begin(), out.end(), outputs[t].begin(), outputs[t].end())) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ExecutorTest, ProfileRecordsEveryOperator) {
  Executor executor(Compile("vww_96_int8"));
  executor.Invoke(/*profile=*/true);
  const auto nanos = executor.op_nanoseconds();
  ASSERT_EQ(nanos.size(), executor.compiled().model().operators().size());
  int64_t total = 0;
  for (int64_t n : nanos) {
    EXPECT_GE(n, 0);
    total += n;
  }
  EXPECT_GT(total, 0);
}

}  // namespace
}  // namespace tinyserve
