// A model compiled for the xs3 device: every op lowered to an XS3 kernel or
// left on the reference kernel, the arena planned by the engine, and the
// compile report (placements, output transforms, static cycle estimates).
#ifndef TINYSERVE_DEVICES_XS3_XS3_EXECUTABLE_H_
#define TINYSERVE_DEVICES_XS3_XS3_EXECUTABLE_H_

#include <memory>
#include <vector>

#include "devices/device.h"
#include "devices/xs3/compile_report.h"
#include "devices/xs3/lowered_op.h"
#include "devices/xs3/lowering_mode.h"
#include "engine/compiled_model.h"

namespace tinyserve::xs3 {

class Xs3Session;

class Xs3Executable : public Executable {
 public:
  static absl::StatusOr<std::shared_ptr<const Xs3Executable>> Build(
      std::shared_ptr<const Model> model, VlashrRounding vlashr_rounding,
      LoweringMode lowering = LoweringMode::kXmos);

  const Model& model() const override { return compiled_->model(); }
  size_t arena_bytes() const override { return compiled_->arena().arena_bytes; }
  absl::StatusOr<std::unique_ptr<Session>> NewSession() const override;

  const CompileReport& report() const { return report_; }
  // A session with the xs3-specific stepping and inspection API.
  std::unique_ptr<Xs3Session> NewXs3Session() const;
  VlashrRounding vlashr_rounding() const { return vlashr_rounding_; }

 private:
  Xs3Executable() = default;
  // Runs the model once on zero inputs to fill the report's cycle figures
  // (every kernel's cost is independent of the data).
  absl::Status EstimateCycles();

  std::shared_ptr<const CompiledModel> compiled_;
  std::vector<const LoweredOp*> ops_;  // owned by compiled_
  size_t scratch_bytes_ = 0;
  VlashrRounding vlashr_rounding_ = VlashrRounding::kFloor;
  CompileReport report_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XS3_EXECUTABLE_H_
