#include "tests/server/test_devices.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "devices/device_registry.h"
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

}  // namespace

std::vector<std::string> TestDeviceNames() { return {"slow", "perturb"}; }

absl::StatusOr<std::unique_ptr<Device>> CreateTestOrNormalDevice(const std::string& name) {
  if (name == "slow") return std::unique_ptr<Device>(new SlowDevice());
  if (name == "perturb") return std::unique_ptr<Device>(new PerturbDevice());
  return CreateDevice(name);
}

}  // namespace tinyserve::testing
