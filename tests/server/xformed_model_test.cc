// An xformed model (xcore-opt output, as deployed to boards) served by the
// unmodified server: it binds to xs3 only, answers with what XMOS's host
// interpreter computes (tests/data/xmos), and the portable devices refuse it
// with the reason, while the plain model beside it serves everywhere.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/server_process.h"
#include "tests/support/oracle_vectors.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

namespace fs = std::filesystem;

TEST(XformedModelServerTest, ServesXcoreOptOutputOnXs3BitExactWithXmos) {
  const std::string data = TestDataPath("xmos/kws_ref_model/t05x5");
  std::ifstream index_file(data + "/index.json");
  ASSERT_TRUE(index_file) << data;
  const nlohmann::json index = nlohmann::json::parse(index_file);

  TempDir repo;
  const std::string dir = repo.path() + "/kws_xc";
  fs::create_directories(dir + "/1");
  fs::copy_file(data + "/model.xc.tflite", dir + "/1/model.tflite");
  fs::copy_file(BundledModelsDir() + "/kws_ref_model/labels.txt", dir + "/labels.txt");
  WriteFile(dir + "/config.pbtxt", "kind: CLASSIFIER\ndescription: \"kws, xformed by xcore-opt\"\n");
  InstallBundledModel(repo.path(), "kws_ref_model", 1);

  ServerConfig config;
  config.model_repository = repo.path();
  config.args = {"--devices", "host,ref,xs3"};
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;

  // Both models load; the xformed one runs on xs3 only (its default device).
  v1::ListModelsResponse models;
  ASSERT_TRUE(ListModels(server.inference(), &models).ok());
  bool listed = false;
  for (const auto& m : models.models()) {
    if (m.name() != "kws_xc") continue;
    listed = true;
    EXPECT_EQ(m.default_device(), "xs3");
  }
  ASSERT_TRUE(listed) << server.Log();

  int vectors = 0;
  for (const auto& v : oracle::OracleVectors(index)) {
    std::ifstream in(data + "/" + v.input, std::ios::binary);
    const std::vector<uint8_t> input((std::istreambuf_iterator<char>(in)), {});
    std::ifstream out(data + "/" + v.output, std::ios::binary);
    const std::string expected((std::istreambuf_iterator<char>(out)), {});
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(server.inference(), RawRequest("kws_xc", input), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.outputs_size(), 1);
    EXPECT_EQ(response.outputs(0).raw(), expected) << v.input;
    EXPECT_EQ(response.metrics().device(), "xs3");
    ++vectors;
  }
  EXPECT_EQ(vectors, 15);

  // host and ref say why not; the plain model serves on host.
  std::ifstream in(data + "/../inputs/input_00.bin", std::ios::binary);
  const std::vector<uint8_t> input((std::istreambuf_iterator<char>(in)), {});
  for (const std::string device : {"host", "ref"}) {
    v1::ClassifyResponse response;
    const grpc::Status status =
        Classify(server.inference(), RawRequest("kws_xc", input, device), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << device;
    EXPECT_NE(status.error_message().find("is an XMOS operator"), std::string::npos)
        << status.error_message();
  }
  v1::ClassifyResponse plain;
  EXPECT_TRUE(Classify(server.inference(), RawRequest("kws_ref_model", input, "host"), &plain).ok());
}

}  // namespace
}  // namespace tinyserve::testing
