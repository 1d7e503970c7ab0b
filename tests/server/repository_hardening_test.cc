// The model repository as an attacker or a careless operator shapes it, end
// to end against a real server (issue 12): FIFOs and devices in place of
// model files, symlinks out of the repository, oversized and non-UTF-8 text,
// files edited in place, directories removed. The server must never stall,
// must keep serving every good model, and must say what is wrong.
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

const std::string kHello = "hello_world_int8";

bool Contains(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

std::vector<std::string> ModelNames(ServerProcess& server) {
  v1::ListModelsResponse models;
  const grpc::Status status = ListModels(server.inference(), &models);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> names;
  for (const auto& m : models.models()) names.push_back(m.name());
  return names;
}

bool Listed(ServerProcess& server, const std::string& model) {
  const auto names = ModelNames(server);
  return std::find(names.begin(), names.end(), model) != names.end();
}

// Polls `condition` every 20 ms until it holds or `timeout` passes.
template <typename Condition>
bool WaitUntil(Condition condition, milliseconds timeout = milliseconds(20000)) {
  const auto end = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// Defect 1: FIFOs named labels.txt, config.pbtxt and model.tflite. Before the
// fix the server blocked reading the first at start (or the poller blocked
// holding the load lock, and LoadModel on a gRPC thread waited behind it).
TEST(RepositoryHardeningTest, FifosNeverStallTheServer) {
  TempDir repo;
  const std::string root = repo.path();
  InstallBundledModel(root, kHello);
  InstallBundledModel(root, kHello, 1, "fifo_labels");
  InstallBundledModel(root, kHello, 1, "fifo_config");
  fs::create_directories(root + "/fifo_model/1");
  ASSERT_EQ(::mkfifo((root + "/fifo_labels/labels.txt").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo_config/config.pbtxt").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo_model/1/model.tflite").c_str(), 0600), 0);

  ServerConfig config;
  config.model_repository = root;
  config.args = {"--devices", "ref"};
  config.repository_poll_seconds = 0.05;  // the poller meets the FIFOs too
  config.ready_timeout_seconds = 30;
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  EXPECT_EQ(ModelNames(server), std::vector<std::string>{kHello});

  // Classify keeps answering while LoadModel calls on every FIFO run.
  std::vector<std::unique_ptr<AsyncClassify>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(std::make_unique<AsyncClassify>(server.inference(), RawRequest(kHello, {0}),
                                                    seconds(10)));
  }
  for (const std::string model : {"fifo_labels", "fifo_config", "fifo_model"}) {
    SCOPED_TRACE(model);
    for (int i = 0; i < 3; ++i) {
      const grpc::Status status = LoadModel(server.admin(), model, 0);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << status.error_message();
      EXPECT_TRUE(Contains(status.error_message(), "is a FIFO, not a regular file"))
          << status.error_message();
    }
  }
  for (auto& call : calls) {
    ASSERT_TRUE(call->Wait(seconds(15)));
    EXPECT_TRUE(call->status().ok()) << call->status().error_message();
  }
  // Logged once per model, not at every poll (backoff).
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_LE(server.CountInLog("model fifo_labels version 1 failed to load"), 1 + 3)
      << server.Log();

  const auto status = server.Stop(seconds(20));
  ASSERT_TRUE(status.has_value()) << "still running 20 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
}

// Defect 4: labels through symlinks to /dev/zero and to a host file, and
// labels past their size cap: each fails its model's load naming the file.
TEST(RepositoryHardeningTest, LabelsOutsideTheRepositoryOrPastTheirCapAreRefused) {
  TempDir repo;
  TempDir host;
  const std::string root = repo.path();
  InstallBundledModel(root, kHello);
  InstallBundledModel(root, kHello, 1, "zero");
  InstallBundledModel(root, kHello, 1, "host_file");
  InstallBundledModel(root, kHello, 1, "at_cap");
  InstallBundledModel(root, kHello, 1, "past_cap");
  WriteFile(host.path() + "/secret", "root:x:0:0\n");
  fs::create_symlink("/dev/zero", root + "/zero/labels.txt");
  fs::create_symlink(host.path() + "/secret", root + "/host_file/labels.txt");
  // 1 MiB of labels is the default cap: 65536 labels of 15 bytes and '\n'.
  std::string labels;
  for (int i = 0; i < 65536; ++i) labels += "label_" + std::string(8, 'a' + i % 26) + "_\n";
  ASSERT_EQ(labels.size(), 1u << 20);
  WriteFile(root + "/at_cap/labels.txt", labels);
  WriteFile(root + "/past_cap/labels.txt", labels + "x");

  ServerConfig config;
  config.model_repository = root;
  config.args = {"--devices", "ref"};
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  EXPECT_EQ(ModelNames(server), (std::vector<std::string>{"at_cap", kHello}));

  struct Case {
    std::string model;
    grpc::StatusCode code;
    std::string fragment;
  };
  for (const Case& c : std::vector<Case>{
           {"zero", grpc::StatusCode::INVALID_ARGUMENT, "zero/labels.txt' leads outside the repository"},
           {"host_file", grpc::StatusCode::INVALID_ARGUMENT, "leads outside the repository"},
           {"past_cap", grpc::StatusCode::INVALID_ARGUMENT, "1048577 bytes, more than the limit"}}) {
    SCOPED_TRACE(c.model);
    const grpc::Status status = LoadModel(server.admin(), c.model, 0);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    EXPECT_TRUE(Contains(status.error_message(), c.fragment)) << status.error_message();
    EXPECT_FALSE(Contains(status.error_message(), "root:x")) << status.error_message();
  }
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata(server.inference(), "at_cap", 0, &metadata).ok());
  EXPECT_EQ(metadata.labels_size(), 65536);
}

// Defect 2 (repository side): a non-UTF-8 description or Latin-1 labels fail
// that model's load naming the file; ListModels and GetModelMetadata keep
// working for every other model.
TEST(RepositoryHardeningTest, NonUtf8ConfigOrLabelsAreRefusedAndTheRestServes) {
  TempDir repo;
  const std::string root = repo.path();
  InstallBundledModel(root, kHello);
  InstallBundledModel(root, kHello, 1, "bad_description");
  InstallBundledModel(root, kHello, 1, "latin1_labels");
  WriteFile(root + "/bad_description/config.pbtxt", "description: \"\\377\\376\"\n");
  WriteFile(root + "/latin1_labels/labels.txt", "yes\ncaf\xE9\n");

  ServerConfig config;
  config.model_repository = root;
  config.args = {"--devices", "ref"};
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  EXPECT_EQ(ModelNames(server), std::vector<std::string>{kHello});
  const grpc::Status description = LoadModel(server.admin(), "bad_description", 0);
  EXPECT_EQ(description.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(description.error_message(), "bad_description/config.pbtxt"))
      << description.error_message();
  EXPECT_TRUE(Contains(description.error_message(), "UTF-8")) << description.error_message();
  const grpc::Status labels = LoadModel(server.admin(), "latin1_labels", 0);
  EXPECT_EQ(labels.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(labels.error_message(), "latin1_labels/labels.txt: line 2:4"))
      << labels.error_message();
  EXPECT_EQ(ModelNames(server), std::vector<std::string>{kHello});
  v1::ModelMetadata metadata;
  EXPECT_TRUE(GetModelMetadata(server.inference(), kHello, 0, &metadata).ok());
}

// Defect 7: editing labels.txt or config.pbtxt in place reloads the model;
// removing its directory unloads it (health NOT_SERVING) and bringing it back
// loads it again.
TEST(RepositoryHardeningTest, InPlaceEditsReloadAndRemovedDirectoriesUnload) {
  TempDir repo;
  const std::string root = repo.path();
  InstallBundledModel(root, kHello);
  InstallBundledModel(root, "kws_ref_model");
  WriteFile(root + "/" + kHello + "/labels.txt", "before\n");

  ServerConfig config;
  config.model_repository = root;
  config.args = {"--devices", "ref"};
  config.repository_poll_seconds = 0.05;
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  auto labels = [&] {
    v1::ModelMetadata metadata;
    if (!GetModelMetadata(server.inference(), kHello, 0, &metadata).ok()) return std::string();
    return metadata.labels_size() == 1 ? metadata.labels(0) : std::string();
  };
  auto description = [&] {
    v1::ModelMetadata metadata;
    if (!GetModelMetadata(server.inference(), kHello, 0, &metadata).ok()) return std::string();
    return metadata.config().description();
  };
  ASSERT_EQ(labels(), "before");

  std::this_thread::sleep_for(milliseconds(20));  // past a coarse file system clock tick
  WriteFile(root + "/" + kHello + "/labels.txt", "after\n");
  EXPECT_TRUE(WaitUntil([&] { return labels() == "after"; })) << server.Log();
  WriteFile(root + "/" + kHello + "/config.pbtxt", "description: \"edited in place\"\n");
  EXPECT_TRUE(WaitUntil([&] { return description() == "edited in place"; })) << server.Log();

  constexpr int kServing = 1;
  constexpr int kNotServing = 2;
  ASSERT_EQ(HealthCheck(server.channel(), "kws_ref_model").second, kServing);
  fs::remove_all(root + "/kws_ref_model");
  EXPECT_TRUE(WaitUntil([&] { return !Listed(server, "kws_ref_model"); })) << server.Log();
  EXPECT_EQ(HealthCheck(server.channel(), "kws_ref_model").second, kNotServing);
  v1::ClassifyResponse response;
  EXPECT_EQ(Classify(server.inference(), RawRequest("kws_ref_model", {0}), &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Listed(server, kHello));

  InstallBundledModel(root, "kws_ref_model");
  EXPECT_TRUE(WaitUntil([&] { return Listed(server, "kws_ref_model"); })) << server.Log();
  EXPECT_EQ(HealthCheck(server.channel(), "kws_ref_model").second, kServing);
}

}  // namespace
}  // namespace tinyserve::testing
