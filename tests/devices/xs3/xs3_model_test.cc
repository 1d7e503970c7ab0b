// Every bundled model on the xs3 device against TensorFlow Lite Micro's
// outputs (the oracle, which the ref device reproduces bit for bit) on every
// oracle input: top-1 agreement for classifiers and a measured bound on the
// largest output difference. XMOS accepts +-1 LSB per op (xs3.md §2.4); end
// to end the differences compound through the layers, so the bound here is
// per model, measured, and printed with the other figures.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "devices/device_registry.h"
#include "devices/xs3/op_fidelity.h"
#include "devices/xs3/output_agreement.h"
#include "devices/xs3/xs3_executable.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/oracle_vectors.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

using testing::ReadBytes;

// Largest |xs3 - TFLite| over every output byte of every oracle input,
// measured with VLASHR floor (the default): the measured maxima. Every VPU op
// is within 1 LSB of TFLite on the same inputs (the test below); the final
// SOFTMAX (scale 1/256) magnifies a 1-2 LSB logit difference into tens of
// LSBs of probability (kws, resnet), the deeper nets compound it.
const std::map<std::string, int> kMaxAbsDiff = {
    {"vww_96_int8", 5},  {"kws_ref_model", 47},          {"pretrainedResnet_quant", 115},
    {"ad01_int8", 3},    {"micro_speech_quantized", 0},  {"hello_world_int8", 3},
};
// Oracle inputs where xs3's top-1 may differ from TFLite's: measured near
// ties. pretrainedResnet_quant's synthetic "edge_alt_input" scores classes 1
// and 4 at +32 / -32 (probabilities 0.62 / 0.37); xs3 swaps them.
const std::map<std::string, int> kAllowedTop1Misses = {{"pretrainedResnet_quant", 1}};

size_t ArgMax(absl::Span<const uint8_t> bytes) {
  return std::max_element(bytes.begin(), bytes.end(),
                          [](uint8_t a, uint8_t b) {
                            return static_cast<int8_t>(a) < static_cast<int8_t>(b);
                          }) -
         bytes.begin();
}

class Xs3ModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Xs3ModelTest, MatchesTfliteWithinMeasuredBoundOnOracleInputs) {
  std::string why;
  const auto oracle = testing::FindOracleModel(GetParam(), &why);
  if (!oracle) GTEST_SKIP() << why;
  const std::string& dir = oracle->dir;
  const nlohmann::json& index = oracle->index;
  auto model = Model::LoadFile(testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  auto device = CreateDevice("xs3");
  ASSERT_TRUE(device.ok()) << device.status();
  auto exe = (*device)->Compile(*model);
  ASSERT_TRUE(exe.ok()) << exe.status();
  auto session = (*exe)->NewSession();
  ASSERT_TRUE(session.ok()) << session.status();
  const size_t in_bytes = (*model)->input(0).bytes;
  const size_t out_bytes = (*model)->output(0).bytes;
  // Classifiers: a handful of scores. ad01 (an autoencoder) and hello_world
  // (a regression) have no top-1.
  const bool classifier = xs3::HasTopClass((*model)->output(0));

  int runs = 0, top1_agree = 0;
  int64_t cycles = 0;
  xs3::Agreement agreement;
  for (const testing::OracleVector& v : testing::OracleVectors(index)) {
    const auto input = ReadBytes(dir + "/" + v.input);
    const auto expected = ReadBytes(dir + "/" + v.output);
    ASSERT_EQ(input.size() % in_bytes, 0u) << v.input;
    for (size_t r = 0; r < input.size() / in_bytes; ++r) {
      std::copy_n(input.begin() + r * in_bytes, in_bytes, (*session)->input(0).begin());
      auto stats = (*session)->Invoke(InvokeOptions{});
      ASSERT_TRUE(stats.ok()) << stats.status();
      ASSERT_TRUE(stats->cycles.has_value());
      cycles = *stats->cycles;
      const auto got = (*session)->output(0);
      const auto want = absl::MakeConstSpan(expected).subspan(r * out_bytes, out_bytes);
      ++runs;
      agreement.Add(DataType::kInt8, got, want);
      if (classifier) {
        // Agreement: xs3's top class is one of TFLite's top (ties count).
        const size_t mine = ArgMax(got);
        if (xs3::TopClassAgrees(DataType::kInt8, got, want)) {
          ++top1_agree;
        } else {
          std::printf("[ xs3      ] top-1 miss: ");
          std::fflush(stdout);
          std::cout << GetParam() << " " << v.input << " run " << r << ": xs3 top-1 " << mine
                        << " (TFLite score " << int{static_cast<int8_t>(want[mine])} << ", xs3 "
                        << int{static_cast<int8_t>(got[mine])} << "), TFLite top-1 "
                        << ArgMax(want) << " (TFLite score "
                        << int{static_cast<int8_t>(want[ArgMax(want)])} << ", xs3 "
                        << int{static_cast<int8_t>(got[ArgMax(want)])} << ")\n";
        }
      }
    }
  }
  ASSERT_GT(runs, 0);
  const auto& report = static_cast<const xs3::Xs3Executable&>(**exe).report();
  std::printf(
      "[ xs3      ] %-24s runs %4d  top-1 %s  identical %.4f  max|d| %d  cycles %lld  "
      "est %.2f ms (1T) %.2f ms (5T)  vpu ops %d/%zu\n",
      GetParam().c_str(), runs,
      classifier ? (std::to_string(top1_agree) + "/" + std::to_string(runs)).c_str() : "n/a",
      agreement.identical_fraction(), static_cast<int>(agreement.max_abs_diff),
      static_cast<long long>(cycles), report.milliseconds_one_thread,
      report.milliseconds_five_threads, report.vpu_ops(), report.ops.size());
  EXPECT_EQ(cycles, report.cycles_one_thread) << "cycle counts must not depend on the data";
  if (classifier) {
    const auto allowed = kAllowedTop1Misses.find(GetParam());
    EXPECT_LE(runs - top1_agree, allowed == kAllowedTop1Misses.end() ? 0 : allowed->second);
  }
  const auto bound = kMaxAbsDiff.find(GetParam());
  ASSERT_NE(bound, kMaxAbsDiff.end()) << "no measured bound for " << GetParam();
  EXPECT_LE(agreement.max_abs_diff, bound->second);
}

// Op by op: each op's reference kernel runs on the xs3 session's own inputs
// (xs3::OpFidelityMeter), and the xs3 output must be within 1 LSB of it
// (XMOS's per-op accuracy bar).
TEST_P(Xs3ModelTest, EveryOpWithinOneLsbOfReferenceOnSameInputs) {
  std::string why;
  const auto oracle = testing::FindOracleModel(GetParam(), &why);
  if (!oracle) GTEST_SKIP() << why;
  const std::string& dir = oracle->dir;
  const nlohmann::json& index = oracle->index;
  auto model = Model::LoadFile(testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  auto exe = xs3::Xs3Executable::Build(*model, xs3::VlashrRounding::kFloor);
  ASSERT_TRUE(exe.ok()) << exe.status();
  xs3::OpFidelityMeter meter(*exe);
  const size_t in_bytes = (*model)->input(0).bytes;
  for (const testing::OracleVector& v : testing::OracleVectors(index)) {
    const auto input = ReadBytes(dir + "/" + v.input);
    for (size_t r = 0; r < input.size() / in_bytes; ++r) {
      const absl::Span<const uint8_t> one = absl::MakeConstSpan(input).subspan(r * in_bytes, in_bytes);
      ASSERT_TRUE(meter.Run({one}).ok());
    }
  }
  std::string line;
  for (const xs3::OpFidelity& op : meter.ops()) {
    const int max_diff = static_cast<int>(op.agreement.max_abs_diff);
    line += std::to_string(max_diff) + (op.placement == xs3::Placement::kVpu ? "v " : "r ");
    EXPECT_LE(max_diff, 1) << GetParam() << " op #" << op.index << " " << op.op_name;
    if (op.placement == xs3::Placement::kReference) {
      EXPECT_EQ(max_diff, 0) << "a reference op must match the reference exactly";
    }
  }
  std::printf("[ xs3      ] %-24s per-op max|d| (v = vpu, r = reference): %s\n", GetParam().c_str(),
              line.c_str());
}

INSTANTIATE_TEST_SUITE_P(BundledModels, Xs3ModelTest,
                         ::testing::ValuesIn(testing::BundledModelNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tinyserve
