// The xs3 device's contract: registry entry, description, the VLASHR switch,
// and a compile report that says which ops run where and why.
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "devices/device_registry.h"
#include "devices/xs3/cycle_model.h"
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

// The profile in XMOS's layout is the compile report regrouped: every op is a
// node (with the pads our lowering folds into a conv split out as the
// XC_pad_3_to_4 / XC_pad nodes xformer would emit), classes add the nodes up,
// and both add up to the report's totals.
TEST(Xs3DeviceTest, ProfileNodesAndClassesAddUpToTheTotals) {
  auto model = Model::LoadFile(testing::BundledModelPath("vww_96_int8"));
  ASSERT_TRUE(model.ok()) << model.status();
  auto exe = Xs3Executable::Build(*model, VlashrRounding::kFloor);
  ASSERT_TRUE(exe.ok()) << exe.status();
  const CompileReport& report = (*exe)->report();
  const Profile profile = report.MakeProfile();
  EXPECT_EQ(profile.cycles_one_thread, report.cycles_one_thread);
  EXPECT_EQ(profile.cycles_five_threads, report.cycles_five_threads);
  EXPECT_LE(profile.cycles_five_threads, profile.cycles_one_thread);

  int64_t nodes_one = 0, nodes_five = 0;
  std::map<std::string, int> nodes_per_class;
  for (const ProfileNode& n : profile.nodes) {
    SCOPED_TRACE(n.node + " " + n.op_class);
    EXPECT_GT(n.cycles_one_thread, 0);
    EXPECT_GT(n.cycles_five_threads, 0);
    if (n.op_class == "XC_pad" || n.op_class == "XC_pad_3_to_4") {
      // xformer's pads run on one thread whatever the thread count.
      EXPECT_EQ(n.cycles_five_threads, n.cycles_one_thread);
    }
    nodes_one += n.cycles_one_thread;
    nodes_five += n.cycles_five_threads;
    ++nodes_per_class[n.op_class];
  }
  EXPECT_EQ(nodes_one, profile.cycles_one_thread);
  EXPECT_EQ(nodes_five, profile.cycles_five_threads);

  int64_t classes_one = 0, classes_five = 0;
  for (const ProfileClass& c : profile.classes) {
    SCOPED_TRACE(c.op_class);
    EXPECT_EQ(c.count, nodes_per_class[c.op_class]);
    EXPECT_LE(c.cycles_five_threads, c.cycles_one_thread);
    classes_one += c.cycles_one_thread;
    classes_five += c.cycles_five_threads;
  }
  EXPECT_EQ(classes_one, profile.cycles_one_thread);
  EXPECT_EQ(classes_five, profile.cycles_five_threads);

  // vww: 26 VPU ops named as xformer names them, its 3-channel input padded
  // to 4 once, an XC_pad in front of every padded VPU conv/depthwise, and the
  // three reverted depthwise ops, RESHAPE and SOFTMAX under their own names.
  EXPECT_EQ(nodes_per_class["XC_conv2d_v2"], 26);
  EXPECT_EQ(nodes_per_class["XC_pad_3_to_4"], 1);
  EXPECT_EQ(nodes_per_class["XC_pad"], 11);
  EXPECT_EQ(nodes_per_class["DEPTHWISE_CONV_2D"], 3);
  EXPECT_EQ(nodes_per_class["RESHAPE"], 1);
  EXPECT_EQ(nodes_per_class["SOFTMAX"], 1);
  EXPECT_EQ(profile.nodes.size(), report.ops.size() + 12);

  const std::string text = report.ProfileText();
  for (const char* line : {"node 0/pad_3_to_4", "OP_XC_conv2d_v2", "OP_DEPTHWISE_CONV_2D",
                           "Cumulative times for invoke()...", "Total time for invoke() - ",
                           "--- 5 threads ---"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

// XMOS's profiler counts 10 ns ticks: 6 tile cycles at the 600 MHz clock.
TEST(Xs3DeviceTest, TicksAreTenNanoseconds) {
  EXPECT_EQ(CyclesToTicks(0), 0);
  EXPECT_EQ(CyclesToTicks(static_cast<int64_t>(kTileClockMhz) * 10), 1000);
  EXPECT_EQ(CyclesToTicks(6 * 12345), 12345 * 600 / static_cast<int64_t>(kTileClockMhz));
}

// The counting rules the cycle model is built from (cycle_model.h).
TEST(Xs3DeviceTest, CycleModelCountingRules) {
  // A body whose bundles all access memory needs a fetch no-op for every
  // second bundle; one with half or fewer memory bundles needs none.
  EXPECT_EQ(FetchStalls(18, 17), 8);  // lib_nn's VLMACCR chunk loop
  EXPECT_EQ(FetchStalls(6, 4), 1);    // two iterations of {VLDD}{VSTD}{BT}
  EXPECT_EQ(FetchStalls(10, 5), 0);
  EXPECT_EQ(FetchStalls(4, 0), 0);
  // pad_3_to_4.S: 28 slots per 8 pixels, a partial group costs a whole one.
  EXPECT_EQ(Pad3To4Slots(96 * 96), cost::kOpDispatch + cost::kPad3To4Call + 1152 * 28);
  EXPECT_EQ(Pad3To4Slots(9), Pad3To4Slots(16));
  // No padding, no XC_pad; SAME padding of a 3x3 stride-1 window costs a pad
  // op that grows with the image.
  EXPECT_EQ(ImplicitPadSlots(1, 6, 6, 128, 6, 6, 1, 1, 1, 1, 1, 1, 0, 0), 0);
  const int64_t small = ImplicitPadSlots(1, 6, 6, 128, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1);
  const int64_t large = ImplicitPadSlots(1, 12, 12, 128, 12, 12, 3, 3, 1, 1, 1, 1, 1, 1);
  EXPECT_GT(small, cost::kOpDispatch);
  EXPECT_GT(large, small);
  // Splits: the busiest of a file's regions plus fork/join; one region is
  // one thread.
  const int64_t regions[3] = {10, 30, 20};
  EXPECT_EQ(RegionThreadSlots(100, regions, 3), 100 + 30 + cost::kForkJoin);
  EXPECT_EQ(RegionThreadSlots(100, regions, 1), 110);
  EXPECT_EQ(BusiestThreadSlots(100, 600, 6, 5), 100 + 200 + cost::kForkJoin);
  EXPECT_EQ(BusiestThreadSlots(100, 600, 1, 5), 700);
  // SOFTMAX's reference kernel: a fixed part per row and a part per element.
  EXPECT_EQ(ReferenceSoftmaxSlots(1, 2) - ReferenceSoftmaxSlots(1, 1),
            cost::kReferenceSoftmaxElement);
}

}  // namespace
}  // namespace tinyserve::xs3
