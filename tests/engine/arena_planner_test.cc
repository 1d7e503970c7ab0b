// The arena plan is sound (no two tensors alive at once share bytes) and no
// larger than TensorFlow Lite Micro's arena for the same model.
#include <fstream>

#include "engine/arena_planner.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

class ArenaPlannerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ArenaPlannerTest, LiveTensorsNeverOverlap) {
  auto model = Model::LoadFile(testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  const Graph& g = (*model)->graph();
  const ArenaPlan plan = PlanArena(g);
  const int n = static_cast<int>(g.tensors.size());
  const int num_ops = static_cast<int>(g.operators.size());
  // Independent lifetime computation: [first op touching, last op touching].
  std::vector<int> first(n, num_ops), last(n, -1);
  for (int t : g.inputs) first[t] = 0;
  for (int t : g.outputs) last[t] = num_ops - 1;
  for (const Operator& op : g.operators) {
    for (int t : op.inputs) {
      if (t >= 0) {
        first[t] = std::min(first[t], op.index);
        last[t] = std::max(last[t], op.index);
      }
    }
    for (int t : op.outputs) {
      first[t] = std::min(first[t], op.index);
      last[t] = std::max(last[t], op.index);
    }
  }
  int placed = 0;
  for (int a = 0; a < n; ++a) {
    if (g.tensors[a].is_constant()) {
      EXPECT_EQ(plan.offsets[a], -1) << "constant tensor " << a << " placed in the arena";
      continue;
    }
    if (plan.offsets[a] < 0) continue;
    ++placed;
    EXPECT_EQ(plan.offsets[a] % static_cast<int64_t>(kArenaAlignment), 0);
    EXPECT_LE(plan.offsets[a] + static_cast<int64_t>(g.tensors[a].bytes),
              static_cast<int64_t>(plan.arena_bytes));
    for (int b = a + 1; b < n; ++b) {
      if (g.tensors[b].is_constant() || plan.offsets[b] < 0) continue;
      const bool alive_together = first[a] <= last[b] && first[b] <= last[a];
      const bool overlap =
          plan.offsets[a] < plan.offsets[b] + static_cast<int64_t>(g.tensors[b].bytes) &&
          plan.offsets[b] < plan.offsets[a] + static_cast<int64_t>(g.tensors[a].bytes);
      EXPECT_FALSE(alive_together && overlap) << "tensors " << a << " and " << b;
    }
  }
  EXPECT_GT(placed, 0);
}

TEST_P(ArenaPlannerTest, NoLargerThanTfliteMicro) {
  const auto oracle = testing::OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  std::ifstream index(*oracle + "/" + GetParam() + "/index.json");
  if (!index) GTEST_SKIP() << "no oracle for " << GetParam();
  const auto tflm = nlohmann::json::parse(index)["tflm_arena_used_bytes"].get<int64_t>();
  auto model = Model::LoadFile(testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  const ArenaPlan plan = PlanArena((*model)->graph());
  EXPECT_LE(static_cast<int64_t>(plan.arena_bytes), tflm);
  std::printf("[ arena    ] %s: %zu bytes (TFLM %lld)\n", GetParam().c_str(), plan.arena_bytes,
              static_cast<long long>(tflm));
}

INSTANTIATE_TEST_SUITE_P(BundledModels, ArenaPlannerTest,
                         ::testing::ValuesIn(testing::BundledModelNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tinyserve
