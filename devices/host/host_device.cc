#include "devices/host/host_device.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "devices/cpu/cpu_executable.h"
#include "devices/host/host_conv.h"
#include "devices/host/host_depthwise.h"
#include "devices/host/host_elementwise.h"
#include "devices/host/host_executable.h"
#include "devices/host/host_isa.h"
#include "devices/host/host_op_data.h"
#include "engine/compiled_model.h"
#include "engine/util/status_macros.h"

namespace tinyserve {
namespace {

// The host kernel for `op`, or {nullptr, nullptr} to use the reference kernel.
BoundKernel SelectHostKernel(const Model& model, const Operator& op, const host::IsaKernels* isa,
                             std::vector<std::unique_ptr<const OpData>>& owned) {
  switch (op.type) {
    case OpType::kConv2D:
      return host::CompileConv(model, op, isa, owned);
    case OpType::kFullyConnected:
      return host::CompileFullyConnected(model, op, isa, owned);
    case OpType::kDepthwiseConv2D:
      return host::CompileDepthwise(model, op, isa, owned);
    default:
      return SelectHostElementwiseKernel(model, op, isa, owned);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Device>> HostDevice::Create() {
  TS_ASSIGN_OR_RETURN(std::string isa, SelectedHostIsa());
  TS_ASSIGN_OR_RETURN(const host::IsaKernels* kernels, HostIsaKernels(isa));
  return std::unique_ptr<Device>(new HostDevice(std::move(isa), kernels));
}

DeviceInfo HostDevice::Describe() const {
  return {"host", "cpu-simd",
          absl::StrCat("SIMD int8 kernels for this CPU (", isa_,
                       "), bit-exact with TensorFlow Lite Micro"),
          {"bit-exact-tflm", "per-op-timing"}};
}

absl::StatusOr<std::shared_ptr<const Executable>> HostDevice::Compile(
    std::shared_ptr<const Model> model) const {
  std::vector<std::unique_ptr<const OpData>> owned;
  std::vector<BoundKernel> kernels;
  std::vector<std::string> kernel_names;
  kernels.reserve(model->operators().size());
  kernel_names.reserve(model->operators().size());
  for (const Operator& op : model->operators()) {
    BoundKernel k = SelectHostKernel(*model, op, kernels_, owned);
    if (k.eval == nullptr) {
      TS_ASSIGN_OR_RETURN(k, BindReferenceKernel(*model, op));
      kernel_names.push_back(kReferenceKernelName);
    } else {
      // Every host kernel's data is a HostOpData (a test binds each kind).
      const auto* data = OpDataAs<host::HostOpData>(*k.data);
      kernel_names.push_back(absl::StrCat("host:", data != nullptr ? data->inner_loops() : "?"));
    }
    kernels.push_back(k);
  }
  TS_ASSIGN_OR_RETURN(
      auto compiled,
      CompiledModel::Compile(
          std::move(model),
          [&kernels](const Model&, const Operator& op) -> absl::StatusOr<BoundKernel> {
            return kernels[op.index];
          },
          std::move(owned)));
  return std::shared_ptr<const Executable>(
      std::make_shared<HostExecutable>(std::move(compiled), std::move(kernel_names)));
}

}  // namespace tinyserve
