// A gtest fixture whose tests share one server process, started once for the
// suite (the start-or-record-the-error dance every such suite needs):
//
//   class MyTest : public SharedServerTest<MyTest> {
//    protected:
//     static void SetUpTestSuite() { StartServer(config); }
//   };
//
// A server that does not start fails every test of the suite (in SetUp) with
// the start error, instead of aborting the suite setup.
#ifndef TINYSERVE_TESTS_SERVER_SHARED_SERVER_TEST_H_
#define TINYSERVE_TESTS_SERVER_SHARED_SERVER_TEST_H_

#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "tests/server/server_process.h"

namespace tinyserve::testing {

// Suite (the derived fixture) gives each suite its own server_.
template <typename Suite>
class SharedServerTest : public ::testing::Test {
 protected:
  static void StartServer(const ServerConfig& config) {
    auto server = ServerProcess::Start(config);
    if (server.ok()) {
      server_ = std::move(*server);
    } else {
      start_error_ = server.status().ToString();
    }
  }
  static void TearDownTestSuite() { server_.reset(); }
  void SetUp() override { ASSERT_NE(server_, nullptr) << start_error_; }

  // After a bad request: a good one to `model` still succeeds.
  static void ExpectStillServes(const std::string& model = "hello_world_int8") {
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(server_->inference(), RawRequest(model, {0}), &response);
    EXPECT_TRUE(status.ok()) << "a good request failed after a bad one: " << status.error_message();
    EXPECT_EQ(response.model(), model);
  }

  static inline std::unique_ptr<ServerProcess> server_;
  static inline std::string start_error_;
};

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SERVER_SHARED_SERVER_TEST_H_
