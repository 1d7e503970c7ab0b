// Compare end to end: ref and host agree bit for bit on every oracle input of
// every bundled model; the test-only "perturb" device's one changed output
// byte is reported exactly; bad requests get the right status and the server
// keeps serving.
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

// The byte the perturb device changes in these tests (kws_ref_model has 12 outputs).
constexpr int kPerturbIndex = 5;
constexpr char kModel[] = "kws_ref_model";

class CompareTest : public SharedServerTest<CompareTest> {
 protected:
  static void SetUpTestSuite() {
    StartServer(PerturbTestServerConfig("ref,host,perturb", kPerturbIndex));
  }
  static v1::CompareRequest Request(const std::string& model, const std::vector<uint8_t>& input,
                                    std::vector<std::string> devices) {
    v1::CompareRequest request;
    request.set_model(model);
    request.set_raw_input(input.data(), input.size());
    for (const std::string& d : devices) request.add_devices(d);
    return request;
  }

  static double CompareCount(const std::string& model, const std::string& a, const std::string& b,
                             const std::string& result) {
    auto metrics = ScrapeMetrics(server_->http_port());
    EXPECT_TRUE(metrics.ok()) << metrics.status();
    if (!metrics.ok()) return -1;
    return metrics->Sum("tinyserve_compare_total",
                        {{"model", model}, {"device_a", a}, {"device_b", b}, {"result", result}});
  }
};

std::string AsString(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

// Top-1 of int8 scores: the highest value, the lower index on ties.
int ExpectedTop1(const std::string& raw) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(raw.size()); ++i) {
    if (static_cast<int8_t>(raw[i]) > static_cast<int8_t>(raw[best])) best = i;
  }
  return best;
}

TEST_F(CompareTest, RefAndHostAreBitExactOnEveryOracleInputOfEveryBundledModel) {
  int models_checked = 0;
  for (const std::string& model : BundledModelNames()) {
    SCOPED_TRACE(model);
    const auto oracle = LoadOracleOrSkip(model);
    if (!oracle) continue;
    ++models_checked;
    const double before = CompareCount(model, "ref", "host", "exact");
    int compared = 0;
    for (const OracleRun& run : oracle->vectors) {
      SCOPED_TRACE(run.id);
      v1::CompareResponse response;
      const grpc::Status s =
          Compare(server_->inference(), Request(model, run.input, {"ref", "host"}), &response);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ++compared;
      EXPECT_EQ(response.model(), model);
      EXPECT_EQ(response.version(), 1);
      ASSERT_EQ(response.results_size(), 2);
      EXPECT_EQ(response.results(0).device(), "ref");
      EXPECT_EQ(response.results(1).device(), "host");
      for (const v1::DeviceResult& r : response.results()) {
        EXPECT_EQ(r.response().metrics().device(), r.device());
        ASSERT_GE(r.response().outputs_size(), 1);
      }
      // Both equal TFLite Micro's output, not merely each other.
      EXPECT_EQ(response.results(0).response().outputs(0).raw(), AsString(run.output));
      ASSERT_EQ(response.pairs_size(), 1);
      const v1::PairComparison& pair = response.pairs(0);
      EXPECT_EQ(pair.device_a(), "ref");
      EXPECT_EQ(pair.device_b(), "host");
      EXPECT_TRUE(pair.bit_exact());
      EXPECT_EQ(pair.differing_elements(), 0);
      EXPECT_EQ(pair.max_abs_diff(), 0);
      EXPECT_FALSE(pair.has_first_diff_index());
      EXPECT_TRUE(pair.top1_agrees());
    }
    EXPECT_GT(compared, 0);
    EXPECT_EQ(CompareCount(model, "ref", "host", "exact") - before, compared);
    EXPECT_EQ(CompareCount(model, "ref", "host", "differs"), 0);
    EXPECT_EQ(CompareCount(model, "ref", "host", "top1_differs"), 0);
  }
  if (models_checked == 0) GTEST_SKIP() << "no oracle for any bundled model";
}

TEST_F(CompareTest, PerturbedByteIsReportedWithItsIndexAndBothValues) {
  // An input whose ref output at the perturbed index is not 127, so +1 does
  // not wrap (the wrap is its own case below).
  std::mt19937 random(7);
  v1::CompareResponse response;
  std::vector<uint8_t> input;
  for (int attempt = 0; attempt < 20; ++attempt) {
    input.assign(490, 0);  // int8[1,49,10,1]
    for (uint8_t& b : input) b = static_cast<uint8_t>(random());
    response.Clear();
    ASSERT_TRUE(
        Compare(server_->inference(), Request(kModel, input, {"ref", "perturb", "host"}), &response)
            .ok());
    const std::string& ref = response.results(0).response().outputs(0).raw();
    if (static_cast<int8_t>(ref[kPerturbIndex]) != 127) break;
  }
  const double differs_before = CompareCount(kModel, "ref", "perturb", "differs");
  const double top1_before = CompareCount(kModel, "ref", "perturb", "top1_differs");

  v1::CompareResponse again;
  ASSERT_TRUE(
      Compare(server_->inference(), Request(kModel, input, {"ref", "perturb", "host"}), &again)
          .ok());
  const std::string ref = again.results(0).response().outputs(0).raw();
  const std::string perturbed = again.results(1).response().outputs(0).raw();
  ASSERT_EQ(ref.size(), 12u);
  const int8_t value = static_cast<int8_t>(ref[kPerturbIndex]);
  ASSERT_NE(value, 127);
  // Three devices: pairs (ref, perturb), (ref, host), (perturb, host).
  ASSERT_EQ(again.pairs_size(), 3);
  const v1::PairComparison& rp = again.pairs(0);
  EXPECT_EQ(rp.device_a(), "ref");
  EXPECT_EQ(rp.device_b(), "perturb");
  EXPECT_FALSE(rp.bit_exact());
  EXPECT_EQ(rp.differing_elements(), 1);
  EXPECT_EQ(rp.max_abs_diff(), 1);
  ASSERT_TRUE(rp.has_first_diff_index());
  EXPECT_EQ(rp.first_diff_index(), kPerturbIndex);
  EXPECT_EQ(rp.first_diff_a(), value);
  EXPECT_EQ(rp.first_diff_b(), value + 1);
  EXPECT_EQ(rp.top1_agrees(), ExpectedTop1(ref) == ExpectedTop1(perturbed));

  const v1::PairComparison& rh = again.pairs(1);
  EXPECT_EQ(rh.device_a(), "ref");
  EXPECT_EQ(rh.device_b(), "host");
  EXPECT_TRUE(rh.bit_exact());

  const v1::PairComparison& ph = again.pairs(2);
  EXPECT_EQ(ph.device_a(), "perturb");
  EXPECT_EQ(ph.device_b(), "host");
  EXPECT_EQ(ph.first_diff_index(), kPerturbIndex);
  EXPECT_EQ(ph.first_diff_a(), value + 1);
  EXPECT_EQ(ph.first_diff_b(), value);

  // Each device's result is what Classify reports on it.
  for (int i = 0; i < 3; ++i) {
    const v1::ClassifyResponse& r = again.results(i).response();
    EXPECT_EQ(r.metrics().device(), again.results(i).device());
    EXPECT_EQ(r.classes_size(), 3);  // kws_ref_model's default_top_k
  }
  EXPECT_EQ(again.results(1).response().metrics().device_kind(), "test-perturb");

  // Counted once, under the most severe result.
  const double differs = CompareCount(kModel, "ref", "perturb", "differs") - differs_before;
  const double top1 = CompareCount(kModel, "ref", "perturb", "top1_differs") - top1_before;
  EXPECT_EQ(differs, rp.top1_agrees() ? 1 : 0);
  EXPECT_EQ(top1, rp.top1_agrees() ? 0 : 1);
  EXPECT_EQ(CompareCount(kModel, "ref", "perturb", "exact"), 0);
}

TEST_F(CompareTest, FloatInputIsQuantizedOnceForEveryDevice) {
  v1::CompareRequest request;
  request.set_model(kModel);
  request.add_devices("host");
  request.add_devices("ref");
  request.set_top_k(1);
  for (int i = 0; i < 490; ++i) request.mutable_float_input()->add_values(0.37f * (i % 50) - 9);
  v1::CompareResponse response;
  const grpc::Status s = Compare(server_->inference(), request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_EQ(response.results(0).device(), "host");  // request order
  for (const v1::DeviceResult& r : response.results()) {
    ASSERT_TRUE(r.response().metrics().quantization().has_input_sqnr_db());
    EXPECT_EQ(r.response().classes_size(), 1);
  }
  EXPECT_EQ(response.results(0).response().metrics().quantization().input_sqnr_db(),
            response.results(1).response().metrics().quantization().input_sqnr_db());
  EXPECT_TRUE(response.pairs(0).bit_exact());
}

TEST_F(CompareTest, BadRequestsGetTheRightStatusAndTheServerKeepsServing) {
  const std::vector<uint8_t> input(490, 0);
  struct Case {
    std::string name;
    v1::CompareRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases = {
      {"one device", Request(kModel, input, {"ref"}), grpc::INVALID_ARGUMENT, "at least two"},
      {"no device", Request(kModel, input, {}), grpc::INVALID_ARGUMENT, "at least two"},
      {"a device twice", Request(kModel, input, {"ref", "host", "ref"}), grpc::INVALID_ARGUMENT,
       "named twice"},
      {"empty device name", Request(kModel, input, {"ref", ""}), grpc::INVALID_ARGUMENT, "empty"},
      {"unknown device", Request(kModel, input, {"ref", "nosuchdevice"}), grpc::NOT_FOUND,
       "nosuchdevice"},
      {"unknown model", Request("nosuchmodel", input, {"ref", "host"}), grpc::NOT_FOUND,
       "nosuchmodel"},
      {"input too short", Request(kModel, std::vector<uint8_t>(489), {"ref", "host"}),
       grpc::INVALID_ARGUMENT, "489 bytes"},
      {"unloaded version", Request(kModel, input, {"ref", "host"}), grpc::NOT_FOUND, "version 9"},
      {"no input", Request(kModel, input, {"ref", "host"}), grpc::INVALID_ARGUMENT, "no input"},
      {"negative top_k", Request(kModel, input, {"ref", "host"}), grpc::INVALID_ARGUMENT, "top_k"},
  };
  cases[7].request.set_version(9);
  cases[8].request.clear_raw_input();
  cases[9].request.set_top_k(-1);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::CompareResponse response;
    const grpc::Status s = Compare(server_->inference(), c.request, &response);
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_NE(s.error_message().find(c.message), std::string::npos) << s.error_message();
  }
  v1::CompareResponse response;
  EXPECT_TRUE(Compare(server_->inference(), Request(kModel, input, {"ref", "host"}), &response).ok());
  v1::ClassifyResponse classify;
  EXPECT_TRUE(Classify(server_->inference(), RawRequest(kModel, input), &classify).ok());
}

TEST_F(CompareTest, AFailingDeviceFailsTheCallNamingIt) {
  // hello_world's output has a single byte: the perturb device's index 5 is
  // past it, so its invoke fails.
  v1::CompareResponse response;
  const grpc::Status s = Compare(server_->inference(),
                                 Request("hello_world_int8", {0}, {"ref", "perturb"}), &response);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("device 'perturb'"), std::string::npos) << s.error_message();
  // The other pair still works.
  EXPECT_TRUE(Compare(server_->inference(), Request("hello_world_int8", {0}, {"ref", "host"}),
                      &response)
                  .ok());
}

}  // namespace
}  // namespace tinyserve::testing
