// The xcore device without a board: what compiling binds and refuses, and
// that a board that is not there answers at once, naming itself.
#include "devices/xcore/xcore_device.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "devices/device_catalog.h"
#include "devices/device_registry.h"
#include "engine/model.h"
#include "gtest/gtest.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_paths.h"

namespace tinyserve::xcore {
namespace {

using testing::ModelBuilder;
using testing::PerTensor;

std::shared_ptr<BoardInventory> NoBoards() {
  return BoardInventory::Create({.usb = false, .simulators = {}});
}

// A served model (RELU) and an xformer-like file with the same signature
// (one custom XC_ op) or another one.
std::vector<uint8_t> TinyModel(bool custom, int32_t width, float out_scale) {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, width}, PerTensor(0.5f, -1), "in");
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, width}, PerTensor(out_scale, -1),
                              custom ? "xc_out" : "out");
  if (custom) {
    b.AddOperator(32, {in}, {out});
    b.model().operator_codes.back()->custom_code = "XC_lookup";
  } else {
    b.AddOperator(OpType::kRelu, {in}, {out});
  }
  return b.Finish();
}

std::string WriteTemp(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path =
      (std::filesystem::temp_directory_path() /
       (name + "_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
        std::to_string(reinterpret_cast<uintptr_t>(&bytes)) + ".tflite"))
          .string();
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

class XcoreDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = Model::LoadBuffer(TinyModel(false, 8, 0.5f), "tiny");
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *model;
  }
  std::shared_ptr<const Model> model_;
  XcoreDevice device_{NoBoards(), "1-2.3"};
};

TEST_F(XcoreDeviceTest, DescribesItselfByBoardPath) {
  const DeviceInfo info = device_.Describe();
  EXPECT_EQ(info.name, "xcore@1-2.3");
  EXPECT_EQ(info.kind, "xcore-usb");
  EXPECT_NE(info.description.find("USB at bus-port 1-2.3"), std::string::npos) << info.description;
  EXPECT_EQ(info.capabilities, (std::vector<std::string>{"link-timing"}));
}

TEST_F(XcoreDeviceTest, AnAbsentBoardIsDownAndSaysWhy) {
  const DeviceHealth health = device_.Health();
  EXPECT_EQ(health.state, DeviceState::kDown);
  EXPECT_NE(health.reason.find("no io_server board at USB bus-port 1-2.3"), std::string::npos)
      << health.reason;
}

TEST_F(XcoreDeviceTest, CompileWithoutABindingSaysHowToAddOne) {
  for (const auto& exe : {device_.Compile(model_), device_.CompileWithOptions(model_, {})}) {
    ASSERT_FALSE(exe.ok());
    EXPECT_EQ(exe.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(exe.status().message().find("has no xcore binding (add xcore { model_index: N } "
                                          "to config.pbtxt)"),
              std::string::npos)
        << exe.status();
    EXPECT_NE(exe.status().message().find("xcore@1-2.3"), std::string::npos);
  }
}

TEST_F(XcoreDeviceTest, ABindingForAnotherBoardIsRefused) {
  CompileOptions options;
  options.firmware = FirmwareBinding{0, "", "1-4"};
  auto exe = device_.CompileWithOptions(model_, options);
  ASSERT_FALSE(exe.ok());
  EXPECT_EQ(exe.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(exe.status().message().find("bound to board '1-4', not this one"), std::string::npos)
      << exe.status();
  // Its own path, with or without the device prefix, is fine.
  options.firmware->board = "1-2.3";
  EXPECT_TRUE(device_.CompileWithOptions(model_, options).ok());
  options.firmware->board = "xcore@1-2.3";
  EXPECT_TRUE(device_.CompileWithOptions(model_, options).ok());
}

TEST_F(XcoreDeviceTest, ModelIndexMustFitTheCommandByte) {
  CompileOptions options;
  options.firmware = FirmwareBinding{256, "", ""};
  auto exe = device_.CompileWithOptions(model_, options);
  EXPECT_EQ(exe.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(exe.status().message().find("model_index 256"), std::string::npos) << exe.status();
}

TEST_F(XcoreDeviceTest, TheFirmwareModelFileMustMatchTheServedModel) {
  const std::string same = WriteTemp("fw_same", TinyModel(true, 8, 0.5f));
  const std::string wider = WriteTemp("fw_wider", TinyModel(true, 16, 0.5f));
  const std::string requant = WriteTemp("fw_requant", TinyModel(true, 8, 0.25f));
  CompileOptions options;
  options.firmware = FirmwareBinding{3, same, ""};
  auto ok = device_.CompileWithOptions(model_, options);
  ASSERT_TRUE(ok.ok()) << ok.status();  // custom ops in the firmware file are fine
  EXPECT_EQ((*ok)->arena_bytes(), 16u);

  options.firmware->firmware_model_path = wider;
  auto shape = device_.CompileWithOptions(model_, options);
  ASSERT_FALSE(shape.ok());
  EXPECT_EQ(shape.status().code(), absl::StatusCode::kFailedPrecondition);
  for (const std::string& part :
       {std::string("'tiny'"), std::filesystem::path(wider).filename().string(),
        std::string("input 0: int8[1,8] vs int8[1,16]")}) {
    EXPECT_NE(shape.status().message().find(part), std::string::npos)
        << part << " in " << shape.status();
  }
  options.firmware->firmware_model_path = requant;
  auto quant = device_.CompileWithOptions(model_, options);
  ASSERT_FALSE(quant.ok());
  EXPECT_NE(quant.status().message().find("output 0: quantization"), std::string::npos)
      << quant.status();

  options.firmware->firmware_model_path = "/nonexistent/fw.tflite";
  auto missing = device_.CompileWithOptions(model_, options);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/fw.tflite"), std::string::npos)
      << missing.status();
  for (const std::string& p : {same, wider, requant}) std::remove(p.c_str());
}

TEST_F(XcoreDeviceTest, InvokeOnAnAbsentBoardFailsAtOnceNamingIt) {
  CompileOptions options;
  options.firmware = FirmwareBinding{0, "", ""};
  auto exe = device_.CompileWithOptions(model_, options);
  ASSERT_TRUE(exe.ok()) << exe.status();
  auto session = (*exe)->NewSession();
  ASSERT_TRUE(session.ok());
  EXPECT_EQ((*session)->input(0).size(), 8u);
  EXPECT_EQ((*session)->output(0).size(), 8u);
  InvokeOptions invoke;
  invoke.deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  const auto start = std::chrono::steady_clock::now();
  auto stats = (*session)->Invoke(invoke);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(stats.status().message().find("xcore@1-2.3 is DOWN"), std::string::npos)
      << stats.status();
}

TEST(DeviceCatalogTest, FamiliesAndNames) {
  auto catalog = DeviceCatalog::Create(DeviceCatalogOptions{.xcore_usb = false, .xcore_simulators = {}});
  EXPECT_EQ(catalog->Families(), (std::vector<std::string>{"host", "ref", "xs3", "xcore"}));
  EXPECT_EQ(*catalog->Expand("xs3"), (std::vector<std::string>{"xs3"}));
  EXPECT_TRUE(catalog->Expand("xcore")->empty());  // no boards here
  EXPECT_EQ(*catalog->Expand("xcore@1-2"), (std::vector<std::string>{"xcore@1-2"}));
  auto unknown = catalog->Expand("tpu");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("host, ref, xs3, xcore"), std::string::npos);
  EXPECT_EQ(catalog->Expand("xcore@").status().code(), absl::StatusCode::kNotFound);

  auto ref = catalog->Create("ref");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ((*ref)->Describe().name, "ref");
  EXPECT_EQ((*ref)->Health().state, DeviceState::kUp);
  auto board = catalog->Create("xcore@1-2");
  ASSERT_TRUE(board.ok());
  EXPECT_EQ((*board)->Describe().name, "xcore@1-2");
  EXPECT_EQ((*board)->Health().state, DeviceState::kDown);
  EXPECT_EQ(catalog->Create("xcore").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DeviceCatalogTest, AnUnreachableSimulatorIsExplainedInTheNote) {
  auto catalog = DeviceCatalog::Create(DeviceCatalogOptions{.xcore_usb = false, .xcore_simulators = {"127.0.0.1:1"}});
  EXPECT_TRUE(catalog->Expand("xcore")->empty());
  const std::string note = catalog->xcore_note();
  EXPECT_NE(note.find("sim0 (127.0.0.1:1)"), std::string::npos) << note;
  auto sim = catalog->Create("xcore@sim0");
  ASSERT_TRUE(sim.ok());
  EXPECT_EQ((*sim)->Health().state, DeviceState::kDown);
  EXPECT_NE((*sim)->Health().reason.find("not connected"), std::string::npos)
      << (*sim)->Health().reason;
  EXPECT_NE((*sim)->Describe().description.find("tinyserve-xcore-sim at 127.0.0.1:1"),
            std::string::npos);
}

TEST(DeviceRegistryTest, XcoreIsAKnownFamily) {
  const auto names = KnownDeviceNames();
  EXPECT_EQ(names, (std::vector<std::string>{"host", "ref", "xs3", "xcore"}));
}

}  // namespace
}  // namespace tinyserve::xcore
