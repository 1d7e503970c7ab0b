#include "tests/server/test_devices.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "devices/ref/ref_device.h"

namespace tinyserve::testing {
namespace {

std::atomic<int> invoke_count{0};

int SlowDeviceMillis() {
  const char* env = std::getenv("TINYSERVE_SLOW_DEVICE_MS");
  if (env == nullptr || *env == '\0') return 200;
  char* end = nullptr;
  const long ms = std::strtol(env, &end, 10);
  return (end != nullptr && *end == '\0' && ms >= 0 && ms <= 60000) ? static_cast<int>(ms) : 200;
}

class SlowSession : public Session {
 public:
  SlowSession(std::unique_ptr<Session> inner, int millis)
      : inner_(std::move(inner)), millis_(millis) {}
  absl::Span<uint8_t> input(int i) override { return inner_->input(i); }
  absl::Span<const uint8_t> output(int i) const override { return inner_->output(i); }
  absl::StatusOr<InvokeStats> Invoke(const InvokeOptions& options) override {
    const auto start = std::chrono::steady_clock::now();
    // Tests wait for this line to know a request is running (not queued).
    std::fprintf(stderr, "slow device: invoke #%d started\n", ++invoke_count);
    std::this_thread::sleep_for(std::chrono::milliseconds(millis_));
    auto stats = inner_->Invoke(options);
    if (stats.ok()) {
      stats->device_nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::steady_clock::now() - start)
                                      .count();
    }
    return stats;
  }

 private:
  std::unique_ptr<Session> inner_;
  const int millis_;
};

// The slow and perturb devices differ only in their session wrapper: one
// executable whose sessions are the inner executable's wrapped in
// WrappedSession(session, param), and one reference device compiling to it.
template <typename WrappedSession, typename Param>
class WrappingExecutable : public Executable {
 public:
  WrappingExecutable(std::shared_ptr<const Executable> inner, Param param)
      : inner_(std::move(inner)), param_(param) {}
  const Model& model() const override { return inner_->model(); }
  size_t arena_bytes() const override { return inner_->arena_bytes(); }
  absl::StatusOr<std::unique_ptr<Session>> NewSession() const override {
    auto session = inner_->NewSession();
    if (!session.ok()) return session.status();
    return std::unique_ptr<Session>(new WrappedSession(std::move(*session), param_));
  }

 private:
  std::shared_ptr<const Executable> inner_;
  const Param param_;
};

template <typename WrappedSession, typename Param>
class WrappedRefDevice : public Device {
 public:
  explicit WrappedRefDevice(Param param) : param_(param) {}
  absl::StatusOr<std::shared_ptr<const Executable>> Compile(
      std::shared_ptr<const Model> model) const override {
    auto inner = ref_.Compile(std::move(model));
    if (!inner.ok()) return inner.status();
    return std::shared_ptr<const Executable>(
        std::make_shared<WrappingExecutable<WrappedSession, Param>>(std::move(*inner), param_));
  }

 protected:
  RefDevice ref_;
  const Param param_;
};

class SlowDevice : public WrappedRefDevice<SlowSession, int> {
 public:
  SlowDevice() : WrappedRefDevice(SlowDeviceMillis()) {}
  DeviceInfo Describe() const override {
    DeviceInfo info = ref_.Describe();
    info.name = "slow";
    info.kind = "test-slow";
    info.description = "test only: the reference kernels after a " + std::to_string(param_) +
                       " ms sleep per invoke";
    return info;
  }
};

size_t PerturbIndex() {
  const char* env = std::getenv("TINYSERVE_PERTURB_INDEX");
  if (env == nullptr || *env == '\0') return 0;
  char* end = nullptr;
  const unsigned long long index = std::strtoull(env, &end, 10);
  return (end != nullptr && *end == '\0') ? static_cast<size_t>(index) : 0;
}

// Output 0 is served from a copy, so the ref session's own buffer stays intact.
class PerturbSession : public Session {
 public:
  PerturbSession(std::unique_ptr<Session> inner, size_t index)
      : inner_(std::move(inner)), index_(index) {}
  absl::Span<uint8_t> input(int i) override { return inner_->input(i); }
  absl::Span<const uint8_t> output(int i) const override {
    return i == 0 ? absl::Span<const uint8_t>(output0_) : inner_->output(i);
  }
  absl::StatusOr<InvokeStats> Invoke(const InvokeOptions& options) override {
    auto stats = inner_->Invoke(options);
    if (!stats.ok()) return stats;
    const auto out = inner_->output(0);
    if (index_ >= out.size()) {
      return absl::InvalidArgumentError("TINYSERVE_PERTURB_INDEX " + std::to_string(index_) +
                                        " is past output 0 (" + std::to_string(out.size()) +
                                        " bytes)");
    }
    output0_.assign(out.begin(), out.end());
    output0_[index_] = static_cast<uint8_t>(output0_[index_] + 1);
    return stats;
  }

 private:
  std::unique_ptr<Session> inner_;
  const size_t index_;
  std::vector<uint8_t> output0_;
};

class PerturbDevice : public WrappedRefDevice<PerturbSession, size_t> {
 public:
  PerturbDevice() : WrappedRefDevice(PerturbIndex()) {}
  DeviceInfo Describe() const override {
    DeviceInfo info = ref_.Describe();
    info.name = "perturb";
    info.kind = "test-perturb";
    info.description = "test only: the reference kernels with output 0's byte " +
                       std::to_string(param_) + " incremented by one";
    info.capabilities.clear();  // not bit-exact with anything
    return info;
  }
};

// --- hang -----------------------------------------------------------------------

// Waits until `deadline` or `cancelled`, or `stop` (may be empty) says why to
// stop early. OK only when `until` passes first.
absl::Status WaitInterruptibly(const InvokeOptions& options,
                               std::chrono::system_clock::time_point until,
                               const std::function<absl::Status()>& stop) {
  for (;;) {
    const auto now = std::chrono::system_clock::now();
    if (now >= options.deadline) {
      return absl::DeadlineExceededError("gave up at the call's deadline");
    }
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError("the call was cancelled while the device worked");
    }
    if (stop) {
      if (absl::Status s = stop(); !s.ok()) return s;
    }
    if (now >= until) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::atomic<int> hang_count{0};

class HangSession : public Session {
 public:
  HangSession(std::unique_ptr<Session> inner, int) : inner_(std::move(inner)) {}
  absl::Span<uint8_t> input(int i) override { return inner_->input(i); }
  absl::Span<const uint8_t> output(int i) const override { return inner_->output(i); }
  absl::StatusOr<InvokeStats> Invoke(const InvokeOptions& options) override {
    std::fprintf(stderr, "hang device: invoke #%d started\n", ++hang_count);
    return WaitInterruptibly(options, std::chrono::system_clock::time_point::max(), nullptr);
  }

 private:
  std::unique_ptr<Session> inner_;
};

class HangDevice : public WrappedRefDevice<HangSession, int> {
 public:
  HangDevice() : WrappedRefDevice(0) {}
  DeviceInfo Describe() const override {
    DeviceInfo info = ref_.Describe();
    info.name = "hang";
    info.kind = "test-hang";
    info.description = "test only: never finishes an invoke before the call's deadline";
    info.capabilities.clear();
    return info;
  }
};

// --- fakeboard -------------------------------------------------------------------

constexpr char kFakeBoardFamily[] = "fakeboard";
constexpr char kFakeBoardPrefix[] = "fakeboard@";

// One fake board's health, shared by its device and the catalog's watcher.
struct FakeBoard {
  explicit FakeBoard(std::string id) : name(kFakeBoardPrefix + id) {}
  const std::string name;
  std::mutex mu;
  DeviceHealth health{DeviceState::kDown, "not plugged in"};  // guarded by mu
  Device::HealthListener listener;                            // guarded by mu
  std::atomic<int> invokes{0};

  DeviceHealth Health() {
    std::lock_guard<std::mutex> lock(mu);
    return health;
  }
  void Set(DeviceHealth next) {
    Device::HealthListener listener_copy;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (health.state == next.state && health.reason == next.reason) return;
      health = next;
      listener_copy = listener;
    }
    if (listener_copy) listener_copy(next);
  }
};

int FakeBoardInvokeMillis() {
  const char* env = std::getenv("TINYSERVE_FAKEBOARD_INVOKE_MS");
  if (env == nullptr || *env == '\0') return 0;
  char* end = nullptr;
  const long ms = std::strtol(env, &end, 10);
  return (end != nullptr && *end == '\0' && ms >= 0 && ms <= 60000) ? static_cast<int>(ms) : 0;
}

class FakeBoardSession : public Session {
 public:
  FakeBoardSession(std::unique_ptr<Session> inner, std::shared_ptr<FakeBoard> board)
      : inner_(std::move(inner)), board_(std::move(board)) {}
  absl::Span<uint8_t> input(int i) override { return inner_->input(i); }
  absl::Span<const uint8_t> output(int i) const override { return inner_->output(i); }
  absl::StatusOr<InvokeStats> Invoke(const InvokeOptions& options) override {
    std::fprintf(stderr, "%s: invoke #%d started\n", board_->name.c_str(), ++board_->invokes);
    auto not_up = [this]() -> absl::Status {
      const DeviceHealth health = board_->Health();
      if (health.state == DeviceState::kUp) return absl::OkStatus();
      return absl::UnavailableError("the board went " +
                                    std::string(DeviceStateName(health.state)) + " (" +
                                    health.reason + ")");
    };
    const auto until =
        std::chrono::system_clock::now() + std::chrono::milliseconds(FakeBoardInvokeMillis());
    if (absl::Status s = WaitInterruptibly(options, until, not_up); !s.ok()) return s;
    auto stats = inner_->Invoke(options);
    if (!stats.ok()) return stats;
    LinkStats link;
    link.bytes_out = 9 + static_cast<int64_t>(inner_->input(0).size());
    link.bytes_in = static_cast<int64_t>(inner_->output(0).size());
    link.transfers = 5;
    link.host_to_board_ns = 1000;
    link.on_board_ns = 2000;
    link.board_to_host_ns = 3000;
    stats->link = link;
    return stats;
  }

 private:
  std::unique_ptr<Session> inner_;
  std::shared_ptr<FakeBoard> board_;
};

class FakeBoardDevice : public WrappedRefDevice<FakeBoardSession, std::shared_ptr<FakeBoard>> {
 public:
  explicit FakeBoardDevice(std::shared_ptr<FakeBoard> board) : WrappedRefDevice(std::move(board)) {}
  DeviceInfo Describe() const override {
    DeviceInfo info = ref_.Describe();
    info.name = param_->name;
    info.kind = "test-fakeboard";
    info.description = "test only: a board that files plug in and out";
    return info;
  }
  DeviceHealth Health() const override { return param_->Health(); }
  void SetHealthListener(HealthListener listener) override {
    std::lock_guard<std::mutex> lock(param_->mu);
    param_->listener = std::move(listener);
  }
};

// Parses a state file: "UP", "DOWN why", "RECOVERING why"; anything else is
// reported as DOWN naming the bad text.
DeviceHealth ParseState(const std::string& text) {
  std::istringstream in(text);
  std::string word;
  in >> word;
  std::string reason;
  std::getline(in >> std::ws, reason);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.pop_back();
  if (word.empty() || word == "UP") return {DeviceState::kUp, ""};
  if (word == "DOWN") return {DeviceState::kDown, reason};
  if (word == "RECOVERING") return {DeviceState::kRecovering, reason};
  return {DeviceState::kDown, "bad state file: " + text};
}

// --- the catalog -----------------------------------------------------------------

bool IsFixedTestDevice(const std::string& name) {
  return name == "slow" || name == "perturb" || name == "hang";
}

class TestCatalog : public DeviceCatalog {
 public:
  explicit TestCatalog(std::unique_ptr<DeviceCatalog> inner) : inner_(std::move(inner)) {
    const char* dir = std::getenv("TINYSERVE_FAKEBOARD_DIR");
    if (dir == nullptr || *dir == '\0') return;
    dir_ = dir;
    Scan();
    watcher_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(stop_mu_);
      while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stop_; })) {
        lock.unlock();
        Scan();
        lock.lock();
      }
    });
  }
  ~TestCatalog() override {
    {
      std::lock_guard<std::mutex> lock(stop_mu_);
      stop_ = true;
    }
    stop_cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
  }

  std::vector<std::string> Families() const override {
    std::vector<std::string> families = inner_->Families();
    families.push_back(kFakeBoardFamily);
    return families;
  }

  absl::StatusOr<std::vector<std::string>> Expand(const std::string& entry) const override {
    if (IsFixedTestDevice(entry)) return std::vector<std::string>{entry};
    if (entry == kFakeBoardFamily) {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<std::string> present;
      for (const auto& [name, board] : boards_) {
        if (board.present) {
          present.push_back(name);
          seen_.insert(name);
        }
      }
      return present;
    }
    if (entry.rfind(kFakeBoardPrefix, 0) == 0 && entry.size() > sizeof(kFakeBoardPrefix) - 1) {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.insert(entry);
      return std::vector<std::string>{entry};
    }
    return inner_->Expand(entry);
  }

  absl::StatusOr<std::unique_ptr<Device>> Create(const std::string& name) override {
    if (name == "slow") return std::unique_ptr<Device>(new SlowDevice());
    if (name == "perturb") return std::unique_ptr<Device>(new PerturbDevice());
    if (name == "hang") return std::unique_ptr<Device>(new HangDevice());
    if (name.rfind(kFakeBoardPrefix, 0) == 0 && name.size() > sizeof(kFakeBoardPrefix) - 1) {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.insert(name);
      return std::unique_ptr<Device>(new FakeBoardDevice(BoardLocked(name).state));
    }
    return inner_->Create(name);
  }

  void WatchArrivals(std::function<void(const std::string& name)> on_arrival) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      on_arrival_ = on_arrival;
    }
    inner_->WatchArrivals(std::move(on_arrival));
  }

  std::string xcore_note() const override { return inner_->xcore_note(); }

 private:
  struct Entry {
    std::shared_ptr<FakeBoard> state;
    bool present = false;
  };

  Entry& BoardLocked(const std::string& name) {
    Entry& entry = boards_[name];
    if (entry.state == nullptr) {
      entry.state = std::make_shared<FakeBoard>(name.substr(sizeof(kFakeBoardPrefix) - 1));
    }
    return entry;
  }

  // One look at the directory: states, unplugs, arrivals.
  void Scan() {
    std::map<std::string, DeviceHealth> files;
    std::error_code ec;
    for (const auto& file : std::filesystem::directory_iterator(dir_, ec)) {
      const std::filesystem::path& path = file.path();
      if (path.extension() != ".state") continue;
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      files[kFakeBoardPrefix + path.stem().string()] = ParseState(text.str());
    }
    std::vector<std::pair<std::shared_ptr<FakeBoard>, DeviceHealth>> changes;
    std::vector<std::string> arrivals;
    std::function<void(const std::string&)> on_arrival;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [name, health] : files) {
        Entry& entry = BoardLocked(name);
        entry.present = true;
        changes.emplace_back(entry.state, health);
        if (on_arrival_ && seen_.insert(name).second) arrivals.push_back(name);
      }
      for (auto& [name, entry] : boards_) {
        if (files.count(name) == 0 && entry.present) {
          entry.present = false;
          changes.emplace_back(entry.state, DeviceHealth{DeviceState::kDown, "unplugged"});
        }
      }
      on_arrival = on_arrival_;
    }
    for (auto& [board, health] : changes) board->Set(health);
    for (const std::string& name : arrivals) on_arrival(name);
  }

  std::unique_ptr<DeviceCatalog> inner_;
  std::string dir_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> boards_;  // guarded by mu_
  // Boards named to the server (expanded, created or announced); guarded by mu_.
  mutable std::set<std::string> seen_;
  std::function<void(const std::string&)> on_arrival_;  // guarded by mu_
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread watcher_;
};

}  // namespace

std::unique_ptr<DeviceCatalog> CreateTestCatalog(const DeviceCatalogOptions& options) {
  return std::make_unique<TestCatalog>(DeviceCatalog::Create(options));
}

}  // namespace tinyserve::testing
