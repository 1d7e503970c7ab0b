#include "devices/device_registry.h"
#include "devices/ref/ref_device.h"
#include "engine/util/splitmix64.h"
#include "gtest/gtest.h"
#include "tests/support/test_paths.h"

namespace tinyserve {
namespace {

TEST(DeviceRegistryTest, UnknownDeviceIsNotFoundAndListsKnownOnes) {
  auto device = CreateDevice("tpu");
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(device.status().message().find("tpu"), std::string::npos);
  EXPECT_NE(device.status().message().find("ref"), std::string::npos);
}

TEST(RefDeviceTest, DescribesItself) {
  const DeviceInfo info = RefDevice().Describe();
  EXPECT_EQ(info.name, "ref");
  EXPECT_FALSE(info.description.empty());
}

TEST(RefDeviceTest, CompilesAndRunsEveryBundledModelWithPerOpTiming) {
  RefDevice device;
  for (const std::string& name : testing::BundledModelNames()) {
    auto model = Model::LoadFile(testing::BundledModelPath(name));
    ASSERT_TRUE(model.ok()) << model.status();
    auto exe = device.Compile(*model);
    ASSERT_TRUE(exe.ok()) << exe.status();
    EXPECT_GT((*exe)->arena_bytes(), 0u);
    auto session = (*exe)->NewSession();
    ASSERT_TRUE(session.ok());
    SplitMix64 rng(7);
    for (auto& b : (*session)->input(0)) b = static_cast<uint8_t>(rng.NextInt8());
    InvokeOptions options;
    options.profile_ops = true;
    auto stats = (*session)->Invoke(options);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_GT(stats->device_nanoseconds, 0);
    EXPECT_EQ(stats->op_nanoseconds.size(), (*model)->operators().size()) << name;
    EXPECT_EQ((*session)->output(0).size(), (*model)->output(0).bytes);
    auto plain = (*session)->Invoke(InvokeOptions{});
    ASSERT_TRUE(plain.ok());
    EXPECT_TRUE(plain->op_nanoseconds.empty());
  }
}

}  // namespace
}  // namespace tinyserve
