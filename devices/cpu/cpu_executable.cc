#include "devices/cpu/cpu_executable.h"

#include <chrono>

#include "engine/executor.h"

namespace tinyserve {
namespace {

class CpuSession : public Session {
 public:
  explicit CpuSession(std::shared_ptr<const CompiledModel> compiled)
      : executor_(std::move(compiled)) {}

  absl::Span<uint8_t> input(int i) override { return executor_.input(i); }
  absl::Span<const uint8_t> output(int i) const override { return executor_.output(i); }

  absl::StatusOr<InvokeStats> Invoke(const InvokeOptions& options) override {
    const auto start = std::chrono::steady_clock::now();
    executor_.Invoke(options.profile_ops);
    InvokeStats stats;
    stats.device_nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count();
    if (options.profile_ops) stats.op_nanoseconds = executor_.op_nanoseconds();
    return stats;
  }

 private:
  Executor executor_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Session>> CpuExecutable::NewSession() const {
  return std::unique_ptr<Session>(new CpuSession(compiled_));
}

}  // namespace tinyserve
