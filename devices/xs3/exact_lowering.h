// Shared by the conv-like lowerings in exact mode: the per-channel folded
// biases and TFLite multipliers of the exact output stage.
#ifndef TINYSERVE_DEVICES_XS3_EXACT_LOWERING_H_
#define TINYSERVE_DEVICES_XS3_EXACT_LOWERING_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "devices/xs3/exact_output_stage.h"
#include "engine/kernels/conv_quantization.h"

namespace tinyserve::xs3 {

inline constexpr char kExactLoweringReason[] =
    "exact: TFLite's requantization bit for bit (ring preloaded with the folded bias, "
    "32-bit limb products on the VPU)";

// `weights` are [channels][depth]; `bias` is null or one int32 per channel.
// bias_folded = bias - zp_in * sum(w). Fails (with the reason) when the
// multipliers have no exact VPU sequence, or when an accumulator could leave
// int32 for some input: |bias_folded| + 128 sum|w| bounds the VPU's partial
// sums and |bias| + 255 sum|w| TFLite's accumulator, and both must stay below
// 2^31 for the ring (which saturates) to hold TFLite's (int32) accumulator.
absl::StatusOr<std::vector<ExactChannel>> MakeExactChannels(absl::Span<const int8_t> weights,
                                                            int depth, const int32_t* bias,
                                                            const ConvQuantization& quant);

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_EXACT_LOWERING_H_
