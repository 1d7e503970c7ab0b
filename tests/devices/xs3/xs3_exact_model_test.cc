// The xs3 device's exact lowering (TINYSERVE_XS3_LOWERING=exact): every
// bundled model must reproduce TensorFlow Lite Micro's outputs (the oracle)
// bit for bit on every oracle input, on either VLASHR rounding; and the
// cost of that beside the default (xmos) lowering is printed per model.
#include <cstdio>
#include <cstdlib>
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

class Xs3ExactModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Xs3ExactModelTest, BitExactAgainstOracleOnEveryVector) {
  std::string why;
  const auto oracle = tinyserve::testing::FindOracleModel(GetParam(), &why);
  if (!oracle) GTEST_SKIP() << why;
  const std::string& dir = oracle->dir;
  const nlohmann::json& index = oracle->index;
  auto model = Model::LoadFile(tinyserve::testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  auto xmos = Xs3Executable::Build(*model, VlashrRounding::kFloor, LoweringMode::kXmos);
  ASSERT_TRUE(xmos.ok()) << xmos.status();
  const size_t in_bytes = (*model)->input(0).bytes;
  const size_t out_bytes = (*model)->output(0).bytes;

  for (VlashrRounding rounding : {VlashrRounding::kFloor, VlashrRounding::kLibNn2024}) {
    auto exe = Xs3Executable::Build(*model, rounding, LoweringMode::kExact);
    ASSERT_TRUE(exe.ok()) << exe.status();
    auto session = (*exe)->NewSession();
    ASSERT_TRUE(session.ok()) << session.status();
    int runs = 0;
    int64_t differing = 0;
    for (const tinyserve::testing::OracleVector& v : tinyserve::testing::OracleVectors(index)) {
      const auto input = ReadBytes(dir + "/" + v.input);
      const auto expected = ReadBytes(dir + "/" + v.output);
      ASSERT_EQ(input.size() % in_bytes, 0u);
      for (size_t r = 0; r < input.size() / in_bytes; ++r) {
        std::copy_n(input.begin() + r * in_bytes, in_bytes, (*session)->input(0).begin());
        auto stats = (*session)->Invoke(InvokeOptions{});
        ASSERT_TRUE(stats.ok()) << stats.status();
        ++runs;
        const auto got = (*session)->output(0);
        for (size_t i = 0; i < out_bytes; ++i) {
          if (got[i] != expected[r * out_bytes + i]) {
            if (differing++ < 5) {
              ADD_FAILURE() << GetParam() << " " << v.input << " run " << r << " byte " << i
                            << ": xs3 exact " << int{static_cast<int8_t>(got[i])} << ", TFLM "
                            << int{static_cast<int8_t>(expected[r * out_bytes + i])};
            }
          }
        }
      }
    }
    ASSERT_GT(runs, 0);
    EXPECT_EQ(differing, 0);
    if (rounding != VlashrRounding::kFloor) continue;
    const CompileReport& exact = (*exe)->report();
    const CompileReport& base = (*xmos)->report();
    EXPECT_EQ(exact.lowering, "exact");
    EXPECT_EQ(base.lowering, "xmos");
    int64_t sum = 0;
    for (const OpReport& op : exact.ops) sum += op.cycles_one_thread;
    EXPECT_EQ(sum, exact.cycles_one_thread);
    std::printf(
        "[ xs3 exact] %-24s %4d runs bit-exact; vpu ops %d/%zu (xmos %d); cycles 1T xmos %lld "
        "(%.2f ms) exact %lld (%.2f ms) = %+.1f%%; 5T %.2f ms vs %.2f ms\n",
        GetParam().c_str(), runs, exact.vpu_ops(), exact.ops.size(), base.vpu_ops(),
        static_cast<long long>(base.cycles_one_thread), base.milliseconds_one_thread,
        static_cast<long long>(exact.cycles_one_thread), exact.milliseconds_one_thread,
        100.0 * (static_cast<double>(exact.cycles_one_thread) /
                     static_cast<double>(base.cycles_one_thread) -
                 1.0),
        base.milliseconds_five_threads, exact.milliseconds_five_threads);
  }
}

INSTANTIATE_TEST_SUITE_P(BundledModels, Xs3ExactModelTest,
                         ::testing::ValuesIn(tinyserve::testing::BundledModelNames()),
                         [](const auto& info) { return info.param; });

TEST(Xs3ExactDeviceTest, LoweringSwitchParsesReportsAndRejectsUnknownValues) {
  EXPECT_EQ(*ParseLoweringMode(nullptr), LoweringMode::kXmos);
  EXPECT_EQ(*ParseLoweringMode(""), LoweringMode::kXmos);
  EXPECT_EQ(*ParseLoweringMode("xmos"), LoweringMode::kXmos);
  EXPECT_EQ(*ParseLoweringMode("exact"), LoweringMode::kExact);
  const auto bad = ParseLoweringMode("bitexact");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("TINYSERVE_XS3_LOWERING"), std::string::npos);

  setenv(kLoweringEnv, "bogus", 1);
  EXPECT_FALSE(CreateDevice("xs3").ok());
  setenv(kLoweringEnv, "exact", 1);
  auto device = CreateDevice("xs3");
  unsetenv(kLoweringEnv);
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_NE((*device)->Describe().description.find("lowering exact"), std::string::npos)
      << (*device)->Describe().description;
  auto model = Model::LoadFile(tinyserve::testing::BundledModelPath("vww_96_int8"));
  ASSERT_TRUE(model.ok()) << model.status();
  auto exe = (*device)->Compile(*model);
  ASSERT_TRUE(exe.ok()) << exe.status();
  const CompileReport& report = static_cast<const Xs3Executable&>(**exe).report();
  EXPECT_EQ(report.lowering, "exact");
  EXPECT_NE(report.ToString().find("(exact lowering)"), std::string::npos);
  for (const OpReport& op : report.ops) {
    if (op.op_name == "CONV_2D" || op.op_name == "DEPTHWISE_CONV_2D") {
      EXPECT_EQ(op.placement, Placement::kVpu) << op.reason;
      EXPECT_NE(op.kernel.find("exact"), std::string::npos) << op.kernel;
    }
  }
  auto xmos = CreateDevice("xs3");
  ASSERT_TRUE(xmos.ok());
  EXPECT_NE((*xmos)->Describe().description.find("lowering xmos"), std::string::npos);
}

}  // namespace
}  // namespace tinyserve::xs3
