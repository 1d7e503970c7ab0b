// The cycle estimate of xformed models (xcore-opt output) on xs3: the
// profile adds up for every bundled xformed file, the 5-thread figure comes
// from the file's own thread regions, and an XC_conv2d_v2 costs what our
// lowering's conv costs for the same work. Structure only: no expected cycle
// counts (those are the model's output, docs/xs3.md compares them with XMOS's).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "devices/xs3/compile_report.h"
#include "devices/xs3/xs3_executable.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xs3 {
namespace {

using tinyserve::testing::TestDataPath;

std::shared_ptr<const Xs3Executable> Build(const std::string& path) {
  auto model = Model::LoadFile(path);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return nullptr;
  auto exe = Xs3Executable::Build(*model, VlashrRounding::kLibNn2024);
  EXPECT_TRUE(exe.ok()) << exe.status();
  return exe.ok() ? *exe : nullptr;
}

std::string XformedVww(const std::string& config) {
  return TestDataPath("xmos/vww_96_int8/" + config + "/model.xc.tflite");
}

const ProfileClass* FindClass(const Profile& profile, const std::string& name) {
  for (const ProfileClass& c : profile.classes) {
    if (c.op_class == name) return &c;
  }
  return nullptr;
}

// Every xformed file in tests/data/xmos.
std::vector<std::string> XformedFiles() {
  std::vector<std::string> files;
  for (const std::string& c : tinyserve::testing::XformedModelCases()) {
    files.push_back(tinyserve::testing::TestDataPath("xmos/" + c + "/model.xc.tflite"));
  }
  return files;
}

TEST(Xs3XformedCyclesTest, ProfileAddsUpAndRegionsDecideTheThreadSplit) {
  const std::vector<std::string> files = XformedFiles();
  ASSERT_FALSE(files.empty());
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const auto exe = Build(file);
    ASSERT_NE(exe, nullptr);
    const CompileReport& report = exe->report();
    const Profile profile = report.MakeProfile();
    // No folded pads in an xformed file: one node per op.
    EXPECT_EQ(profile.nodes.size(), report.ops.size());
    EXPECT_EQ(profile.cycles_one_thread, report.cycles_one_thread);
    EXPECT_EQ(profile.cycles_five_threads, report.cycles_five_threads);
    std::map<std::string, int> nodes_per_class;
    int64_t nodes_one = 0, nodes_five = 0;
    for (const ProfileNode& n : profile.nodes) {
      ++nodes_per_class[n.op_class];
      nodes_one += n.cycles_one_thread;
      nodes_five += n.cycles_five_threads;
    }
    EXPECT_EQ(nodes_one, profile.cycles_one_thread);
    EXPECT_EQ(nodes_five, profile.cycles_five_threads);
    int64_t classes_one = 0, classes_five = 0;
    for (const ProfileClass& c : profile.classes) {
      EXPECT_EQ(c.count, nodes_per_class[c.op_class]) << c.op_class;
      classes_one += c.cycles_one_thread;
      classes_five += c.cycles_five_threads;
    }
    EXPECT_EQ(classes_one, profile.cycles_one_thread);
    EXPECT_EQ(classes_five, profile.cycles_five_threads);
    for (const OpReport& op : report.ops) {
      SCOPED_TRACE(std::to_string(op.index) + " " + op.op_name);
      EXPECT_GT(op.cycles_one_thread, 0);
      if (op.op_name.rfind("XC_", 0) != 0) continue;
      // An XC op's split is the file's: one region runs on one thread, more
      // regions run side by side.
      ASSERT_GE(op.thread_regions, 1);
      if (op.thread_regions == 1) {
        EXPECT_EQ(op.cycles_five_threads, op.cycles_one_thread);
      } else {
        EXPECT_LT(op.cycles_five_threads, op.cycles_one_thread);
      }
    }
  }
}

TEST(Xs3XformedCyclesTest, FiveThreadFileSplitsItsConvsAndOneThreadFileDoesNot) {
  const auto one = Build(XformedVww("t05"));
  const auto five = Build(XformedVww("t05x5"));
  const auto def = Build(XformedVww("default"));
  ASSERT_NE(one, nullptr);
  ASSERT_NE(five, nullptr);
  ASSERT_NE(def, nullptr);

  // The files compiled for one thread: every XC op has one region, so the
  // 5-thread estimate is the 1-thread one.
  for (const auto& exe : {one, def}) {
    for (const OpReport& op : exe->report().ops) {
      if (op.op_name.rfind("XC_", 0) == 0) {
        EXPECT_EQ(op.thread_regions, 1) << op.index;
      }
    }
    const Profile p = exe->report().MakeProfile();
    const ProfileClass* conv = FindClass(p, "XC_conv2d_v2");
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->cycles_five_threads, conv->cycles_one_thread);
    EXPECT_EQ(p.cycles_five_threads, p.cycles_one_thread);
  }

  // The 5-thread file: its convs carry up to 5 regions, and the class's
  // 5-thread time is below its 1-thread time, the regions' busiest thread
  // bounding it from below (at least a fifth of the single-thread work).
  int split_convs = 0;
  for (const OpReport& op : five->report().ops) {
    if (op.op_name != "XC_conv2d_v2") continue;
    EXPECT_LE(op.thread_regions, 5) << op.index;
    if (op.thread_regions > 1) ++split_convs;
  }
  EXPECT_GT(split_convs, 0);
  const Profile p5 = five->report().MakeProfile();
  const ProfileClass* conv5 = FindClass(p5, "XC_conv2d_v2");
  ASSERT_NE(conv5, nullptr);
  EXPECT_LT(conv5->cycles_five_threads, conv5->cycles_one_thread);
  EXPECT_GE(conv5->cycles_five_threads * 5, conv5->cycles_one_thread);
  EXPECT_LT(p5.cycles_five_threads, p5.cycles_one_thread);

  // The same ops on one thread: the 5-thread file's single-thread figure is
  // the t05 file's plus the per-region thread entries (the same work, split
  // into more regions), so a little above it.
  const Profile p1 = one->report().MakeProfile();  // FindClass points into it
  const ProfileClass* conv1 = FindClass(p1, "XC_conv2d_v2");
  ASSERT_NE(conv1, nullptr);
  EXPECT_EQ(conv1->count, conv5->count);
  EXPECT_GE(conv5->cycles_one_thread, conv1->cycles_one_thread);
  EXPECT_LT(conv5->cycles_one_thread - conv1->cycles_one_thread, conv1->cycles_one_thread / 100);
}

// XC_conv2d_v2 and our own lowering's conv kernels charge lib_nn's calls
// with the same cost functions: vww's xformed default file and our lowering
// of the plain model revert the same three depthwise ops and put the same
// 26 ops on the VPU, so the XC_conv2d_v2 classes agree to within lib_nn's
// partial-group tail (which the XC kernel runs as lib_nn does) and the pads
// agree op for op where both have them.
TEST(Xs3XformedCyclesTest, XformedConvsCostWhatOurLoweringsConvsCost) {
  const auto xformed = Build(XformedVww("default"));
  const auto plain = Build(testing::BundledModelPath("vww_96_int8"));
  ASSERT_NE(xformed, nullptr);
  ASSERT_NE(plain, nullptr);
  const Profile px = xformed->report().MakeProfile();
  const Profile pp = plain->report().MakeProfile();
  for (const char* name : {"XC_conv2d_v2", "DEPTHWISE_CONV_2D", "XC_pad_3_to_4"}) {
    SCOPED_TRACE(name);
    const ProfileClass* x = FindClass(px, name);
    const ProfileClass* p = FindClass(pp, name);
    ASSERT_NE(x, nullptr);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(x->count, p->count);
    const int64_t diff = x->cycles_one_thread - p->cycles_one_thread;
    EXPECT_LE(std::abs(diff) * 100, p->cycles_one_thread) << x->cycles_one_thread << " vs "
                                                           << p->cycles_one_thread;
  }
}

}  // namespace
}  // namespace tinyserve::xs3
