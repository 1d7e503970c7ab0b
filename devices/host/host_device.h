// `host`: SIMD int8 kernels for this machine's CPU (portable C++, AVX2,
// AVX-512BW, AVX-512 VNNI, chosen at device creation), bit-exact with `ref`.
// CONV_2D, FULLY_CONNECTED, DEPTHWISE_CONV_2D (depth multiplier 1), ADD and the
// pools run host kernels prepared at compile time; every other op runs its
// reference kernel.
#ifndef TINYSERVE_DEVICES_HOST_HOST_DEVICE_H_
#define TINYSERVE_DEVICES_HOST_HOST_DEVICE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "devices/device.h"
#include "devices/host/host_kernels.h"

namespace tinyserve {

class HostDevice : public Device {
 public:
  // Uses SelectedHostIsa(): fails if TINYSERVE_HOST_ISA names a target this
  // CPU or build cannot run.
  static absl::StatusOr<std::unique_ptr<Device>> Create();

  DeviceInfo Describe() const override;
  absl::StatusOr<std::shared_ptr<const Executable>> Compile(
      std::shared_ptr<const Model> model) const override;

  const std::string& isa() const { return isa_; }

 private:
  HostDevice(std::string isa, const host::IsaKernels* kernels)
      : isa_(std::move(isa)), kernels_(kernels) {}

  std::string isa_;
  const host::IsaKernels* kernels_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_HOST_HOST_DEVICE_H_
