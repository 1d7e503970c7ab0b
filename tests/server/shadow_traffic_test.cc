// Shadow-traffic bookkeeping (server/shadow_traffic.h): validation, sampling,
// counters and the bounded ring of mismatches. No server.
#include "server/shadow_traffic.h"

#include <cmath>

#include "gtest/gtest.h"

namespace tinyserve::server {
namespace {

v1::ShadowSettings Settings(const std::string& device, double fraction, int keep = 0) {
  v1::ShadowSettings s;
  s.set_device(device);
  s.set_sample_fraction(fraction);
  s.set_keep_mismatches(keep);
  return s;
}

PairDifference Differs(int64_t index) {
  PairDifference c;
  c.bit_exact = false;
  c.differing_elements = 1;
  c.max_abs_diff = 1;
  c.first_diff_index = index;
  return c;
}

PairDifference Exact() { return PairDifference(); }

TEST(ShadowTrafficTest, RefusesFractionsOutsideZeroToOneAndUnboundedKeep) {
  ServerMetrics metrics;
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    auto s = ShadowTraffic::Create(Settings("xs3", bad), "m", 1, {"ref"}, metrics);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ShadowTraffic::Create(Settings("xs3", 0.5, -1), "m", 1, {"ref"}, metrics)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ShadowTraffic::Create(Settings("xs3", 0.5, kMaxKeepMismatches + 1), "m", 1, {"ref"},
                                  metrics)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ShadowTraffic::Create(Settings("xs3", 0.0), "m", 1, {"ref"}, metrics).ok());
  EXPECT_TRUE(ShadowTraffic::Create(Settings("xs3", 1.0), "m", 1, {"ref"}, metrics).ok());
}

TEST(ShadowTrafficTest, SamplesTheConfiguredFractionReproducibly) {
  ServerMetrics metrics;
  auto never = *ShadowTraffic::Create(Settings("xs3", 0.0), "m", 1, {"ref"}, metrics);
  auto always = *ShadowTraffic::Create(Settings("xs3", 1.0), "m", 1, {"ref"}, metrics);
  auto quarter = *ShadowTraffic::Create(Settings("xs3", 0.25), "m", 1, {"ref"}, metrics);
  auto again = *ShadowTraffic::Create(Settings("xs3", 0.25), "m", 1, {"ref"}, metrics);
  int sampled = 0;
  for (int i = 0; i < 20000; ++i) {
    EXPECT_FALSE(never->Sample());
    EXPECT_TRUE(always->Sample());
    const bool q = quarter->Sample();
    ASSERT_EQ(q, again->Sample()) << "request " << i;  // same model name, same sequence
    sampled += q ? 1 : 0;
  }
  EXPECT_NEAR(sampled / 20000.0, 0.25, 0.02);
}

TEST(ShadowTrafficTest, KeepsTheLastMismatchesNewestFirstAndCountsAll) {
  ServerMetrics metrics;
  auto shadow = *ShadowTraffic::Create(Settings("xs3", 1.0, 3), "m", 7, {"ref", "host", "xs3"},
                                       metrics);
  for (int i = 0; i < 5; ++i) {
    shadow->RecordCompared("ref", Differs(i), {{static_cast<uint8_t>(i), 9}}, 1000 + i);
  }
  shadow->RecordCompared("host", Exact(), {{1, 2}}, 2000);
  shadow->RecordDropped("ref");
  shadow->RecordError("host");
  EXPECT_EQ(shadow->sampled(), 6);
  EXPECT_EQ(shadow->mismatched(), 5);
  const auto kept = shadow->Mismatches();
  ASSERT_EQ(kept.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    const int i = 4 - k;
    EXPECT_EQ(kept[k].unix_micros, 1000 + i);
    EXPECT_EQ(kept[k].inputs,
              (std::vector<std::vector<uint8_t>>{{static_cast<uint8_t>(i), 9}}));
    EXPECT_EQ(kept[k].version, 7);
    EXPECT_EQ(kept[k].primary_device, "ref");
    EXPECT_EQ(kept[k].shadow_device, "xs3");
    EXPECT_EQ(kept[k].comparison.first_diff_index, i);
  }
  const std::string text = metrics.Serialize();
  EXPECT_NE(text.find(R"(tinyserve_shadow_total{model="m",primary="ref",result="differs",shadow="xs3"} 5)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(tinyserve_shadow_total{model="m",primary="ref",result="dropped",shadow="xs3"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(tinyserve_shadow_total{model="m",primary="host",result="exact",shadow="xs3"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(tinyserve_shadow_total{model="m",primary="host",result="error",shadow="xs3"} 1)"),
            std::string::npos);
  // The shadow device is never a primary of itself.
  EXPECT_EQ(text.find(R"(primary="xs3")"), std::string::npos);
}

}  // namespace
}  // namespace tinyserve::server
