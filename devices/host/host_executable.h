// The `host` device's Executable: the engine's CompiledModel on this CPU (as
// for `ref`), plus which kernel each operator was bound to.
#ifndef TINYSERVE_DEVICES_HOST_HOST_EXECUTABLE_H_
#define TINYSERVE_DEVICES_HOST_HOST_EXECUTABLE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "devices/cpu/cpu_executable.h"

namespace tinyserve {

// Operator i's kernel as op_kernels()[i] names it: "host:<inner loops>" for a
// host kernel (e.g. "host:avx2"), kReferenceKernelName when the op (or this
// case of it) runs the engine's reference kernel.
inline constexpr char kReferenceKernelName[] = "reference";

class HostExecutable : public CpuExecutable {
 public:
  HostExecutable(std::shared_ptr<const CompiledModel> compiled, std::vector<std::string> op_kernels)
      : CpuExecutable(std::move(compiled)), op_kernels_(std::move(op_kernels)) {}

  // One entry per operator, in model order.
  const std::vector<std::string>& op_kernels() const { return op_kernels_; }

 private:
  std::vector<std::string> op_kernels_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_HOST_HOST_EXECUTABLE_H_
