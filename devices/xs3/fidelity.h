// How far the xs3 device's results are from another device's (normally
// `ref`, which is bit-exact with TensorFlow Lite Micro), on a set of inputs:
// end to end (identical elements, max |Δ| in LSBs, top-1 agreement, 16-bit
// saturation events) and op by op (OpFidelityMeter: each op fed the same
// input on both sides).
#ifndef TINYSERVE_DEVICES_XS3_FIDELITY_H_
#define TINYSERVE_DEVICES_XS3_FIDELITY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"
#include "devices/xs3/op_fidelity.h"
#include "devices/xs3/output_agreement.h"
#include "devices/xs3/xs3_executable.h"

namespace tinyserve::xs3 {

struct FidelityReport {
  std::string model_name;
  std::string against;  // the other device's name
  int64_t inferences = 0;
  Agreement end_to_end;  // every model output
  // When model output 0 is a classifier's scores (HasTopClass).
  std::optional<Top1Agreement> top1;
  // 16-bit saturations in the xs3 device, summed over the inferences, and
  // the most in any one.
  int64_t saturation_events = 0;
  int64_t max_saturation_events_per_inference = 0;
  std::vector<OpFidelity> ops;

  // The largest per-op max |Δ| (0 with no ops).
  double worst_op_max_abs_diff() const;
};

class FidelityMeter {
 public:
  // `against` must be compiled from the same model as `xs3`.
  static absl::StatusOr<std::unique_ptr<FidelityMeter>> Create(
      std::shared_ptr<const Xs3Executable> xs3, std::shared_ptr<const Executable> against,
      std::string against_name);

  // Runs one inference on both devices and op by op; `inputs[i]` are model
  // input i's bytes.
  absl::Status Add(absl::Span<const absl::Span<const uint8_t>> inputs);
  FidelityReport report() const;

 private:
  FidelityMeter() = default;

  std::shared_ptr<const Xs3Executable> xs3_;
  std::shared_ptr<const Executable> against_;
  std::unique_ptr<Session> xs3_session_, against_session_;
  std::unique_ptr<OpFidelityMeter> op_meter_;
  FidelityReport report_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_FIDELITY_H_
