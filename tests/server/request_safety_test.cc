// The request side's limits without a server: names checked before anything
// echoes them, status messages bounded, response text always valid UTF-8,
// NaN/Inf input refused or counted (never a "perfect" SQNR), and Prometheus
// series that go with the last holder of their labels.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "server/grpc_status.h"
#include "server/metrics.h"
#include "server/proto_conversion.h"
#include "server/request_input.h"
#include "server/request_names.h"
#include "server/safe_text.h"
#include "server/text_checks.h"
#include "tests/support/model_builder.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::server {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// --- Text -----------------------------------------------------------------------

TEST(SafeTextTest, ValidUtf8ReplacesEveryBadSequenceAndKeepsGoodText) {
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ValidUtf8("\xFF\xFE" "abc"), "\xEF\xBF\xBD\xEF\xBF\xBD" "abc");
  EXPECT_EQ(ValidUtf8("a\xC3"), "a\xEF\xBF\xBD");             // truncated sequence
  EXPECT_EQ(ValidUtf8("\xE2\x82" "x"), "\xEF\xBF\xBD" "x");   // one U+FFFD for the pair
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD");       // a surrogate
  EXPECT_TRUE(IsValidUtf8(ValidUtf8(std::string("\x80\x80\xC0\xAF\xF5zz\xF0\x9F", 10))));
}

TEST(SafeTextTest, TruncateUtf8CutsAtACharacterBoundaryWithAnEllipsis) {
  EXPECT_EQ(TruncateUtf8("short", 10), "short");
  const std::string cut = TruncateUtf8(std::string(100, 'x'), 10);
  EXPECT_EQ(cut, std::string(7, 'x') + "\xE2\x80\xA6");
  // Two-byte characters: never half of one.
  std::string accents;
  for (int i = 0; i < 50; ++i) accents += "\xC3\xA9";
  const std::string cut_accents = TruncateUtf8(accents, 12);
  EXPECT_LE(cut_accents.size(), 12u);
  EXPECT_TRUE(IsValidUtf8(cut_accents));
  EXPECT_TRUE(absl::EndsWith(cut_accents, "\xE2\x80\xA6"));
}

TEST(SafeTextTest, EchoValueIsShortAsciiWhateverTheValue) {
  EXPECT_EQ(EchoValue("model_a"), "model_a");
  const std::string echoed = EchoValue(std::string(1 << 20, '\xFF'), 16);
  EXPECT_LE(echoed.size(), 16u * 4 + 3);
  EXPECT_TRUE(absl::StartsWith(echoed, "\\xff"));
  EXPECT_EQ(EchoValue("a\nb"), "a\\nb");
}

// --- Status messages --------------------------------------------------------------

TEST(GrpcStatusTest, MessagesAreBoundedAndValidUtf8) {
  const grpc::Status big =
      ToGrpcStatus(absl::InvalidArgumentError(std::string(1 << 20, 'm')));
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(big.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_TRUE(absl::EndsWith(big.error_message(), "\xE2\x80\xA6"));
  const grpc::Status bad = ToGrpcStatus(absl::NotFoundError("model '\xFF\xFE' is not loaded"));
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(IsValidUtf8(bad.error_message()));
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("short")).error_message(), "short");
}

// --- Request names --------------------------------------------------------------

TEST(RequestNamesTest, NamesAtTheLimitPassOnePastFails) {
  EXPECT_TRUE(CheckRequestName("model name", std::string(kMaxRequestNameBytes, 'a')).ok());
  const absl::Status past =
      CheckRequestName("model name", std::string(kMaxRequestNameBytes + 1, 'a'));
  EXPECT_EQ(past.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(past.message(), "129 bytes")) << past;
  EXPECT_TRUE(CheckRequestName("model name", "").ok());
  EXPECT_TRUE(CheckRequestName("device name", "xcore@1-2.3").ok());
  EXPECT_TRUE(CheckRequestName("model name", "mod\xC3\xA8le").ok());
}

TEST(RequestNamesTest, HugeBadAndControlNamesFailWithShortMessages) {
  for (const std::string& name :
       {std::string(1 << 20, 'n'), std::string(9000, 'n'), std::string("\xFF\xFE"),
        std::string("a\0b", 3), std::string("line\nbreak")}) {
    const absl::Status s = CheckRequestName("model name", name);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << name.size();
    EXPECT_LT(s.message().size(), 300u);
    EXPECT_TRUE(absl::StartsWith(s.message(), "model name")) << s;
    EXPECT_TRUE(IsValidUtf8(std::string(s.message())));
  }
}

TEST(RequestNamesTest, EveryNameOfARequestIsChecked) {
  InferRequest classify;
  classify.model = "m";
  classify.device = std::string(200, 'd');
  EXPECT_TRUE(absl::StrContains(CheckRequestNames(classify).message(), "device name"));
  classify.device.clear();
  classify.inputs.emplace_back().name = "in\n";
  EXPECT_TRUE(absl::StrContains(CheckRequestNames(classify).message(), "input name"));
  classify.inputs.clear();
  classify.version = -1;
  EXPECT_EQ(CheckRequestNames(classify).code(), absl::StatusCode::kInvalidArgument);
  CompareRequest compare;
  compare.request.model = "m";
  compare.devices = {"ref", "\xC0\x80"};
  EXPECT_TRUE(absl::StrContains(CheckRequestNames(compare).message(), "not valid UTF-8"));
  CompareRequest many;
  many.devices.assign(kMaxCompareDevices + 1, "d");
  EXPECT_EQ(CheckRequestNames(many).code(), absl::StatusCode::kInvalidArgument);
  v1::GetModelMetadataRequest metadata;
  metadata.set_model(std::string(129, 'm'));
  EXPECT_EQ(CheckRequestNames(metadata).code(), absl::StatusCode::kInvalidArgument);
}

// --- Response text --------------------------------------------------------------

TEST(ResponseTextTest, OneBadStringNoLongerFailsTheWholeResponse) {
  v1::ListModelsResponse response;
  response.add_models()->set_name("good");
  v1::ModelSummary* bad = response.add_models();
  bad->set_name("bad");
  bad->set_description("\xFF\xFE" "description");
  // What a client received before: a response it cannot parse at all.
  v1::ListModelsResponse parsed;
  ASSERT_FALSE(parsed.ParseFromString(response.SerializeAsString()));

  MakeStringsValidUtf8(response);
  ASSERT_TRUE(parsed.ParseFromString(response.SerializeAsString()));
  ASSERT_EQ(parsed.models_size(), 2);
  EXPECT_EQ(parsed.models(1).description(), "\xEF\xBF\xBD\xEF\xBF\xBD" "description");
}

TEST(ResponseTextTest, NestedAndRepeatedStringsAreRepaired) {
  v1::ModelMetadata metadata;
  metadata.add_labels("ok");
  metadata.add_labels("caf\xE9");  // Latin-1
  metadata.mutable_config()->set_description("\x80");
  metadata.add_inputs()->set_name("in\xFF");
  MakeStringsValidUtf8(metadata);
  v1::ModelMetadata parsed;
  ASSERT_TRUE(parsed.ParseFromString(metadata.SerializeAsString()));
  EXPECT_EQ(parsed.labels(0), "ok");
  EXPECT_EQ(parsed.labels(1), "caf\xEF\xBF\xBD");
  EXPECT_EQ(parsed.config().description(), "\xEF\xBF\xBD");
  EXPECT_EQ(parsed.inputs(0).name(), "in\xEF\xBF\xBD");
}

// --- Non-finite float input ------------------------------------------------------

// int8[1,4], scale 0.5, zero point 1.
std::shared_ptr<const Model> FourInputModel() {
  testing::ModelBuilder b;
  const int in =
      b.AddInput(tflite::TensorType_INT8, {1, 4}, testing::PerTensor(0.5f, 1), "in");
  const int out =
      b.AddOutput(tflite::TensorType_INT8, {1, 4}, testing::PerTensor(0.5f, 1), "out");
  b.AddOperator(OpType::kRelu, {in}, {out});
  auto model = testing::LoadTestModel(b.Finish());
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

// The request's one float input, as the v1 adapter passes float_input.
absl::StatusOr<PreparedInput> PrepareFloat(const Model& model, const std::vector<float>& values,
                                           NonFinitePolicy policy = NonFinitePolicy::kReject) {
  InputTensorView view;
  view.label = "float_input";
  view.is_float = true;
  view.values = values;
  return PrepareInputs(model, {view}, policy);
}

TEST(NonFiniteInputTest, RejectedByDefaultNamingTheFirstOne) {
  const auto model = FourInputModel();
  ASSERT_NE(model, nullptr);
  const std::vector<float> values = {1.0f, kNaN, 2.0f, -kInf};
  auto prepared = PrepareFloat(*model, values);
  ASSERT_EQ(prepared.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(prepared.status().message(), "float_input[1] is nan"))
      << prepared.status();
  EXPECT_TRUE(absl::StrContains(prepared.status().message(), "2 of 4")) << prepared.status();
  EXPECT_EQ(FindNonFinite(values).count, 2);
  EXPECT_EQ(FindNonFinite(values).first_index, 1);
}

TEST(NonFiniteInputTest, QuantizedNaNToZeroPointInfToRailsCountedApart) {
  const auto model = FourInputModel();
  ASSERT_NE(model, nullptr);
  const std::vector<float> values = {1.0f, kNaN, kInf, -kInf};
  auto prepared = PrepareFloat(*model, values, NonFinitePolicy::kQuantize);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  ASSERT_EQ(prepared->tensors.size(), 1u);
  const std::vector<int8_t> q = testing::FromBytes<int8_t>(prepared->tensors[0]);
  EXPECT_EQ(q, (std::vector<int8_t>{3, 1, 127, -128}));
  EXPECT_EQ(prepared->non_finite, 3);
  ASSERT_TRUE(prepared->float_input);
  EXPECT_EQ(prepared->clipped, 0);  // the infinities are not "clipped"
  // 1.0 is exact: the SQNR of the finite values is +inf, not NaN.
  ASSERT_TRUE(prepared->input_sqnr_db.has_value());
  EXPECT_TRUE(std::isinf(*prepared->input_sqnr_db) && *prepared->input_sqnr_db > 0);
}

TEST(NonFiniteInputTest, SqnrCoversFiniteValuesAndIsAbsentWhenNoneIs) {
  const auto model = FourInputModel();
  ASSERT_NE(model, nullptr);
  const std::vector<float> finite = {0.3f, 1.0f, 2.0f, 100.0f};
  const std::vector<float> mixed = {0.3f, 1.0f, kNaN, 100.0f};
  auto a = PrepareFloat(*model, finite, NonFinitePolicy::kQuantize);
  auto b = PrepareFloat(*model, mixed, NonFinitePolicy::kQuantize);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(b->input_sqnr_db.has_value());
  EXPECT_TRUE(std::isfinite(*b->input_sqnr_db));
  EXPECT_EQ(b->clipped, 1);  // 100.0 only
  EXPECT_EQ(a->non_finite, 0);
  const std::vector<float> none = {kNaN, kNaN, kInf, kNaN};
  auto c = PrepareFloat(*model, none, NonFinitePolicy::kQuantize);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->input_sqnr_db.has_value());
  EXPECT_EQ(c->non_finite, 4);
}

// --- Metric series lifecycle ------------------------------------------------------

int LinesWith(ServerMetrics& metrics, const std::string& needle) {
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(metrics.Serialize(), '\n')) {
    if (absl::StrContains(line, needle)) ++lines;
  }
  return lines;
}

RequestOutcome Ok() {
  RequestOutcome outcome;
  outcome.input_sqnr_db = 30;
  outcome.outputs_at_rails = 1;
  outcome.link = LinkStats{};
  return outcome;
}

TEST(MetricSeriesTest, SeriesGoWithTheirLastHolderAndStayWhileOneLives) {
  ServerMetrics metrics;
  const int baseline = static_cast<int>(metrics.Serialize().size());
  {
    auto first = metrics.ForModelDevice("m", 1, "ref");
    first->RecordRequest(Ok());
    RequestOutcome failed;
    failed.code = absl::StatusCode::kResourceExhausted;
    failed.input_non_finite = 2;
    first->RecordRequest(failed);
    metrics.RecordCompare("m", "ref", "host", ComparisonResult::kExact);
    metrics.ShadowCounter("m", "ref", "xs3", "exact").Increment();
    const int held = LinesWith(metrics, "model=\"m\"");
    EXPECT_GT(held, 20);
    // A reload of the same version (or a snapshot with one more device) holds
    // the same labels while the old snapshot still lives.
    auto second = metrics.ForModelDevice("m", 1, "ref");
    first.reset();
    EXPECT_EQ(LinesWith(metrics, "model=\"m\""), held);
    EXPECT_EQ(LinesWith(metrics, "tinyserve_input_non_finite_total{"), 1);
    EXPECT_TRUE(absl::StrContains(metrics.Serialize(), "code=\"RESOURCE_EXHAUSTED\""));
    second->RecordRequest(Ok());
  }
  EXPECT_EQ(LinesWith(metrics, "model=\"m\""), 0);
  EXPECT_EQ(static_cast<int>(metrics.Serialize().size()), baseline);
}

TEST(MetricSeriesTest, OtherVersionsAndModelsKeepTheirSeries) {
  ServerMetrics metrics;
  auto keep = metrics.ForModelDevice("m", 2, "ref");
  auto other_model = metrics.ForModelDevice("n", 1, "ref");
  keep->RecordRequest(Ok());
  metrics.RecordCompare("m", "ref", "host", ComparisonResult::kDiffers);
  const int kept = LinesWith(metrics, "version=\"2\"");
  for (int cycle = 0; cycle < 20; ++cycle) {
    auto old = metrics.ForModelDevice("m", 100 + cycle, "ref");
    old->RecordRequest(Ok());
  }
  EXPECT_EQ(LinesWith(metrics, "version=\"1"), LinesWith(metrics, "model=\"n\""));
  EXPECT_EQ(LinesWith(metrics, "version=\"2\""), kept);
  // Version 2 still holds model m: its compare series stay.
  EXPECT_EQ(LinesWith(metrics, "tinyserve_compare_total{"), 1);
  keep.reset();
  EXPECT_EQ(LinesWith(metrics, "tinyserve_compare_total{"), 0);
  EXPECT_GT(LinesWith(metrics, "model=\"n\""), 0);
}

// Holders of the same labels come and go on several threads while /metrics is
// scraped (meant for the sanitizer builds: a series removed while still held
// would be a use after free).
TEST(MetricSeriesTest, ConcurrentHoldersOfTheSameLabelsAreSafe) {
  ServerMetrics metrics;
  auto keep = metrics.ForModelDevice("m", 1, "ref");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < 200; ++i) {
        auto holder = metrics.ForModelDevice("m", 1 + (i + t) % 2, "ref");
        holder->RecordRequest(Ok());
        if (i % 50 == 0) metrics.RecordCompare("m", "ref", "host", ComparisonResult::kExact);
      }
    });
  }
  threads.emplace_back([&metrics] {
    for (int i = 0; i < 50; ++i) (void)metrics.Serialize();
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(LinesWith(metrics, "version=\"2\""), 0);
  EXPECT_GT(LinesWith(metrics, "version=\"1\""), 0);
  EXPECT_EQ(LinesWith(metrics, "tinyserve_compare_total{"), 1);  // "m" is still held
  keep.reset();
  EXPECT_EQ(LinesWith(metrics, "model=\"m\""), 0);
}

TEST(MetricSeriesTest, NonFiniteIsCountedWhateverTheOutcome) {
  ServerMetrics metrics;
  auto holder = metrics.ForModelDevice("m", 1, "ref");
  RequestOutcome refused;
  refused.code = absl::StatusCode::kInvalidArgument;
  refused.input_non_finite = 3;
  holder->RecordRequest(refused);
  holder->RecordNonFinite(2);
  EXPECT_TRUE(absl::StrContains(
      metrics.Serialize(),
      "tinyserve_input_non_finite_total{device=\"ref\",model=\"m\",version=\"1\"} 5"))
      << metrics.Serialize();
  EXPECT_EQ(holder->live().Totals().input_non_finite, 3);
}

}  // namespace
}  // namespace tinyserve::server
