// tinyserve-cli's statistics and input-set helpers (ab, bench), without a
// server: percentiles, the |diff| histogram, arrival schedules, random inputs,
// labels files, the progress line's text and CSV quoting.
#include <cmath>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "clients/tinyserve_cli/arrivals.h"
#include "clients/tinyserve_cli/input_sets.h"
#include "clients/tinyserve_cli/load_stats.h"
#include "clients/tinyserve_cli/progress_line.h"
#include "clients/tinyserve_cli/report_format.h"
#include "gtest/gtest.h"
#include "tests/support/test_paths.h"

namespace tinyserve::cli {
namespace {

std::vector<double> OneTo(int n) {
  std::vector<double> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

TEST(NearestRankTest, IsTheSmallestSampleCoveringTheFraction) {
  const auto ten = OneTo(10);
  EXPECT_EQ(NearestRank(ten, 0.0), 1);
  EXPECT_EQ(NearestRank(ten, 0.10), 1);
  EXPECT_EQ(NearestRank(ten, 0.11), 2);
  EXPECT_EQ(NearestRank(ten, 0.50), 5);
  EXPECT_EQ(NearestRank(ten, 0.90), 9);
  EXPECT_EQ(NearestRank(ten, 0.91), 10);
  EXPECT_EQ(NearestRank(ten, 0.99), 10);
  EXPECT_EQ(NearestRank(ten, 1.0), 10);
  const auto hundred = OneTo(100);
  // q * n lands on an integer: no rounding may push it to the next rank.
  EXPECT_EQ(NearestRank(hundred, 0.50), 50);
  EXPECT_EQ(NearestRank(hundred, 0.90), 90);
  EXPECT_EQ(NearestRank(hundred, 0.95), 95);
  EXPECT_EQ(NearestRank(hundred, 0.99), 99);
  EXPECT_EQ(NearestRank({7.5}, 0.5), 7.5);
  EXPECT_EQ(NearestRank({7.5}, 0.99), 7.5);
}

TEST(SummarizeTest, SortsAndSummarizes) {
  std::vector<double> samples = OneTo(1000);
  std::reverse(samples.begin(), samples.end());
  const Summary s = Summarize(samples);
  EXPECT_EQ(s.count, 1000);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.max, 1000);
  EXPECT_DOUBLE_EQ(s.mean, 500.5);
  EXPECT_EQ(s.p50, 500);
  EXPECT_EQ(s.p90, 900);
  EXPECT_EQ(s.p95, 950);
  EXPECT_EQ(s.p99, 990);
}

TEST(SummarizeTest, TwoValuesAndEmpty) {
  const Summary s = Summarize({30, 10});
  EXPECT_EQ(s.p50, 10);  // rank ceil(0.5 * 2) = 1
  EXPECT_EQ(s.p90, 30);
  EXPECT_EQ(s.mean, 20);
  const Summary empty = Summarize({});
  EXPECT_EQ(empty.count, 0);
  EXPECT_EQ(SummaryJson(empty)["p50"], nullptr);
  EXPECT_EQ(SummaryJson(s)["p50"], 10.0);
  EXPECT_EQ(SummaryJson(s)["count"], 2);
}

TEST(DiffHistogramTest, BucketBoundaries) {
  const std::vector<std::pair<int64_t, std::string>> cases = {
      {0, "0"},     {1, "1"},      {2, "2"},      {3, "3"},     {4, "4-7"},   {7, "4-7"},
      {8, "8-15"},  {15, "8-15"},  {16, "16-31"}, {31, "16-31"}, {32, "32+"}, {255, "32+"},
      {-1, "1"},    {-9, "8-15"}};
  for (const auto& c : cases) {
    EXPECT_EQ(DiffHistogram::BucketName(DiffHistogram::BucketOf(c.first)), c.second) << c.first;
  }
  DiffHistogram h;
  for (int64_t d : {0, 0, 0, 1, 5, 6, 40}) h.Add(d);
  EXPECT_EQ(h.total(), 7);
  EXPECT_EQ(h.count(0), 3);
  EXPECT_EQ(h.count(1), 1);
  EXPECT_EQ(h.count(2), 0);
  EXPECT_EQ(h.count(4), 2);
  EXPECT_EQ(h.count(7), 1);
}

TEST(ErrorCountsTest, CountsByCode) {
  ErrorCounts errors;
  EXPECT_EQ(errors.total(), 0);
  EXPECT_TRUE(ErrorsJson(errors).is_object());
  EXPECT_TRUE(ErrorsJson(errors).empty());
  errors.Add("UNAVAILABLE");
  errors.Add("NOT_FOUND");
  errors.Add("UNAVAILABLE");
  EXPECT_EQ(errors.total(), 3);
  EXPECT_EQ(ErrorsJson(errors), (Json{{"NOT_FOUND", 1}, {"UNAVAILABLE", 2}}));
  EXPECT_EQ(Throughput(50, 2.0), 25.0);
  EXPECT_EQ(Throughput(50, 0.0), 0.0);
}

TEST(ArrivalScheduleTest, ConstantIntervals) {
  ArrivalSchedule schedule(ArrivalSchedule::Kind::kConstant, 200, 1);
  for (int k = 0; k < 1000; ++k) EXPECT_DOUBLE_EQ(schedule.Next(), k / 200.0);
}

TEST(ArrivalScheduleTest, PoissonHasExponentialIntervalsAtTheRate) {
  ArrivalSchedule schedule(ArrivalSchedule::Kind::kPoisson, 500, kOracleSeed);
  const int n = 50000;
  std::vector<double> intervals;
  double last = 0;
  for (int k = 0; k < n; ++k) {
    const double t = schedule.Next();
    ASSERT_GT(t, last);
    intervals.push_back(t - last);
    last = t;
  }
  const double mean = std::accumulate(intervals.begin(), intervals.end(), 0.0) / n;
  double var = 0;
  for (double x : intervals) var += (x - mean) * (x - mean);
  var /= n - 1;
  EXPECT_NEAR(mean, 1.0 / 500, 0.03 / 500);
  // Exponential: standard deviation equals the mean (constant would be 0).
  EXPECT_NEAR(std::sqrt(var) / mean, 1.0, 0.03);
  // Memoryless: about 1 - 1/e of the intervals are shorter than the mean.
  const auto shorter = std::count_if(intervals.begin(), intervals.end(),
                                     [](double x) { return x < 1.0 / 500; });
  EXPECT_NEAR(static_cast<double>(shorter) / n, 1 - std::exp(-1.0), 0.01);
}

TEST(ArrivalScheduleTest, SeedReproducesTheSchedule) {
  ArrivalSchedule a(ArrivalSchedule::Kind::kPoisson, 100, 42);
  ArrivalSchedule b(ArrivalSchedule::Kind::kPoisson, 100, 42);
  ArrivalSchedule c(ArrivalSchedule::Kind::kPoisson, 100, 43);
  bool differs = false;
  for (int k = 0; k < 100; ++k) {
    const double x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs |= x != c.Next();
  }
  EXPECT_TRUE(differs);
  SplitMix64 random(7);
  for (int k = 0; k < 10000; ++k) {
    const double u = ArrivalSchedule::Uniform(random);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(RandomInputsTest, MatchesTheOracleGenerator) {
  // ../shared/oracle/README.txt: vector 0's first 8 int8 values.
  auto bytes = RandomTensorBytes(v1::INT8, 8, kOracleSeed);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::vector<int8_t> expected = {28, 127, -48, 116, 72, 24, 1, 24};
  ASSERT_EQ(bytes->size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(static_cast<int8_t>((*bytes)[i]), expected[i]) << i;
  // UINT8 draws the same top 8 bits.
  EXPECT_EQ(*RandomTensorBytes(v1::UINT8, 8, kOracleSeed), *bytes);
  // INT16: the top 16 bits, little-endian; its high byte is the int8 draw.
  auto wide = RandomTensorBytes(v1::INT16, 8, kOracleSeed);
  ASSERT_TRUE(wide.ok());
  ASSERT_EQ(wide->size(), 16u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ((*wide)[2 * i + 1], (*bytes)[i]) << i;
  EXPECT_FALSE(RandomTensorBytes(v1::FLOAT32, 8, 1).ok());

  // Inputs are made up front, so sets past 1 GiB are refused, not attempted.
  v1::ModelMetadata big;
  auto* image = big.add_inputs();
  image->set_dtype(v1::INT8);
  for (int d : {1, 96, 96, 3}) image->add_shape(d);
  EXPECT_EQ(RandomInputs(big, 100000, 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(RandomInputs(big, 2, 1).ok());
  image->set_dtype(v1::FLOAT32);
  EXPECT_FALSE(RandomInputs(big, 2, 1).ok());

  // Whole oracle vectors, when the oracle is here: vector i is state 0x5EED0000 + i.
  const auto oracle = testing::OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping the rest";
  v1::ModelMetadata metadata;
  metadata.set_name("kws_ref_model");
  auto* input = metadata.add_inputs();
  input->set_dtype(v1::INT8);
  for (int d : {1, 49, 10, 1}) input->add_shape(d);
  auto items = RandomInputs(metadata, 3, kOracleSeed);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto file = testing::ReadBytes(*oracle + "/kws_ref_model/inputs/input_0" +
                                         std::to_string(i) + ".bin");
    EXPECT_EQ((*items)[i].input.raw_input(), std::string(file.begin(), file.end())) << i;
    EXPECT_EQ((*items)[i].name, "random_000" + std::to_string(i));
  }
}

TEST(OracleInputsTest, ReadsEveryVectorWithTflmOutputAndTop1Label) {
  const auto oracle = testing::OracleDir();
  if (!oracle) GTEST_SKIP() << "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
  v1::ModelMetadata metadata;
  metadata.set_name("vww_96_int8");
  metadata.mutable_config()->set_kind(v1::CLASSIFIER);
  auto* input = metadata.add_inputs();
  input->set_dtype(v1::INT8);
  for (int d : {1, 96, 96, 3}) input->add_shape(d);
  auto items = OracleInputs(*oracle + "/vww_96_int8", metadata);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 16u);  // 10 random, 4 edge, 2 real
  std::set<std::string> names;
  for (const InputItem& item : *items) {
    names.insert(item.name);
    ASSERT_TRUE(item.expected_output.has_value());
    EXPECT_EQ(item.expected_output->size(), 2u);
    EXPECT_EQ(item.input.raw_input().size(), 96u * 96 * 3);
    ASSERT_TRUE(item.label.has_value());
    const int8_t a = static_cast<int8_t>((*item.expected_output)[0]);
    const int8_t b = static_cast<int8_t>((*item.expected_output)[1]);
    EXPECT_EQ(*item.label, b > a ? 1 : 0) << item.name;
  }
  EXPECT_TRUE(names.count("real/inputs/real_person_input.bin"));
  EXPECT_TRUE(names.count("random/inputs/input_00.bin"));

  // A model of another input size is refused, naming both sizes.
  input->set_shape(1, 95);
  auto wrong = OracleInputs(*oracle + "/vww_96_int8", metadata);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("27648"), std::string::npos) << wrong.status();

  // hello_world's sweep file holds 256 runs back to back: split, one item each.
  v1::ModelMetadata hello;
  hello.set_name("hello_world_int8");
  auto* x = hello.add_inputs();
  x->set_dtype(v1::INT8);
  x->add_shape(1);
  x->add_shape(1);
  auto sweep = OracleInputs(*oracle + "/hello_world_int8", hello);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  int sweep_runs = 0;
  for (const InputItem& item : *sweep) {
    if (item.name.rfind("sweep_all_int8/", 0) == 0) ++sweep_runs;
    EXPECT_FALSE(item.label.has_value());  // not a classifier
  }
  EXPECT_EQ(sweep_runs, 256);
}

TEST(Top1Test, HighestRawValueLowestIndexOnTies) {
  EXPECT_EQ(Top1(std::string("\x80\x05\x05\x01", 4), v1::INT8), 1);
  EXPECT_EQ(Top1(std::string("\xff\xfe", 2), v1::INT8), 0);   // -1 > -2
  EXPECT_EQ(Top1(std::string("\x01\xfe", 2), v1::UINT8), 1);  // 254 > 1
  EXPECT_EQ(Top1(std::string("\x00\x01\xff\x00", 4), v1::INT16), 0);  // 256 > 255
  EXPECT_FALSE(Top1("", v1::INT8).has_value());
  EXPECT_FALSE(Top1("abcd", v1::FLOAT32).has_value());
}

TEST(ParseLabelsTest, OneClassPerLineInInputOrder) {
  const std::vector<std::string> names = {"a.bin", "b.bin", "c.bin"};
  auto labels = ParseLabels("# expected\n1\n\n0\n  2 \n", names, 3, {});
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(*labels, (std::vector<std::optional<int>>{1, 0, 2}));
  EXPECT_FALSE(ParseLabels("1\n0\n", names, 3, {}).ok());          // too few
  EXPECT_FALSE(ParseLabels("1\n0\n2\n1\n", names, 3, {}).ok());    // too many
  auto out_of_range = ParseLabels("1\n3\n0\n", names, 3, {});
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_NE(out_of_range.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(ParseLabels("1\n-1\n0\n", names, 3, {}).ok());
}

TEST(ParseLabelsTest, NameCommaClassWithHeaderAndLabelNames) {
  const std::vector<std::string> names = {"cat.png", "dog.png", "x.bin"};
  auto labels = ParseLabels("file,class\ndog.png, person\ncat.png,0\n", names, 2,
                            {"no person", "person"});
  ASSERT_TRUE(labels.ok()) << labels.status();
  EXPECT_EQ(*labels, (std::vector<std::optional<int>>{0, 1, std::nullopt}));
  auto unknown = ParseLabels("cow.png,1\n", names, 2, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("cow.png"), std::string::npos);
  EXPECT_FALSE(ParseLabels("cat.png,1\n0\n", names, 2, {}).ok());  // mixed forms
  EXPECT_FALSE(ParseLabels("cat.png,horse\n", names, 2, {"no person", "person"}).ok());
  EXPECT_FALSE(ParseLabels("", names, 2, {}).ok());
}

TEST(ProgressLineTest, Text) {
  EXPECT_EQ(ProgressLine::Format("ab m", 25, 0, 100, 0.5, 0), "ab m: 25/100 (25%), 50 /s, ETA 1.5 s");
  EXPECT_EQ(ProgressLine::Format("ab m", 0, 0, 100, 0.0, 0), "ab m: 0/100 (0%), 0 /s, ETA ?");
  EXPECT_EQ(ProgressLine::Format("bench c=4", 1234, 2, 0, 2.0, 5.0),
            "bench c=4: 2.0/5.0 s, 1234 done, 617 /s, 2 errors, ETA 3.0 s");
  EXPECT_EQ(ProgressLine::Format("b", 1, 1, 0, 6.0, 5.0), "b: 6.0/5.0 s, 1 done, 0 /s, 1 error, ETA 0.0 s");
  // Disabled: counting works and nothing is drawn (nothing to see in a test,
  // but it must not crash or block).
  ProgressLine line("x", 10, 0, false);
  for (int i = 0; i < 10; ++i) line.Add(i % 2 == 0);
  line.Finish();
  line.Finish();
}

TEST(ReportFormatTest, CsvQuotingAndPercent) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Percent(1, 3), "33.3%");
  EXPECT_EQ(Percent(0, 0), "-");
}

}  // namespace
}  // namespace tinyserve::cli
