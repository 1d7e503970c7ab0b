// Seeded random inputs through every bundled model: `host` must give exactly
// the bytes `ref` gives. Each model gets kInputsPerModel inputs; the best
// dispatch target the machine supports runs all of them, every other target
// the first kInputsPerOtherIsa.
//
// Inputs are drawn with SplitMix64 from seed 0xF0220000 + model index * 65536
// + input index, in several shapes (uniform, narrow bands, rails, constant,
// mostly the zero point), so a failure names a reproducible input.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "devices/device_registry.h"
#include "engine/model.h"
#include "engine/util/splitmix64.h"
#include "gtest/gtest.h"
#include "tests/devices/host_isa_support.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

constexpr int kInputsPerModel = 1000;
constexpr int kInputsPerOtherIsa = 100;

std::vector<uint8_t> DrawInput(uint64_t seed, size_t bytes, int zero_point) {
  SplitMix64 rng(seed);
  std::vector<uint8_t> v(bytes);
  const int mode = static_cast<int>(rng.Next() % 8);
  const int lo = static_cast<int>(rng.NextInt8());
  const int hi = std::min(127, lo + static_cast<int>(rng.Next() % 48));
  const int8_t constant = rng.NextInt8();
  for (auto& x : v) {
    int8_t s;
    const uint64_t r = rng.Next();
    switch (mode) {
      case 5:  // narrow band
        s = static_cast<int8_t>(lo + static_cast<int>(r % static_cast<uint64_t>(hi - lo + 1)));
        break;
      case 6:  // rails and zero point
        s = static_cast<int8_t>((r % 3 == 0) ? -128 : (r % 3 == 1) ? 127 : zero_point);
        break;
      case 7:  // mostly zero point, sometimes anything; or one constant
        s = (r >> 63) ? constant
                      : static_cast<int8_t>((r % 4 != 0) ? zero_point : static_cast<int8_t>(r >> 56));
        break;
      default:  // uniform, as the oracle's random set
        s = static_cast<int8_t>(r >> 56);
    }
    x = static_cast<uint8_t>(s);
  }
  return v;
}

class HostModelFuzzTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HostModelFuzzTest, HostMatchesRefOnRandomInputs) {
  if (absl::Status s = testing::HostDeviceAvailable(); !s.ok()) {
    GTEST_SKIP() << "host device not built yet: " << s;
  }
  const std::vector<std::string> isas = testing::SupportedIsasByProbing();
  ASSERT_FALSE(isas.empty()) << "CreateDevice(\"host\") failed for every ISA";
  const std::string best = isas.back();

  const auto names = testing::BundledModelNames();
  const uint64_t model_index = static_cast<uint64_t>(
      std::find(names.begin(), names.end(), GetParam()) - names.begin());
  auto model = Model::LoadFile(testing::BundledModelPath(GetParam()));
  ASSERT_TRUE(model.ok()) << model.status();
  const int num_inputs = (*model)->num_inputs();
  const int num_outputs = (*model)->num_outputs();

  // Inputs and ref's outputs, once.
  const auto t0 = std::chrono::steady_clock::now();
  auto ref = CreateDevice("ref");
  ASSERT_TRUE(ref.ok()) << ref.status();
  auto ref_exe = (*ref)->Compile(*model);
  ASSERT_TRUE(ref_exe.ok()) << ref_exe.status();
  auto ref_session = (*ref_exe)->NewSession();
  ASSERT_TRUE(ref_session.ok()) << ref_session.status();
  std::vector<std::vector<std::vector<uint8_t>>> inputs(kInputsPerModel), expected(kInputsPerModel);
  for (int n = 0; n < kInputsPerModel; ++n) {
    for (int i = 0; i < num_inputs; ++i) {
      const uint64_t seed = 0xF0220000ull + model_index * 65536 + static_cast<uint64_t>(n) +
                            static_cast<uint64_t>(i) * 0x100000000ull;
      inputs[n].push_back(DrawInput(seed, (*ref_session)->input(i).size(),
                                    static_cast<int>((*model)->input(i).quantization.zero_point())));
    }
    auto out = testing::RunSession(**ref_session, num_inputs, num_outputs, inputs[n]);
    ASSERT_TRUE(out.ok()) << out.status();
    expected[n] = std::move(*out);
  }
  const auto t1 = std::chrono::steady_clock::now();

  std::string counts;
  int total_runs = 0;
  for (const std::string& isa : isas) {
    testing::ScopedEnv env(testing::kHostIsaEnv, isa);
    auto host = CreateDevice("host");
    ASSERT_TRUE(host.ok()) << isa << ": " << host.status();
    auto exe = (*host)->Compile(*model);
    ASSERT_TRUE(exe.ok()) << isa << ": " << exe.status();
    auto session = (*exe)->NewSession();
    ASSERT_TRUE(session.ok()) << isa << ": " << session.status();
    const int runs = isa == best ? kInputsPerModel : kInputsPerOtherIsa;
    int mismatches = 0;
    for (int n = 0; n < runs; ++n) {
      auto got = testing::RunSession(**session, num_inputs, num_outputs, inputs[n]);
      ASSERT_TRUE(got.ok()) << isa << " input " << n << ": " << got.status();
      for (int o = 0; o < num_outputs; ++o) {
        const auto& want = expected[n][o];
        const auto& have = (*got)[o];
        if (have == want) continue;
        size_t i = 0;
        while (i < want.size() && want[i] == have[i]) ++i;
        if (++mismatches <= 5) {
          ADD_FAILURE() << GetParam() << " ISA " << isa << " input " << n << " (seed 0x"
                        << std::hex << 0xF0220000ull + model_index * 65536 + n << std::dec
                        << "): output " << o << " first differs at byte " << i << ": host "
                        << static_cast<int>(static_cast<int8_t>(have[i])) << ", ref "
                        << static_cast<int>(static_cast<int8_t>(want[i]));
        }
        break;
      }
    }
    EXPECT_EQ(mismatches, 0) << GetParam() << " ISA " << isa;
    absl::StrAppend(&counts, counts.empty() ? "" : ", ", isa, "=", runs);
    total_runs += runs;
  }
  const auto t2 = std::chrono::steady_clock::now();
  std::printf("[ fuzz     ] %s: %d random inputs vs ref; host runs per ISA: %s (total %d); "
              "ref %.2f s, host %.2f s\n",
              GetParam().c_str(), kInputsPerModel, counts.c_str(), total_runs,
              std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count());
  std::printf("[ host     ] ISAs tested: %s (best: %s)\n", testing::JoinIsas(isas).c_str(),
              best.c_str());
}

INSTANTIATE_TEST_SUITE_P(BundledModels, HostModelFuzzTest,
                         ::testing::ValuesIn(testing::BundledModelNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace tinyserve
