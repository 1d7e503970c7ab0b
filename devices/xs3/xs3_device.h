// The "xs3" device: int8 ops lowered onto an emulated XMOS XS3 vector unit as
// XMOS's tooling lowers them for xcore.ai, with a cycle model of one tile.
#ifndef TINYSERVE_DEVICES_XS3_XS3_DEVICE_H_
#define TINYSERVE_DEVICES_XS3_XS3_DEVICE_H_

#include <memory>

#include "devices/device.h"
#include "devices/xs3/lowering_mode.h"
#include "devices/xs3/vpu.h"

namespace tinyserve::xs3 {

// Environment variable choosing VLASHR's right-shift rounding:
// "floor" (the hardware, default) or "libnn2024" (lib_nn's 2024 C model).
inline constexpr char kVlashrEnv[] = "TINYSERVE_XS3_VLASHR";

// nullptr or "" gives the default.
absl::StatusOr<VlashrRounding> ParseVlashrRounding(const char* value);

// kLoweringEnv (lowering_mode.h): "xmos" (default: as XMOS's tooling ships
// today) or "exact" (TFLite's rounding bit for bit); nullptr or "" gives the default.
absl::StatusOr<LoweringMode> ParseLoweringMode(const char* value);

class Xs3Device : public Device {
 public:
  // Reads kVlashrEnv and kLoweringEnv; an unknown value is an InvalidArgument error.
  static absl::StatusOr<std::unique_ptr<Device>> Create();
  explicit Xs3Device(VlashrRounding vlashr_rounding,
                     LoweringMode lowering = LoweringMode::kXmos)
      : vlashr_rounding_(vlashr_rounding), lowering_(lowering) {}

  DeviceInfo Describe() const override;
  absl::StatusOr<std::shared_ptr<const Executable>> Compile(
      std::shared_ptr<const Model> model) const override;

 private:
  VlashrRounding vlashr_rounding_;
  LoweringMode lowering_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XS3_DEVICE_H_
