// Which output stage the xs3 device lowers conv-like ops with.
//
//   xmos  (default) what XMOS's tooling generates today: a 16-bit output
//         transform derived from float scales (output_transform.h); within
//         about 1 LSB of TFLite per op.
//   exact TFLite's own requantization, bit for bit, as a longer VPU
//         instruction sequence in 32-bit mode (exact_output_stage.h). Ops
//         that have no bit-exact VPU sequence (AVERAGE_POOL_2D, ADD/SUB,
//         left-shift multipliers) run on the exact reference kernel.
//
// Selected per device instance by the TINYSERVE_XS3_LOWERING environment
// variable, read when the device is created.
#ifndef TINYSERVE_DEVICES_XS3_LOWERING_MODE_H_
#define TINYSERVE_DEVICES_XS3_LOWERING_MODE_H_

namespace tinyserve::xs3 {

enum class LoweringMode { kXmos, kExact };

inline constexpr char kLoweringEnv[] = "TINYSERVE_XS3_LOWERING";

inline const char* LoweringModeName(LoweringMode mode) {
  return mode == LoweringMode::kExact ? "exact" : "xmos";
}

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_LOWERING_MODE_H_
