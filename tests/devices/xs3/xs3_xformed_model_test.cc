// xformed models (xcore-opt output, XMOS's own compiler) on the xs3 device:
// every vector must give, bit for bit, what XMOS's host interpreter (lib_nn's
// kernels on x86) gave. The expected outputs come from XMOS's tools, never
// from tinyserve: tests/data/xmos, made by tests/oracle_tools/generate_xmos_oracle.py.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "devices/device_registry.h"
#include "devices/xs3/xs3_device.h"
#include "devices/xs3/xs3_executable.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/oracle_vectors.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xs3 {
namespace {

using tinyserve::testing::ReadBytes;
using tinyserve::testing::TestDataPath;

std::vector<std::string> XformedCases() { return tinyserve::testing::XformedModelCases(); }

nlohmann::json ReadIndex(const std::string& dir) {
  std::ifstream in(dir + "/index.json");
  return nlohmann::json::parse(in);
}

class Xs3XformedModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string dir() const { return TestDataPath("xmos/" + GetParam()); }
};

TEST_P(Xs3XformedModelTest, BitExactWithXmosHostInterpreterOnEveryVector) {
  const nlohmann::json index = ReadIndex(dir());
  auto model = Model::LoadFile(dir() + "/model.xc.tflite");
  ASSERT_TRUE(model.ok()) << model.status();
  auto device = CreateDevice("xs3");
  ASSERT_TRUE(device.ok()) << device.status();
  auto exe = (*device)->Compile(*model);
  ASSERT_TRUE(exe.ok()) << exe.status();
  auto session = (*exe)->NewSession();
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_EQ((*model)->num_inputs(), 1);
  ASSERT_EQ((*model)->num_outputs(), 1);
  const size_t in_bytes = (*model)->input(0).bytes;
  const size_t out_bytes = (*model)->output(0).bytes;

  int runs = 0, exact_runs = 0;
  int64_t differing = 0;
  for (const tinyserve::testing::OracleVector& v : tinyserve::oracle::OracleVectors(index)) {
    const auto input = ReadBytes(dir() + "/" + v.input);
    const auto expected = ReadBytes(dir() + "/" + v.output);
    ASSERT_EQ(input.size() % in_bytes, 0u) << v.input;
    ASSERT_EQ(expected.size(), input.size() / in_bytes * out_bytes) << v.output;
    for (size_t r = 0; r < input.size() / in_bytes; ++r) {
      std::copy_n(input.begin() + r * in_bytes, in_bytes, (*session)->input(0).begin());
      auto stats = (*session)->Invoke(InvokeOptions{});
      ASSERT_TRUE(stats.ok()) << stats.status();
      ++runs;
      const auto got = (*session)->output(0);
      bool exact = true;
      for (size_t i = 0; i < out_bytes; ++i) {
        if (got[i] == expected[r * out_bytes + i]) continue;
        exact = false;
        if (differing++ < 5) {
          ADD_FAILURE() << GetParam() << " " << v.input << " run " << r << " byte " << i
                        << ": xs3 " << int{static_cast<int8_t>(got[i])} << ", XMOS "
                        << int{static_cast<int8_t>(expected[r * out_bytes + i])};
        }
      }
      exact_runs += exact ? 1 : 0;
    }
  }
  ASSERT_GT(runs, 0);
  std::printf("[ xmos oracle ] %-32s %d/%d vectors bit-exact\n", GetParam().c_str(), exact_runs,
              runs);
  EXPECT_EQ(differing, 0);
}

TEST_P(Xs3XformedModelTest, PortableDevicesRefuseItNamingTheXmosOperator) {
  auto model = Model::LoadFile(dir() + "/model.xc.tflite");
  ASSERT_TRUE(model.ok()) << model.status();
  for (const std::string name : {"ref", "host"}) {
    auto device = CreateDevice(name);
    ASSERT_TRUE(device.ok()) << device.status();
    auto exe = (*device)->Compile(*model);
    ASSERT_EQ(exe.status().code(), absl::StatusCode::kUnimplemented) << name;
    EXPECT_NE(exe.status().message().find("XC_"), std::string::npos) << exe.status();
    EXPECT_NE(exe.status().message().find("is an XMOS operator"), std::string::npos)
        << exe.status();
  }
}

INSTANTIATE_TEST_SUITE_P(XmosTools, Xs3XformedModelTest, ::testing::ValuesIn(XformedCases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Xs3XformedModelTest);

TEST(Xs3XformedDataTest, EveryBundledModelXcoreOptAcceptsHasData) {
  // The generator records models xcore-opt refuses; every other bundled model
  // must have its three configurations here, so a missing directory fails.
  std::ifstream in(TestDataPath("xmos/index.json"));
  ASSERT_TRUE(in) << "tests/data/xmos/index.json is missing";
  const nlohmann::json summary = nlohmann::json::parse(in);
  const std::vector<std::string> cases = XformedCases();
  int expected = 0;
  for (const std::string& model : tinyserve::testing::BundledModelNames()) {
    const std::string text = summary.dump();
    if (text.find(model) == std::string::npos) {
      ADD_FAILURE() << model << " is not in tests/data/xmos/index.json";
      continue;
    }
    for (const std::string config : {"default", "t05", "t05x5"}) {
      if (std::filesystem::exists(TestDataPath("xmos/" + model + "/" + config))) {
        ++expected;
        EXPECT_NE(std::find(cases.begin(), cases.end(), model + "/" + config), cases.end());
      }
    }
  }
  EXPECT_GE(expected, 3 * 5) << "five of the six bundled models xform (micro_speech doesn't)";
}

}  // namespace
}  // namespace tinyserve::xs3
