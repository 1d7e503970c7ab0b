// The xs3 device's contract: registry entry, description, the VLASHR switch,
// and a compile report that says which ops run where and why.
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "devices/device_registry.h"
#include "devices/xs3/xs3_device.h"
#include "devices/xs3/xs3_executable.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_paths.h"

namespace tinyserve::xs3 {
namespace {

TEST(Xs3DeviceTest, RegisteredAndDescribed) {
  auto device = CreateDevice("xs3");
  ASSERT_TRUE(device.ok()) << device.status();
  const DeviceInfo info = (*device)->Describe();
  EXPECT_EQ(info.name, "xs3");
  EXPECT_EQ(info.kind, "xs3-emulator");
  EXPECT_EQ(info.capabilities, (std::vector<std::string>{"cycle-count", "per-op-timing"}));
}

TEST(Xs3DeviceTest, VlashrSwitchParsesAndRejectsUnknownValues) {
  EXPECT_EQ(*ParseVlashrRounding(nullptr), VlashrRounding::kFloor);
  EXPECT_EQ(*ParseVlashrRounding("floor"), VlashrRounding::kFloor);
  EXPECT_EQ(*ParseVlashrRounding("libnn2024"), VlashrRounding::kLibNn2024);
  const auto bad = ParseVlashrRounding("round");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("TINYSERVE_XS3_VLASHR"), std::string::npos);
  setenv(kVlashrEnv, "bogus", 1);
  EXPECT_FALSE(CreateDevice("xs3").ok());
  unsetenv(kVlashrEnv);
}

TEST(Xs3DeviceTest, CompileReportSaysWhichOpsRunWhere) {
  auto model = Model::LoadFile(testing::BundledModelPath("vww_96_int8"));
  ASSERT_TRUE(model.ok()) << model.status();
  auto exe = Xs3Executable::Build(*model, VlashrRounding::kFloor);
  ASSERT_TRUE(exe.ok()) << exe.status();
  const CompileReport& report = (*exe)->report();
  ASSERT_EQ(report.ops.size(), (*model)->operators().size());
  for (const OpReport& op : report.ops) {
    SCOPED_TRACE(op.op_name + " #" + std::to_string(op.index));
    if (op.op_name == "RESHAPE" || op.op_name == "SOFTMAX") {
      EXPECT_EQ(op.placement, Placement::kReference);
      EXPECT_NE(op.reason.find("no XS3 kernel"), std::string::npos);
      EXPECT_FALSE(op.output_transform.has_value());
    } else if (op.placement == Placement::kReference) {
      // Reverted for its output transform's error, as xcore-opt reverts ops
      // (which ones: LoweringDecisionsMatchXcoreOpt below).
      EXPECT_NE(op.reason.find("reverting to reference"), std::string::npos) << op.reason;
      ASSERT_TRUE(op.estimated_error.has_value());
      EXPECT_GT(*op.estimated_error, kOutputTransformErrorThreshold);
    } else {
      // CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, FULLY_CONNECTED.
      EXPECT_EQ(op.placement, Placement::kVpu) << op.reason;
      ASSERT_TRUE(op.output_transform.has_value());
      ASSERT_TRUE(op.estimated_error.has_value());
      EXPECT_LE(*op.estimated_error, kOutputTransformErrorThreshold);
    }
    EXPECT_GT(op.cycles_one_thread, 0);
    EXPECT_LE(op.cycles_five_threads, op.cycles_one_thread + 5 * 60);
  }
  EXPECT_EQ(report.vpu_ops(), 26);
  const std::string text = report.ToString();
  EXPECT_NE(text.find("CONV_2D"), std::string::npos);
  EXPECT_NE(text.find("reference"), std::string::npos);
  std::printf("%s", text.c_str());
}

// Our lowering of a plain int8 model takes xcore-opt's decisions: the ops
// xcore-opt 1.4.2 reverted to reference at its default threshold (its log,
// recorded in tests/data/xmos/<model>/default/index.json) are exactly the
// conv-like ops ours leaves on the reference kernel for their output
// transform's error.
TEST(Xs3DeviceTest, LoweringDecisionsMatchXcoreOpt) {
  int models = 0;
  for (const std::string& name : testing::BundledModelNames()) {
    std::ifstream in(testing::TestDataPath("xmos/" + name + "/default/index.json"));
    if (!in) continue;  // xcore-opt refuses this model (micro_speech)
    ++models;
    const nlohmann::json index = nlohmann::json::parse(in);
    std::set<int> xmos_reverted;
    for (const auto& r : index.at("reverted_to_reference")) {
      xmos_reverted.insert(r.at("source_op_index").get<int>());
    }
    auto model = Model::LoadFile(testing::BundledModelPath(name));
    ASSERT_TRUE(model.ok()) << model.status();
    auto exe = Xs3Executable::Build(*model, VlashrRounding::kFloor);
    ASSERT_TRUE(exe.ok()) << exe.status();
    std::set<int> ours;
    for (const OpReport& op : (*exe)->report().ops) {
      if (op.reason.find("reverting to reference") != std::string::npos) ours.insert(op.index);
    }
    EXPECT_EQ(ours, xmos_reverted) << name;
  }
  EXPECT_EQ(models, 5);
}

}  // namespace
}  // namespace tinyserve::xs3
