#include "devices/xs3/exact_lowering.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"

namespace tinyserve::xs3 {

absl::StatusOr<std::vector<ExactChannel>> MakeExactChannels(absl::Span<const int8_t> weights,
                                                            int depth, const int32_t* bias,
                                                            const ConvQuantization& quant) {
  const int channels = static_cast<int>(quant.multipliers.size());
  constexpr int64_t kLimit = (int64_t{1} << 31) - 1;
  std::vector<ExactChannel> out(channels);
  for (int c = 0; c < channels; ++c) {
    int64_t sum = 0, abs_sum = 0;
    for (int k = 0; k < depth; ++k) {
      const int w = weights[static_cast<size_t>(c) * depth + k];
      sum += w;
      abs_sum += std::abs(w);
    }
    const int64_t b = bias != nullptr ? bias[c] : 0;
    const int64_t folded = b - int64_t{quant.input_zero_point} * sum;
    if (std::abs(folded) + 128 * abs_sum > kLimit || std::abs(b) + 255 * abs_sum > kLimit) {
      return absl::FailedPreconditionError(absl::StrCat(
          "exact lowering: channel ", c, "'s accumulator can leave int32 (the VPU saturates "
          "where TFLite wraps); the reference kernel is exact"));
    }
    out[c].bias_folded = static_cast<int32_t>(folded);
    out[c].multiplier = quant.multipliers[c];
  }
  if (std::string why = ExactStageUnsupportedReason(out); !why.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("exact lowering: ", why, "; the reference kernel is exact"));
  }
  return out;
}

}  // namespace tinyserve::xs3
