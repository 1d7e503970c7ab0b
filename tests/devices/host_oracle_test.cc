// Every oracle vector (TensorFlow Lite Micro's reference outputs) of every
// bundled model must be reproduced bit for bit by the `host` device, on every
// dispatch target (TINYSERVE_HOST_ISA) this machine supports.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "devices/device_registry.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/devices/host_isa_support.h"
#include "tests/support/oracle_vectors.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

using testing::ReadBytes;

using testing::OracleVectors;

class HostOracleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HostOracleTest, AllVectorsBitExactOnEveryIsa) {
  if (absl::Status s = testing::HostDeviceAvailable(); !s.ok()) {
    GTEST_SKIP() << "host device not built yet: " << s;
  }
  std::string why;
  const auto oracle = testing::FindOracleModel(GetParam(), &why);
  if (!oracle) GTEST_SKIP() << why;
  const std::string& dir = oracle->dir;
  const nlohmann::json& index = oracle->index;
  auto model = Model::LoadFile(testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  const size_t in_bytes = (*model)->input(0).bytes;
  const size_t out_bytes = (*model)->output(0).bytes;

  // Read the vectors once.
  struct Loaded {
    std::string name;
    std::vector<uint8_t> input, expected;
  };
  std::vector<Loaded> vectors;
  for (const testing::OracleVector& v : OracleVectors(index)) {
    Loaded l{v.input, ReadBytes(dir + "/" + v.input), ReadBytes(dir + "/" + v.output)};
    ASSERT_EQ(l.input.size() % in_bytes, 0u) << v.input;
    ASSERT_EQ(l.expected.size(), l.input.size() / in_bytes * out_bytes) << v.output;
    vectors.push_back(std::move(l));
  }
  ASSERT_FALSE(vectors.empty());

  std::vector<std::string> tested;
  for (const std::string& isa : testing::AllHostIsas()) {
    testing::ScopedEnv env(testing::kHostIsaEnv, isa);
    auto device = CreateDevice("host");
    if (!device.ok()) {
      std::printf("[ host     ] ISA %s skipped: %s\n", isa.c_str(),
                  device.status().ToString().c_str());
      continue;
    }
    auto exe = (*device)->Compile(*model);
    ASSERT_TRUE(exe.ok()) << isa << ": " << exe.status();
    auto session = (*exe)->NewSession();
    ASSERT_TRUE(session.ok()) << isa << ": " << session.status();
    ASSERT_EQ((*session)->input(0).size(), in_bytes);
    ASSERT_EQ((*session)->output(0).size(), out_bytes);
    int exact = 0, runs_total = 0;
    for (const Loaded& v : vectors) {
      const size_t runs = v.input.size() / in_bytes;
      bool vector_exact = true;
      for (size_t r = 0; r < runs; ++r) {
        std::copy_n(v.input.begin() + r * in_bytes, in_bytes, (*session)->input(0).begin());
        auto stats = (*session)->Invoke(InvokeOptions{});
        ASSERT_TRUE(stats.ok()) << isa << ": " << stats.status();
        ++runs_total;
        const auto out = (*session)->output(0);
        for (size_t i = 0; i < out_bytes; ++i) {
          const int got = static_cast<int8_t>(out[i]);
          const int want = static_cast<int8_t>(v.expected[r * out_bytes + i]);
          if (got != want) {
            ADD_FAILURE() << GetParam() << " ISA " << isa << " " << v.name << " run " << r
                          << " element " << i << ": host " << got << ", TFLM " << want;
            vector_exact = false;
            break;
          }
        }
      }
      exact += vector_exact ? 1 : 0;
    }
    std::printf("[ host     ] %s ISA %s: %d/%zu vectors bit-exact (%d runs)\n",
                GetParam().c_str(), isa.c_str(), exact, vectors.size(), runs_total);
    tested.push_back(isa);
  }
  ASSERT_FALSE(tested.empty()) << "CreateDevice(\"host\") failed for every ISA";
  EXPECT_EQ(tested.front(), "portable") << "the portable target must always be available";
  std::printf("[ host     ] ISAs tested: %s\n", testing::JoinIsas(tested).c_str());
}

INSTANTIATE_TEST_SUITE_P(BundledModels, HostOracleTest,
                         ::testing::ValuesIn(testing::BundledModelNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tinyserve
