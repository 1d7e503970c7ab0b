// The dashboard's live statistics (server/live_stats.h): buckets, retention,
// quantiles. No server.
#include "server/live_stats.h"

#include <cmath>

#include "gtest/gtest.h"

namespace tinyserve::server {
namespace {

LiveRequest Ok(double total_us, double device_us) {
  LiveRequest r;
  r.total_us = total_us;
  r.device_us = device_us;
  return r;
}

TEST(LogHistogramTest, QuantilesAreWithinTheBinResolution) {
  LogHistogram h;
  EXPECT_FALSE(h.Quantile(0.5).has_value());
  for (int i = 1; i <= 100; ++i) h.Add(1000.0 * i);  // 1 ms .. 100 ms
  ASSERT_EQ(h.count(), 100u);
  // 4 bins per octave: a bin's middle is within 2^(1/8) (~9%) of any value in it.
  const double tolerance = std::exp2(1.0 / 8) + 1e-9;
  const double p50 = *h.Quantile(0.5), p99 = *h.Quantile(0.99);
  EXPECT_LE(p50 / 50000.0, tolerance) << p50;
  EXPECT_GE(p50 / 50000.0, 1 / tolerance) << p50;
  EXPECT_LE(p99 / 99000.0, tolerance) << p99;
  EXPECT_GE(p99 / 99000.0, 1 / tolerance) << p99;
}

TEST(LogHistogramTest, ExtremesLandInTheEndBins) {
  LogHistogram h;
  h.Add(0.2);
  EXPECT_EQ(*h.Quantile(1.0), 0.5);
  h.Add(1e12);  // far past 2^24 us
  EXPECT_EQ(*h.Quantile(1.0), std::exp2(24.0));
}

TEST(LiveSeriesTest, OnePointPerSecondWithZerosWhenIdle) {
  LiveSeries series;
  series.RecordRequest(Ok(100, 80), 1000);
  series.RecordRequest(Ok(300, 200), 1000);
  LiveRequest failed;
  failed.code = absl::StatusCode::kResourceExhausted;
  series.RecordRequest(failed, 1002);
  const auto points = series.Points(999, 1003);
  ASSERT_EQ(points.size(), 5u);
  EXPECT_EQ(points[0].unix_second, 999);
  EXPECT_EQ(points[0].requests, 0);
  EXPECT_FALSE(points[0].latency_p50_us.has_value());
  EXPECT_EQ(points[1].requests, 2);
  EXPECT_EQ(points[1].errors, 0);
  ASSERT_TRUE(points[1].latency_p99_us.has_value());
  EXPECT_GT(*points[1].latency_p99_us, 250);
  EXPECT_EQ(points[2].requests, 0);
  EXPECT_EQ(points[3].requests, 1);
  EXPECT_EQ(points[3].errors, 1);
  // Errors have no latency.
  EXPECT_FALSE(points[3].latency_p50_us.has_value());
  const LiveTotals totals = series.Totals();
  EXPECT_EQ(totals.requests, 3);
  ASSERT_EQ(totals.errors_by_code.size(), 1u);
  EXPECT_EQ(totals.errors_by_code.at("RESOURCE_EXHAUSTED"), 1);
}

TEST(LiveSeriesTest, OldSecondsAreForgottenWhenTheirBucketIsReused) {
  LiveSeries series;
  series.RecordRequest(Ok(100, 80), 5000);
  series.RecordRequest(Ok(100, 80), 5000 + kLiveStatsRetentionSeconds);  // same slot
  const auto old_points = series.Points(5000, 5000);
  ASSERT_EQ(old_points.size(), 1u);
  EXPECT_EQ(old_points[0].requests, 0);
  const auto new_points =
      series.Points(5000 + kLiveStatsRetentionSeconds, 5000 + kLiveStatsRetentionSeconds);
  EXPECT_EQ(new_points[0].requests, 1);
  // Never more than the retention.
  EXPECT_EQ(series.Points(0, 100000).size(), static_cast<size_t>(kLiveStatsRetentionSeconds));
  EXPECT_EQ(series.Totals().requests, 2);
}

TEST(LiveSeriesTest, QualityFiguresAreSummedOrAveraged) {
  LiveSeries series;
  LiveRequest a = Ok(10, 5), b = Ok(10, 5);
  a.input_sqnr_db = 40;
  b.input_sqnr_db = std::numeric_limits<double>::infinity();  // exact: counts as 200
  a.outputs_at_rails = 2;
  b.outputs_at_rails = 1;
  a.saturation_events = 3;
  a.estimated_chip_us = 100;
  b.estimated_chip_us = 300;
  series.RecordRequest(a, 7);
  series.RecordRequest(b, 7);
  const LivePoint p = series.Points(7, 7)[0];
  EXPECT_DOUBLE_EQ(*p.input_sqnr_db, 120.0);
  EXPECT_EQ(p.outputs_at_rails, 3);
  EXPECT_EQ(*p.saturation_events, 3);
  EXPECT_DOUBLE_EQ(*p.estimated_chip_us, 200.0);
  // A device that reports none leaves them null.
  series.RecordRequest(Ok(10, 5), 8);
  const LivePoint q = series.Points(8, 8)[0];
  EXPECT_FALSE(q.saturation_events.has_value());
  EXPECT_FALSE(q.estimated_chip_us.has_value());
  EXPECT_FALSE(q.input_sqnr_db.has_value());
}

TEST(LiveSeriesTest, CompareAndShadowCounts) {
  LiveSeries series;
  series.RecordCompare(ComparisonResult::kExact, 3);
  series.RecordCompare(ComparisonResult::kDiffers, 3);
  series.RecordCompare(ComparisonResult::kTop1Differs, 3);
  series.RecordShadow(true, 3);
  series.RecordShadow(false, 3);
  const LivePoint p = series.Points(3, 3)[0];
  EXPECT_EQ(p.compare, 3);
  EXPECT_EQ(p.compare_mismatches, 2);
  EXPECT_EQ(p.shadow_sampled, 2);
  EXPECT_EQ(p.shadow_mismatches, 1);
  EXPECT_EQ(p.requests, 0);
  const LiveTotals t = series.Totals();
  EXPECT_EQ(t.compare_exact, 1);
  EXPECT_EQ(t.compare_differs, 1);
  EXPECT_EQ(t.compare_top1_differs, 1);
  EXPECT_EQ(t.shadow_sampled, 2);
  EXPECT_EQ(t.shadow_mismatched, 1);
}

TEST(QueueDepthHistoryTest, KeepsOneSamplePerSecondPerDevice) {
  QueueDepthHistory history;
  history.Record("host", 3, 10);
  history.Record("host", 5, 10);  // the later sample stands for the second's end
  history.Record("ref", 1, 11);
  EXPECT_EQ(history.At("host", 10), 5);
  EXPECT_EQ(history.At("host", 11), 0);
  EXPECT_EQ(history.At("ref", 11), 1);
  EXPECT_EQ(history.At("xs3", 10), 0);
  history.Record("host", 7, 10 + kLiveStatsRetentionSeconds);
  EXPECT_EQ(history.At("host", 10), 0);
}

TEST(LiveClockTest, NeverGoesBackwards) {
  int64_t previous = LiveNowUnixMillis();
  for (int i = 0; i < 1000; ++i) {
    const int64_t now = LiveNowUnixMillis();
    ASSERT_GE(now, previous);
    previous = now;
  }
}

}  // namespace
}  // namespace tinyserve::server
