// Every oracle vector (TensorFlow Lite Micro's reference outputs) must be
// reproduced bit for bit, and every intermediate tensor of input_00 too, so a
// mismatch names the first operator that differs.
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/executor.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/oracle_vectors.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

using testing::ReadBytes;

using testing::OracleVectors;

class OracleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OracleTest, AllVectorsBitExact) {
  std::string why;
  const auto oracle = testing::FindOracleModel(GetParam(), &why);
  if (!oracle) GTEST_SKIP() << why;
  const std::string& dir = oracle->dir;
  const nlohmann::json& index = oracle->index;
  auto model = Model::LoadFile(testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  auto compiled = CompiledModel::CompileReference(*model);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Executor executor(*compiled);
  const size_t in_bytes = executor.input(0).size();
  const size_t out_bytes = executor.output(0).size();

  int exact = 0, total = 0;
  for (const testing::OracleVector& v : OracleVectors(index)) {
    const auto input = ReadBytes(dir + "/" + v.input);
    const auto expected = ReadBytes(dir + "/" + v.output);
    ASSERT_EQ(input.size() % in_bytes, 0u) << v.input;
    // A file may hold several independent inferences back to back (a sweep).
    const size_t runs = input.size() / in_bytes;
    ASSERT_EQ(expected.size(), runs * out_bytes) << v.output;
    bool vector_exact = true;
    for (size_t r = 0; r < runs; ++r) {
      std::copy_n(input.begin() + r * in_bytes, in_bytes, executor.input(0).begin());
      executor.Invoke();
      const auto out = executor.output(0);
      for (size_t i = 0; i < out_bytes; ++i) {
        const int got = static_cast<int8_t>(out[i]);
        const int want = static_cast<int8_t>(expected[r * out_bytes + i]);
        if (got != want) {
          ADD_FAILURE() << GetParam() << " " << v.input << " run " << r << " element " << i
                        << ": got " << got << ", TFLM " << want;
          vector_exact = false;
          break;
        }
      }
    }
    ++total;
    exact += vector_exact ? 1 : 0;
  }
  EXPECT_GT(total, 0);
  std::printf("[ oracle   ] %s: %d/%d vectors bit-exact\n", GetParam().c_str(), exact, total);
}

TEST_P(OracleTest, IntermediatesBitExact) {
  std::string why;
  const auto oracle = testing::FindOracleModel(GetParam(), &why);
  if (!oracle) GTEST_SKIP() << why;
  const std::string& dir = oracle->dir;
  const nlohmann::json& index = oracle->index;
  if (!index["sets"].contains("intermediates")) GTEST_SKIP() << "no intermediates";
  const auto& meta = index["sets"]["intermediates"];
  const std::string idir = dir + "/" + meta["dir"].get<std::string>();
  const auto tensors = nlohmann::json::parse(std::ifstream(idir + "/tensors.json"));

  auto model = Model::LoadFile(testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  auto compiled = CompiledModel::CompileReference(*model);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  Executor executor(*compiled);
  const auto input = ReadBytes(dir + "/" + meta["for_input"].get<std::string>());
  ASSERT_EQ(input.size(), executor.input(0).size());
  std::copy(input.begin(), input.end(), executor.input(0).begin());

  std::map<int, std::string> files;
  for (const auto& t : tensors) files[t["index"].get<int>()] = t["file"].get<std::string>();
  // Step one operator at a time and check what it wrote while it is alive.
  int checked = 0;
  for (const Operator& op : (*model)->operators()) {
    executor.InvokeOps(op.index, op.index + 1);
    for (int t : op.outputs) {
      auto it = files.find(t);
      if (it == files.end()) continue;
      const auto expected = ReadBytes(idir + "/" + it->second);
      const auto got = executor.tensor(t);
      ASSERT_EQ(got.size(), expected.size()) << "tensor " << t;
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i], expected[i])
            << GetParam() << ": operator #" << op.index << " " << OpTypeName(op.type)
            << " output tensor " << t << " first differs at byte " << i;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 0) << "no intermediate tensor matched an operator output";
}

INSTANTIATE_TEST_SUITE_P(BundledModels, OracleTest,
                         ::testing::ValuesIn(testing::BundledModelNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tinyserve
