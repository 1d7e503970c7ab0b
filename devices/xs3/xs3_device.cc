#include "devices/xs3/xs3_device.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "devices/xs3/cycle_model.h"
#include "devices/xs3/xs3_executable.h"
#include "engine/util/status_macros.h"

namespace tinyserve::xs3 {

absl::StatusOr<VlashrRounding> ParseVlashrRounding(const char* value) {
  const std::string v = value == nullptr ? "" : value;
  if (v.empty() || v == "floor") return VlashrRounding::kFloor;
  if (v == "libnn2024") return VlashrRounding::kLibNn2024;
  return absl::InvalidArgumentError(absl::StrCat(kVlashrEnv, "='", v,
                                                 "' is not a VLASHR rounding: use 'floor' "
                                                 "(hardware, default) or 'libnn2024'"));
}

absl::StatusOr<LoweringMode> ParseLoweringMode(const char* value) {
  const std::string v = value == nullptr ? "" : value;
  if (v.empty() || v == "xmos") return LoweringMode::kXmos;
  if (v == "exact") return LoweringMode::kExact;
  return absl::InvalidArgumentError(absl::StrCat(
      kLoweringEnv, "='", v,
      "' is not an xs3 lowering: use 'xmos' (16-bit output transform as XMOS's tooling "
      "generates it, default) or 'exact' (TFLite's requantization bit for bit, more cycles)"));
}

absl::StatusOr<std::unique_ptr<Device>> Xs3Device::Create() {
  TS_ASSIGN_OR_RETURN(VlashrRounding rounding, ParseVlashrRounding(std::getenv(kVlashrEnv)));
  TS_ASSIGN_OR_RETURN(LoweringMode lowering, ParseLoweringMode(std::getenv(kLoweringEnv)));
  return std::unique_ptr<Device>(new Xs3Device(rounding, lowering));
}

DeviceInfo Xs3Device::Describe() const {
  return {"xs3", "xs3-emulator",
          absl::StrCat("int8 ops lowered onto an emulated XMOS XS3 vector unit (xcore.ai), "
                       "with a cycle model at ", kTileClockMhz, " MHz; VLASHR rounding ",
                       vlashr_rounding_ == VlashrRounding::kFloor ? "floor" : "libnn2024",
                       "; lowering ", LoweringModeName(lowering_),
                       lowering_ == LoweringMode::kExact
                           ? " (bit-exact TFLite requantization on the VPU)"
                           : " (16-bit output transform as XMOS ships it)"),
          {"cycle-count", "per-op-timing"}};
}

absl::StatusOr<std::shared_ptr<const Executable>> Xs3Device::Compile(
    std::shared_ptr<const Model> model) const {
  TS_ASSIGN_OR_RETURN(auto exe, Xs3Executable::Build(std::move(model), vlashr_rounding_, lowering_));
  return std::shared_ptr<const Executable>(std::move(exe));
}

}  // namespace tinyserve::xs3
