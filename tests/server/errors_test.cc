// Every error status of the API, end to end against a real tinyserve process,
// and that the server keeps answering good requests after each one.
#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

// int8[1,4] + int8[1,4]: two inputs, more than v1's one raw_input/float_input
// can carry (KServe v2's ModelInfer names each).
std::vector<uint8_t> TwoInputModel() {
  ModelBuilder b;
  const int x = b.AddInput(tflite::TensorType_INT8, {1, 4}, PerTensor(0.5f, 0), "x");
  const int y = b.AddInput(tflite::TensorType_INT8, {1, 4}, PerTensor(0.5f, 0), "y");
  const int z = b.AddOutput(tflite::TensorType_INT8, {1, 4}, PerTensor(1.0f, 0), "z");
  b.AddOperator(OpType::kAdd, {x, y}, {z}, tflite::AddOptionsT());
  return b.Finish();
}

// A repository with two good models and several bad ones; one server for the suite.
class ErrorsTest : public SharedServerTest<ErrorsTest> {
 protected:
  static void SetUpTestSuite() {
    repo_ = std::make_unique<TempDir>();
    const std::string root = repo_->path();
    InstallBundledModel(root, "hello_world_int8");
    InstallBundledModel(root, "kws_ref_model");
    InstallModel(root, "two_inputs", 1, TwoInputModel());
    // Broken in different ways: not a model at all, a truncated model, a bad config.
    const std::string garbage = "this is not a TFLite flatbuffer";
    InstallModel(root, "garbage", 1, std::vector<uint8_t>(garbage.begin(), garbage.end()));
    auto kws = ReadBytes(BundledModelPath("kws_ref_model"));
    kws.resize(kws.size() / 2);
    InstallModel(root, "truncated", 1, kws);
    InstallBundledModel(root, "hello_world_int8", 1, "bad_config");
    WriteFile(root + "/bad_config/config.pbtxt", "kind: NOT_A_KIND\n");
    ServerConfig config;
    config.model_repository = root;
    config.args = {"--devices", "ref"};
    StartServer(config);
  }
  static void TearDownTestSuite() {
    server_.reset();
    repo_.reset();
  }

  // Classify fails with `code` and a message holding every fragment.
  static void ExpectClassifyFails(const v1::ClassifyRequest& request, grpc::StatusCode code,
                                  const std::vector<std::string>& fragments) {
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(server_->inference(), request, &response);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    for (const std::string& f : fragments) {
      EXPECT_NE(status.error_message().find(f), std::string::npos)
          << "message '" << status.error_message() << "' does not say '" << f << "'";
    }
    ExpectStillServes();
  }

  static std::unique_ptr<TempDir> repo_;
};
std::unique_ptr<TempDir> ErrorsTest::repo_;

TEST_F(ErrorsTest, BrokenModelsAreSkippedAtStartAndTheOthersServe) {
  const std::string log = server_->Log();
  for (const std::string name : {"garbage", "truncated", "bad_config"}) {
    EXPECT_NE(log.find("model " + name + " version 1 failed to load"), std::string::npos)
        << name << " not reported in the log:\n"
        << log;
  }
  v1::ListModelsResponse models;
  ASSERT_TRUE(ListModels(server_->inference(), &models).ok());
  std::vector<std::string> names;
  for (const auto& m : models.models()) names.push_back(m.name());
  EXPECT_EQ(names, (std::vector<std::string>{"hello_world_int8", "kws_ref_model", "two_inputs"}));
  ExpectStillServes();
  ExpectClassifyFails(RawRequest("garbage", {0}), grpc::StatusCode::NOT_FOUND, {"garbage"});
  auto metrics = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  for (const std::string name : {"garbage", "truncated", "bad_config"}) {
    EXPECT_GE(metrics->Sum("tinyserve_model_loads_total", {{"model", name}, {"result", "failure"}}),
              1)
        << name;
    EXPECT_EQ(metrics->Sum("tinyserve_model_loads_total", {{"model", name}, {"result", "success"}}),
              0)
        << name;
  }
  EXPECT_EQ(metrics->Sum("tinyserve_model_loads_total",
                         {{"model", "hello_world_int8"}, {"result", "success"}}),
            1);
}

TEST_F(ErrorsTest, UnknownModelVersionOrDeviceIsNotFound) {
  ExpectClassifyFails(RawRequest("no_such_model", {0}), grpc::StatusCode::NOT_FOUND,
                      {"no_such_model"});
  ExpectClassifyFails(RawRequest("", {0}), grpc::StatusCode::NOT_FOUND, {});
  ExpectClassifyFails(RawRequest("hello_world_int8", {0}, "", 7), grpc::StatusCode::NOT_FOUND,
                      {"version 7"});
  ExpectClassifyFails(RawRequest("hello_world_int8", {0}, "no_such_device"),
                      grpc::StatusCode::NOT_FOUND, {"no_such_device", "ref"});
  v1::ModelMetadata metadata;
  EXPECT_EQ(GetModelMetadata(server_->inference(), "no_such_model", 0, &metadata).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetModelMetadata(server_->inference(), "kws_ref_model", 2, &metadata).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ExpectStillServes();
}

TEST_F(ErrorsTest, WrongInputSizeIsInvalidArgumentSayingExpectedAndGot) {
  // kws_ref_model takes int8[1,49,10,1] = 490 bytes.
  ExpectClassifyFails(RawRequest("kws_ref_model", std::vector<uint8_t>(489)),
                      grpc::StatusCode::INVALID_ARGUMENT, {"489 bytes", "490 bytes", "int8"});
  ExpectClassifyFails(RawRequest("kws_ref_model", std::vector<uint8_t>(491)),
                      grpc::StatusCode::INVALID_ARGUMENT, {"491 bytes", "490 bytes"});
  ExpectClassifyFails(RawRequest("kws_ref_model", {}), grpc::StatusCode::INVALID_ARGUMENT,
                      {"0 bytes", "490 bytes"});
  ExpectClassifyFails(RawRequest("hello_world_int8", {1, 2}), grpc::StatusCode::INVALID_ARGUMENT,
                      {"2 bytes", "1 bytes"});
  for (int count : {1, 489, 491}) {
    v1::ClassifyRequest request;
    request.set_model("kws_ref_model");
    for (int i = 0; i < count; ++i) request.mutable_float_input()->add_values(0.5f);
    ExpectClassifyFails(request, grpc::StatusCode::INVALID_ARGUMENT,
                        {std::to_string(count) + " values", "490 values"});
  }
  v1::ClassifyRequest empty_float;
  empty_float.set_model("kws_ref_model");
  empty_float.mutable_float_input();
  ExpectClassifyFails(empty_float, grpc::StatusCode::INVALID_ARGUMENT, {"0 values", "490 values"});
}

TEST_F(ErrorsTest, MissingInputOrNegativeTopKIsInvalidArgument) {
  v1::ClassifyRequest no_input;
  no_input.set_model("kws_ref_model");
  ExpectClassifyFails(no_input, grpc::StatusCode::INVALID_ARGUMENT, {"no input"});
  ExpectClassifyFails(RawRequest("kws_ref_model", std::vector<uint8_t>(490), "", 0, -1),
                      grpc::StatusCode::INVALID_ARGUMENT, {"top_k", "-1"});
}

TEST_F(ErrorsTest, ModelWithSeveralInputsNamesTheMissingOne) {
  ExpectClassifyFails(RawRequest("two_inputs", std::vector<uint8_t>(4)),
                      grpc::StatusCode::INVALID_ARGUMENT, {"input 'y'", "missing"});
}

TEST_F(ErrorsTest, LoadModelErrors) {
  struct Case {
    std::string model;
    int64_t version;
    grpc::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"no_such_model", 0, grpc::StatusCode::NOT_FOUND},
      {"kws_ref_model", 9, grpc::StatusCode::NOT_FOUND},
      {"kws_ref_model", -1, grpc::StatusCode::INVALID_ARGUMENT},
      {"../x", 0, grpc::StatusCode::INVALID_ARGUMENT},
      {"..", 0, grpc::StatusCode::INVALID_ARGUMENT},
      {"a/b", 0, grpc::StatusCode::INVALID_ARGUMENT},
      {"/etc", 0, grpc::StatusCode::INVALID_ARGUMENT},
      {".hidden", 0, grpc::StatusCode::INVALID_ARGUMENT},
      {"", 0, grpc::StatusCode::INVALID_ARGUMENT},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("LoadModel '" + c.model + "' version " + std::to_string(c.version));
    const grpc::Status status = LoadModel(server_->admin(), c.model, c.version);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    ExpectStillServes();
  }
  // Broken models stay unloadable, with a reason, and change nothing.
  for (const std::string name : {"garbage", "truncated", "bad_config"}) {
    SCOPED_TRACE(name);
    const grpc::Status status = LoadModel(server_->admin(), name, 1);
    EXPECT_FALSE(status.ok());
    EXPECT_FALSE(status.error_message().empty());
    ExpectStillServes();
  }
  // Loading a loaded, unchanged version is a no-op that succeeds.
  v1::LoadModelResponse loaded;
  const grpc::Status again = LoadModel(server_->admin(), "kws_ref_model", 0, &loaded);
  ASSERT_TRUE(again.ok()) << again.error_message();
  EXPECT_EQ(loaded.version(), 1);
  EXPECT_EQ(std::vector<std::string>(loaded.devices().begin(), loaded.devices().end()),
            std::vector<std::string>{"ref"});
  v1::ListModelsResponse models;
  ASSERT_TRUE(ListModels(server_->inference(), &models).ok());
  EXPECT_EQ(models.models_size(), 3);
}

TEST_F(ErrorsTest, UnloadModelErrors) {
  EXPECT_EQ(UnloadModel(server_->admin(), "no_such_model", 0).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(UnloadModel(server_->admin(), "kws_ref_model", 5).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(UnloadModel(server_->admin(), "../x", 0).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ExpectStillServes();
  // Unload and load back: NOT_FOUND in between, served again after.
  v1::UnloadModelResponse unloaded;
  ASSERT_TRUE(UnloadModel(server_->admin(), "kws_ref_model", 0, &unloaded).ok());
  EXPECT_EQ(std::vector<int64_t>(unloaded.versions().begin(), unloaded.versions().end()),
            std::vector<int64_t>{1});
  ExpectClassifyFails(RawRequest("kws_ref_model", std::vector<uint8_t>(490)),
                      grpc::StatusCode::NOT_FOUND, {"kws_ref_model"});
  ASSERT_TRUE(LoadModel(server_->admin(), "kws_ref_model", 1).ok());
  v1::ClassifyResponse response;
  EXPECT_TRUE(
      Classify(server_->inference(), RawRequest("kws_ref_model", std::vector<uint8_t>(490)),
               &response)
          .ok());
}

// A device this build knows but the server does not run: UNAVAILABLE.
TEST(DeviceNotRunningTest, KnownDeviceNotRunningIsUnavailable) {
  ServerConfig config;
  config.binary = TestServerBinary();
  config.args = {"--devices", "slow"};
  config.env = {{"TINYSERVE_SLOW_DEVICE_MS", "0"}};
  auto server = ServerProcess::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  v1::ClassifyResponse response;
  grpc::Status status =
      Classify((*server)->inference(), RawRequest("hello_world_int8", {0}, "ref"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("ref"), std::string::npos);
  status = Classify((*server)->inference(), RawRequest("hello_world_int8", {0}), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.metrics().device(), "slow");
  EXPECT_EQ(response.metrics().device_kind(), "test-slow");
}

}  // namespace
}  // namespace tinyserve::testing
