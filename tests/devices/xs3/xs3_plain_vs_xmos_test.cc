// Our own lowering of a plain int8 model against XMOS's compiler: the xs3
// device runs models/<m> (lowered by tinyserve), XMOS's host interpreter ran
// the xcore-opt twin (tests/data/xmos/<m>/default). Per op (matched through
// the generator's source_tensor_index) and end to end, the identical fraction
// and max |Δ| are printed: a report of how far two VPU lowerings of the same
// graph drift apart. What is asserted is what must hold for any faithful
// lowering: the first layer within 1 LSB everywhere (both are within 1 LSB of
// TFLite per op), and the same top-1 class on every vector of a classifier.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "devices/xs3/xs3_executable.h"
#include "devices/xs3/xs3_session.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/oracle_vectors.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xs3 {
namespace {

using tinyserve::testing::ReadBytes;
using tinyserve::testing::TestDataPath;

struct Agreement {
  int64_t identical = 0, total = 0;
  int max_delta = 0;
  void Add(absl::Span<const uint8_t> ours, const std::vector<uint8_t>& xmos) {
    for (size_t i = 0; i < ours.size(); ++i) {
      const int d = std::abs(int{static_cast<int8_t>(ours[i])} - int{static_cast<int8_t>(xmos[i])});
      identical += d == 0;
      max_delta = std::max(max_delta, d);
    }
    total += static_cast<int64_t>(ours.size());
  }
  double fraction() const { return total == 0 ? 1.0 : static_cast<double>(identical) / total; }
};

int ArgMax(absl::Span<const uint8_t> bytes) {
  int best = 0;
  for (size_t i = 1; i < bytes.size(); ++i) {
    if (static_cast<int8_t>(bytes[i]) > static_cast<int8_t>(bytes[best])) best = static_cast<int>(i);
  }
  return best;
}

class Xs3PlainVsXmosTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Xs3PlainVsXmosTest, PerOpAndEndToEndAgreementWithXcoreOptTwin) {
  const std::string dir = TestDataPath("xmos/" + GetParam() + "/default");
  std::ifstream index_file(dir + "/index.json");
  if (!index_file) GTEST_SKIP() << "xcore-opt refuses " << GetParam();
  const nlohmann::json index = nlohmann::json::parse(index_file);
  auto model = Model::LoadFile(tinyserve::testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  auto exe = Xs3Executable::Build(*model, VlashrRounding::kFloor);
  ASSERT_TRUE(exe.ok()) << exe.status();
  auto session = (*exe)->NewXs3Session();
  const Model& m = **model;
  const size_t in_bytes = m.input(0).bytes;

  // Per op, flowing input_00 through both.
  const nlohmann::json& inter = index.at("sets").at("intermediates");
  const std::string inter_dir = dir + "/" + inter.at("dir").get<std::string>();
  std::ifstream tensors_file(inter_dir + "/tensors.json");
  ASSERT_TRUE(tensors_file) << inter_dir;
  const nlohmann::json tensors = nlohmann::json::parse(tensors_file);
  const auto input = ReadBytes(dir + "/" + inter.at("for_input").get<std::string>());
  ASSERT_EQ(input.size(), in_bytes);
  std::copy(input.begin(), input.end(), session->input(0).begin());
  // Which source op writes each source tensor.
  std::vector<int> producer(m.graph().tensors.size(), -1);
  for (const Operator& op : m.operators()) {
    for (int t : op.outputs) producer[t] = op.index;
  }
  std::vector<std::pair<int, const nlohmann::json*>> by_op;
  for (const nlohmann::json& t : tensors) {
    if (t.at("source_tensor_index").is_null() || t.at("producer_op").is_null()) continue;
    const int s = t.at("source_tensor_index").get<int>();
    if (s < 0 || s >= static_cast<int>(producer.size()) || producer[s] < 0) continue;
    by_op.emplace_back(producer[s], &t);
  }
  std::sort(by_op.begin(), by_op.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::printf("[ xs3 vs xcore-opt ] %s, input_00, per op (ours: plain model, tinyserve's lowering)\n",
              GetParam().c_str());
  int ran = 0;
  bool first = true;
  for (const auto& [op, t] : by_op) {
    session->InvokeOps(ran, op + 1);
    ran = op + 1;
    const int s = t->at("source_tensor_index").get<int>();
    const auto xmos = ReadBytes(inter_dir + "/" + t->at("file").get<std::string>());
    const auto ours = session->tensor(s);
    if (ours.size() != xmos.size()) continue;
    Agreement a;
    a.Add(ours, xmos);
    std::printf("    op %2d %-18s -> %-14s identical %6.2f%%  max|d| %d\n", op,
                OpTypeName(m.operators()[op].type).c_str(),
                t->at("producer").get<std::string>().c_str(), 100.0 * a.fraction(), a.max_delta);
    if (first) {
      EXPECT_LE(a.max_delta, 1) << "first layer, op " << op;
      first = false;
    }
  }
  ASSERT_FALSE(first) << "no op output matched";

  // End to end on every vector.
  Agreement end;
  int vectors = 0, same_top1 = 0;
  for (const auto& v : tinyserve::oracle::OracleVectors(index)) {
    const auto in = ReadBytes(dir + "/" + v.input);
    const auto expected = ReadBytes(dir + "/" + v.output);
    const size_t out_bytes = m.output(0).bytes;
    for (size_t r = 0; r < in.size() / in_bytes; ++r) {
      std::copy_n(in.begin() + r * in_bytes, in_bytes, session->input(0).begin());
      ASSERT_TRUE(session->Invoke(InvokeOptions{}).ok());
      std::vector<uint8_t> want(expected.begin() + r * out_bytes,
                                expected.begin() + (r + 1) * out_bytes);
      end.Add(session->output(0), want);
      ++vectors;
      same_top1 += ArgMax(session->output(0)) == ArgMax(want);
    }
  }
  std::printf("    end to end: %d vectors, identical %.2f%%, max|d| %d, same top-1 %d/%d\n",
              vectors, 100.0 * end.fraction(), end.max_delta, same_top1, vectors);
  if (m.output(0).num_elements() > 1 && GetParam() != "ad01_int8") {
    EXPECT_GE(same_top1, vectors - 1) << "classifiers agree on the class (one near-tie allowed)";
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, Xs3PlainVsXmosTest,
                         ::testing::ValuesIn(tinyserve::testing::BundledModelNames()));

}  // namespace
}  // namespace tinyserve::xs3
