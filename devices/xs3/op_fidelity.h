// Op-by-op fidelity of an xs3 executable against the engine's reference
// kernels. The xs3 session runs the model one op at a time; before each op,
// that op's reference kernel runs on the xs3 session's own input tensors, so
// both see the same input and the figures measure the op alone (differences
// do not accumulate through the layers).
#ifndef TINYSERVE_DEVICES_XS3_OP_FIDELITY_H_
#define TINYSERVE_DEVICES_XS3_OP_FIDELITY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "devices/xs3/compile_report.h"
#include "devices/xs3/output_agreement.h"
#include "devices/xs3/xs3_executable.h"
#include "devices/xs3/xs3_session.h"

namespace tinyserve::xs3 {

struct OpFidelity {
  int index = 0;
  std::string op_name;  // "CONV_2D"
  Placement placement = Placement::kReference;
  std::string kernel;
  Agreement agreement;  // over every output of the op
};

class OpFidelityMeter {
 public:
  explicit OpFidelityMeter(std::shared_ptr<const Xs3Executable> executable);

  // One inference: `inputs[i]` are model input i's bytes (exact sizes).
  absl::Status Run(absl::Span<const absl::Span<const uint8_t>> inputs);
  // Model output i of the last Run, as the xs3 device computed it.
  absl::Span<const uint8_t> output(int i) const { return session_->output(i); }
  const std::vector<OpFidelity>& ops() const { return ops_; }

 private:
  std::shared_ptr<const Xs3Executable> executable_;
  std::unique_ptr<Xs3Session> session_;
  std::vector<OpFidelity> ops_;
  // Per op: the reference kernel's output buffers, and its argument tables.
  std::vector<std::vector<std::vector<uint8_t>>> reference_outputs_;
  std::vector<const void*> input_pointers_;
  std::vector<void*> output_pointers_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_OP_FIDELITY_H_
