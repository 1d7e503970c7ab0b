// The model repository and registry without a server: every read is bounded
// and never blocks (FIFOs, devices, symlinks out of the repository refused),
// text is UTF-8, a change to any file of a version reloads it, a directory
// that goes unloads, and a model that keeps failing is retried with backoff.
#include "server/model_repository.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "devices/device_catalog.h"
#include "gtest/gtest.h"
#include "server/device_manager.h"
#include "server/metrics.h"
#include "server/model_registry.h"
#include "server/repository_file.h"
#include "server/repository_text.h"
#include "server/text_checks.h"
#include "tests/support/test_paths.h"

namespace tinyserve::server {
namespace {

namespace fs = std::filesystem;
using ::tinyserve::testing::BundledModelPath;

class TempTree {
 public:
  TempTree() {
    std::string pattern = (fs::temp_directory_path() / "tinyserve-repo-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempTree() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Write(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

void InstallHello(const std::string& root, const std::string& name, int version = 1) {
  fs::create_directories(root + "/" + name + "/" + std::to_string(version));
  fs::copy_file(BundledModelPath("hello_world_int8"),
                root + "/" + name + "/" + std::to_string(version) + "/model.tflite",
                fs::copy_options::overwrite_existing);
}

bool Mentions(const absl::Status& status, const std::string& fragment) {
  return std::string(status.message()).find(fragment) != std::string::npos;
}

// --- UTF-8 --------------------------------------------------------------------

TEST(TextChecksTest, AcceptsUtf8AndFindsTheFirstBadByte) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("yes no \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_FALSE(IsValidUtf8("\xFF\xFE"));
  EXPECT_FALSE(IsValidUtf8("caf\xE9"));             // Latin-1 é
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));            // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));        // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));    // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));            // truncated
  EXPECT_EQ(FirstInvalidUtf8Offset("ab\xC3\xA9x\x80"), 5u);
  EXPECT_EQ(FirstInvalidUtf8Offset("ok"), std::nullopt);
}

// --- Parsing (the same functions the fuzzer runs) -------------------------------

TEST(RepositoryTextTest, ConfigWithInvalidUtf8IsRefusedNamingFileAndLine) {
  auto raw = ParseModelConfig("kind: CLASSIFIER\ndescription: \"caf\xE9\"\n", "m/config.pbtxt");
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(raw.status(), "m/config.pbtxt: line 2:")) << raw.status();
  // Escapes make the same bytes out of ASCII text: caught on the parsed fields.
  auto escaped = ParseModelConfig("description: \"\\377\\376\"\n", "m/config.pbtxt");
  ASSERT_FALSE(escaped.ok());
  EXPECT_TRUE(Mentions(escaped.status(), "description")) << escaped.status();
  auto nested = ParseModelConfig("devices { device: \"\\300\" }\n", "c");
  ASSERT_FALSE(nested.ok());
  EXPECT_TRUE(Mentions(nested.status(), "devices[0].device")) << nested.status();
  auto good = ParseModelConfig("description: \"caf\xC3\xA9 \\303\\251\"\n", "c");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->description(), "caf\xC3\xA9 \xC3\xA9");
}

TEST(RepositoryTextTest, LabelsAreUtf8AndBoundedAtTheirLimits) {
  RepositoryLimits limits;
  limits.max_labels = 3;
  limits.max_label_bytes = 4;
  limits.max_labels_bytes = 20;
  auto ok = ParseLabels("a\r\nbbbb\nc\n\n\n", "l.txt", limits);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, (std::vector<std::string>{"a", "bbbb", "c"}));

  auto latin1 = ParseLabels("a\ncaf\xE9\n", "l.txt", limits);
  ASSERT_FALSE(latin1.ok());
  EXPECT_EQ(latin1.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(latin1.status(), "l.txt: line 2:4: not valid UTF-8")) << latin1.status();

  auto long_label = ParseLabels("a\nbbbbb\n", "l.txt", limits);
  ASSERT_FALSE(long_label.ok());
  EXPECT_TRUE(Mentions(long_label.status(), "line 2")) << long_label.status();

  auto many = ParseLabels("a\nb\nc\nd\n", "l.txt", limits);
  ASSERT_FALSE(many.ok());
  EXPECT_TRUE(Mentions(many.status(), "more than 3 labels")) << many.status();

  EXPECT_TRUE(ParseLabels(std::string(20, '\n'), "l.txt", limits).ok());
  EXPECT_FALSE(ParseLabels(std::string(21, '\n'), "l.txt", limits).ok());
}

// --- Reading files ----------------------------------------------------------------

TEST(RepositoryFileTest, FifosDevicesAndDirectoriesAreRefusedWithoutBlocking) {
  TempTree tree;
  const std::string root = tree.path();
  InstallHello(root, "fifo_labels");
  InstallHello(root, "fifo_config");
  fs::create_directories(root + "/fifo_model/1");
  ASSERT_EQ(::mkfifo((root + "/fifo_labels/labels.txt").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo_config/config.pbtxt").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((root + "/fifo_model/1/model.tflite").c_str(), 0600), 0);
  ModelRepository repository(root);

  // Opening a FIFO for reading would wait for a writer forever.
  auto labels = repository.ReadLabels("fifo_labels", v1::ModelConfig());
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Mentions(labels.status(), "fifo_labels/labels.txt' is a FIFO")) << labels.status();

  auto config = repository.ReadConfig("fifo_config");
  ASSERT_FALSE(config.ok());
  EXPECT_TRUE(Mentions(config.status(), "config.pbtxt' is a FIFO")) << config.status();

  // The version is listed, so loading it says what is wrong.
  auto versions = repository.ListVersions("fifo_model");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(*versions, std::vector<int64_t>{1});
  auto model = repository.ReadModelFile("fifo_model", 1);
  ASSERT_FALSE(model.ok());
  EXPECT_TRUE(Mentions(model.status(), "model.tflite' is a FIFO")) << model.status();

  fs::create_directories(root + "/fifo_labels/dir");
  auto dir = ReadRepositoryFile(root + "/fifo_labels/dir", root, "the repository", 100);
  EXPECT_EQ(dir.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Mentions(dir.status(), "is a directory")) << dir.status();
}

TEST(RepositoryFileTest, SymlinksMustStayInsideTheRepository) {
  TempTree tree;
  TempTree elsewhere;
  const std::string root = tree.path();
  InstallHello(root, "zero");
  InstallHello(root, "host_file");
  InstallHello(root, "shared");
  InstallHello(root, "named");
  Write(elsewhere.path() + "/secret.txt", "do not serve me\n");
  Write(root + "/common/labels.txt", "yes\nno\n");
  fs::create_symlink("/dev/zero", root + "/zero/labels.txt");
  fs::create_symlink(elsewhere.path() + "/secret.txt", root + "/host_file/labels.txt");
  fs::create_symlink("../common/labels.txt", root + "/shared/labels.txt");
  ModelRepository repository(root);

  auto zero = repository.ReadLabels("zero", v1::ModelConfig());
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(zero.status(), "leads outside the repository")) << zero.status();

  auto host = repository.ReadLabels("host_file", v1::ModelConfig());
  ASSERT_FALSE(host.ok());
  EXPECT_TRUE(Mentions(host.status(), "leads outside the repository")) << host.status();

  auto shared = repository.ReadLabels("shared", v1::ModelConfig());
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(*shared, (std::vector<std::string>{"yes", "no"}));

  // A file the config names must stay in the model directory itself.
  v1::ModelConfig config;
  config.set_labels_file("../common/labels.txt");
  EXPECT_EQ(repository.ReadLabels("named", config).status().code(),
            absl::StatusCode::kInvalidArgument);
  fs::create_symlink("../common/labels.txt", root + "/named/mine.txt");
  config.set_labels_file("mine.txt");
  auto named = repository.ReadLabels("named", config);
  ASSERT_FALSE(named.ok());
  EXPECT_TRUE(Mentions(named.status(), "leads outside the model directory")) << named.status();
  config.set_labels_file("missing.txt");
  EXPECT_EQ(repository.ReadLabels("named", config).status().code(), absl::StatusCode::kNotFound);
}

TEST(RepositoryFileTest, SizeCapsPerFileKind) {
  TempTree tree;
  const std::string root = tree.path();
  InstallHello(root, "m");
  RepositoryLimits limits;
  limits.max_labels_bytes = 16;
  limits.max_config_bytes = 32;
  limits.max_model_bytes = fs::file_size(root + "/m/1/model.tflite");
  ModelRepository repository(root, limits);

  Write(root + "/m/labels.txt", std::string(16, 'x'));  // at the cap
  EXPECT_TRUE(repository.ReadLabels("m", v1::ModelConfig()).ok());
  Write(root + "/m/labels.txt", std::string(17, 'x'));  // past it
  auto labels = repository.ReadLabels("m", v1::ModelConfig());
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Mentions(labels.status(), "17 bytes, more than the limit of 16")) << labels.status();

  Write(root + "/m/config.pbtxt", "description: \"" + std::string(32 - 16, 'd') + "\"\n");
  EXPECT_EQ(fs::file_size(root + "/m/config.pbtxt"), 32u);
  EXPECT_TRUE(repository.ReadConfig("m").ok());
  Write(root + "/m/config.pbtxt", "description: \"" + std::string(33 - 16, 'd') + "\"\n");
  EXPECT_EQ(repository.ReadConfig("m").status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_TRUE(repository.ReadModelFile("m", 1).ok());
  std::ofstream(root + "/m/1/model.tflite", std::ios::app | std::ios::binary) << 'x';
  EXPECT_EQ(repository.ReadModelFile("m", 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RepositoryFileTest, StampsChangeWhenAFileIsEditedInPlace) {
  TempTree tree;
  const std::string root = tree.path();
  InstallHello(root, "m");
  Write(root + "/m/labels.txt", "a\nb\n");
  ModelRepository repository(root);
  FileStamps stamps;
  ASSERT_TRUE(repository.ReadConfig("m", &stamps).ok());
  ASSERT_TRUE(repository.ReadLabels("m", v1::ModelConfig(), &stamps).ok());
  ASSERT_TRUE(repository.ReadModelFile("m", 1, &stamps).ok());
  ASSERT_EQ(stamps.size(), 3u);
  EXPECT_EQ(stamps[0], (std::pair<std::string, std::string>{"config.pbtxt", "-"}));
  EXPECT_FALSE(repository.Changed("m", stamps));
  EXPECT_EQ(repository.Stamp("m", ModelRepository::BaseFiles(1)), stamps);

  {
    // Same size, same inode: only the times say it changed.
    std::fstream f(root + "/m/labels.txt", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << 'z';
  }
  struct stat st {};
  ASSERT_EQ(::stat((root + "/m/labels.txt").c_str(), &st), 0);
  // Coarse file system clocks: make sure the times moved.
  if (repository.Stamp("m", {"labels.txt"})[0].second == stamps[1].second) {
    ::usleep(20000);
    std::ofstream(root + "/m/labels.txt", std::ios::binary | std::ios::trunc) << "z\nb\n";
  }
  EXPECT_TRUE(repository.Changed("m", stamps));
  FileStamps config_only = {stamps[0]};
  Write(root + "/m/config.pbtxt", "description: \"x\"\n");
  EXPECT_TRUE(repository.Changed("m", config_only));
}

// --- The registry -----------------------------------------------------------------

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DeviceCatalogOptions catalog;
    catalog.xcore_usb = false;
    DeviceManager::Options options;
    options.entries = {"ref"};
    std::vector<std::string> failures;
    auto devices = DeviceManager::Start(DeviceCatalog::Create(catalog), options, &failures);
    ASSERT_TRUE(devices.ok()) << devices.status();
    devices_ = std::move(*devices);
    repository_ = std::make_unique<ModelRepository>(tree_.path());
  }
  void TearDown() override {
    registry_.reset();
    if (devices_ != nullptr) devices_->Shutdown();
  }
  ModelRegistry& Registry(RegistryOptions options = {}) {
    registry_ = std::make_unique<ModelRegistry>(
        *repository_, *devices_, metrics_,
        [this](const std::string& model, bool serving) {
          availability_.push_back(model + (serving ? " up" : " down"));
        },
        options);
    return *registry_;
  }
  // tinyserve_model_loads_total{model=...,result=...}.
  int Loads(const std::string& model, const std::string& result) {
    const std::string text = metrics_.Serialize();
    const std::regex line("tinyserve_model_loads_total\\{([^}]*)\\} ([0-9.e+]+)");
    for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) {
      const std::string labels = (*it)[1];
      if (labels.find("model=\"" + model + "\"") != std::string::npos &&
          labels.find("result=\"" + result + "\"") != std::string::npos) {
        return static_cast<int>(std::stod((*it)[2]));
      }
    }
    return 0;
  }
  std::string root() const { return tree_.path(); }

  TempTree tree_;
  std::unique_ptr<DeviceManager> devices_;
  ServerMetrics metrics_;
  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<ModelRegistry> registry_;
  std::vector<std::string> availability_;
};

TEST_F(RegistryTest, AFailingModelIsRetriedWithBackoffUntilItsFilesChange) {
  InstallHello(root(), "good");
  fs::create_directories(root() + "/broken/1");
  Write(root() + "/broken/1/model.tflite", "not a flatbuffer");
  ModelRegistry& registry = Registry({.max_retry_backoff_polls = 8});
  EXPECT_EQ(registry.LoadAll().size(), 1u);
  EXPECT_EQ(Loads("broken", "failure"), 1);
  // Retries after 1, 2, 4, 8, 8, ... polls: at polls 1, 3, 7, 15, 23, 31, 39.
  for (int i = 0; i < 40; ++i) registry.Poll();
  EXPECT_EQ(Loads("broken", "failure"), 1 + 7);
  EXPECT_TRUE(registry.Resolve("good", 0).ok());

  // A changed file is retried at the next poll, whatever the backoff.
  fs::copy_file(BundledModelPath("hello_world_int8"), root() + "/broken/1/model.tflite",
                fs::copy_options::overwrite_existing);
  registry.Poll();
  EXPECT_EQ(Loads("broken", "success"), 1);
  EXPECT_TRUE(registry.Resolve("broken", 0).ok());
}

TEST_F(RegistryTest, EditingLabelsOrConfigInPlaceReloads) {
  InstallHello(root(), "m");
  Write(root() + "/m/labels.txt", "one\n");
  ModelRegistry& registry = Registry();
  ASSERT_TRUE(registry.LoadAll().empty());
  auto first = registry.Resolve("m", 0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->labels(), std::vector<std::string>{"one"});
  registry.Poll();
  EXPECT_EQ(*registry.Resolve("m", 0), *first);  // nothing changed: same snapshot

  ::usleep(20000);  // past a coarse file system clock tick
  Write(root() + "/m/labels.txt", "uno\n");
  registry.Poll();
  auto second = registry.Resolve("m", 0);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->labels(), std::vector<std::string>{"uno"});

  ::usleep(20000);
  Write(root() + "/m/config.pbtxt", "description: \"edited\"\n");
  registry.Poll();
  auto third = registry.Resolve("m", 0);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->config().description(), "edited");

  // A bad edit keeps the last good version serving.
  ::usleep(20000);
  Write(root() + "/m/labels.txt", "caf\xE9\n");
  registry.Poll();
  EXPECT_EQ(*registry.Resolve("m", 0), *third);
}

TEST_F(RegistryTest, ARemovedDirectoryUnloads) {
  InstallHello(root(), "gone");
  InstallHello(root(), "versions", 1);
  ModelRegistry& registry = Registry();
  ASSERT_TRUE(registry.LoadAll().empty());
  ASSERT_TRUE(registry.Load("versions", 1).ok());
  InstallHello(root(), "versions", 2);
  ASSERT_TRUE(registry.Load("versions", 2).ok());
  EXPECT_EQ(registry.LoadedVersions("versions"), (std::vector<int64_t>{1, 2}));
  auto held = registry.Resolve("gone", 0);  // a request in flight
  ASSERT_TRUE(held.ok());
  availability_.clear();

  fs::remove_all(root() + "/gone");
  fs::remove_all(root() + "/versions/1");
  registry.Poll();
  EXPECT_FALSE(registry.Resolve("gone", 0).ok());
  EXPECT_EQ(registry.LoadedVersions("versions"), std::vector<int64_t>{2});
  EXPECT_EQ(availability_, std::vector<std::string>{"gone down"});
  EXPECT_EQ((*held)->name(), "gone");  // the held snapshot still works

  // It comes back when its directory does.
  InstallHello(root(), "gone");
  registry.Poll();
  EXPECT_TRUE(registry.Resolve("gone", 0).ok());
  EXPECT_EQ(availability_, (std::vector<std::string>{"gone down", "gone up"}));
}

}  // namespace
}  // namespace tinyserve::server
