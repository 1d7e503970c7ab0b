// An Executable for devices that run the engine's CompiledModel on this CPU
// (ref, and host with its own kernels): sessions are Executors.
#ifndef TINYSERVE_DEVICES_CPU_CPU_EXECUTABLE_H_
#define TINYSERVE_DEVICES_CPU_CPU_EXECUTABLE_H_

#include <memory>

#include "devices/device.h"
#include "engine/compiled_model.h"

namespace tinyserve {

class CpuExecutable : public Executable {
 public:
  explicit CpuExecutable(std::shared_ptr<const CompiledModel> compiled)
      : compiled_(std::move(compiled)) {}

  const Model& model() const override { return compiled_->model(); }
  size_t arena_bytes() const override { return compiled_->arena().arena_bytes; }
  absl::StatusOr<std::unique_ptr<Session>> NewSession() const override;

 private:
  std::shared_ptr<const CompiledModel> compiled_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_CPU_CPU_EXECUTABLE_H_
