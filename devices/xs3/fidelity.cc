#include "devices/xs3/fidelity.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/util/status_macros.h"

namespace tinyserve::xs3 {

double FidelityReport::worst_op_max_abs_diff() const {
  double worst = 0.0;
  for (const OpFidelity& op : ops) worst = std::max(worst, op.agreement.max_abs_diff);
  return worst;
}

absl::StatusOr<std::unique_ptr<FidelityMeter>> FidelityMeter::Create(
    std::shared_ptr<const Xs3Executable> xs3, std::shared_ptr<const Executable> against,
    std::string against_name) {
  const Model& model = xs3->model();
  if (against->model().num_inputs() != model.num_inputs() ||
      against->model().num_outputs() != model.num_outputs()) {
    return absl::InvalidArgumentError("the two executables run different models");
  }
  std::unique_ptr<FidelityMeter> meter(new FidelityMeter());
  TS_ASSIGN_OR_RETURN(meter->xs3_session_, xs3->NewSession());
  TS_ASSIGN_OR_RETURN(meter->against_session_, against->NewSession());
  meter->op_meter_ = std::make_unique<OpFidelityMeter>(xs3);
  meter->report_.model_name = model.name();
  meter->report_.against = std::move(against_name);
  if (HasTopClass(model.output(0))) meter->report_.top1 = Top1Agreement{};
  meter->xs3_ = std::move(xs3);
  meter->against_ = std::move(against);
  return meter;
}

absl::Status FidelityMeter::Add(absl::Span<const absl::Span<const uint8_t>> inputs) {
  const Model& model = xs3_->model();
  TS_RETURN_IF_ERROR(op_meter_->Run(inputs));  // also checks the input sizes
  for (Session* session : {xs3_session_.get(), against_session_.get()}) {
    for (int i = 0; i < model.num_inputs(); ++i) {
      std::copy(inputs[i].begin(), inputs[i].end(), session->input(i).begin());
    }
  }
  TS_ASSIGN_OR_RETURN(InvokeStats xs3_stats, xs3_session_->Invoke(InvokeOptions{}));
  TS_ASSIGN_OR_RETURN(InvokeStats against_stats, against_session_->Invoke(InvokeOptions{}));
  (void)against_stats;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const auto got = xs3_session_->output(i);
    // Stepping op by op must compute what Invoke computes.
    const auto stepped = op_meter_->output(i);
    if (!std::equal(got.begin(), got.end(), stepped.begin(), stepped.end())) {
      return absl::InternalError(absl::StrCat("xs3: output ", i,
                                              " differs between Invoke and op-by-op stepping"));
    }
    report_.end_to_end.Add(model.output(i).type, got, against_session_->output(i));
  }
  if (report_.top1) {
    ++report_.top1->compared;
    report_.top1->agreed += TopClassAgrees(model.output(0).type, xs3_session_->output(0),
                                           against_session_->output(0));
  }
  const int64_t saturations = xs3_stats.saturation_events.value_or(0);
  report_.saturation_events += saturations;
  report_.max_saturation_events_per_inference =
      std::max(report_.max_saturation_events_per_inference, saturations);
  ++report_.inferences;
  return absl::OkStatus();
}

FidelityReport FidelityMeter::report() const {
  FidelityReport report = report_;
  report.ops = op_meter_->ops();
  return report;
}

}  // namespace tinyserve::xs3
