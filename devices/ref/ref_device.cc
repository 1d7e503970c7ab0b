#include "devices/ref/ref_device.h"

#include "devices/cpu/cpu_executable.h"
#include "engine/compiled_model.h"
#include "engine/util/status_macros.h"

namespace tinyserve {

DeviceInfo RefDevice::Describe() const {
  return {"ref", "cpu-reference",
          "portable reference kernels, bit-exact with TensorFlow Lite Micro",
          {"bit-exact-tflm", "per-op-timing"}};
}

absl::StatusOr<std::shared_ptr<const Executable>> RefDevice::Compile(
    std::shared_ptr<const Model> model) const {
  // Every op the engine loads has a reference kernel, so this cannot refuse one.
  TS_ASSIGN_OR_RETURN(auto compiled, CompiledModel::CompileReference(std::move(model)));
  return std::shared_ptr<const Executable>(std::make_shared<CpuExecutable>(std::move(compiled)));
}

}  // namespace tinyserve
