// `ref`: the engine's portable reference kernels, bit-exact with TensorFlow
// Lite Micro's reference kernels. The oracle every other device is held to.
#ifndef TINYSERVE_DEVICES_REF_REF_DEVICE_H_
#define TINYSERVE_DEVICES_REF_REF_DEVICE_H_

#include "devices/device.h"

namespace tinyserve {

class RefDevice : public Device {
 public:
  DeviceInfo Describe() const override;
  absl::StatusOr<std::shared_ptr<const Executable>> Compile(
      std::shared_ptr<const Model> model) const override;
};

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_REF_REF_DEVICE_H_
