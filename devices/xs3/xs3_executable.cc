#include "devices/xs3/xs3_executable.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "devices/xs3/cycle_model.h"
#include "devices/xs3/lowering.h"
#include "devices/xs3/reference_op.h"
#include "devices/xs3/xs3_session.h"
#include "engine/model_stats.h"
#include "engine/util/status_macros.h"

namespace tinyserve::xs3 {

absl::StatusOr<std::shared_ptr<const Xs3Executable>> Xs3Executable::Build(
    std::shared_ptr<const Model> model, VlashrRounding vlashr_rounding, LoweringMode lowering_mode) {
  std::shared_ptr<Xs3Executable> exe(new Xs3Executable());
  exe->vlashr_rounding_ = vlashr_rounding;
  exe->report_.model_name = model->name();
  exe->report_.lowering = LoweringModeName(lowering_mode);
  const ModelStats stats = ComputeModelStats(*model);

  std::vector<std::unique_ptr<const OpData>> owned;
  std::vector<std::string> unrunnable;
  for (const Operator& op : model->operators()) {
    OpReport r;
    r.index = op.index;
    r.op_name = OpTypeName(op.type);
    Lowering lowering = LowerOperator(*model, op, lowering_mode);
    r.reason = lowering.reason;
    r.output_transform = lowering.output_transform;
    r.estimated_error = lowering.estimated_error;
    std::unique_ptr<LoweredOp> lowered = std::move(lowering.op);
    if (lowered) {
      r.placement = Placement::kVpu;
      r.kernel = lowering.kernel;
    } else {
      auto reference = BindReferenceKernel(*model, op);
      if (!reference.ok()) {
        // An XMOS operator this emulator has no kernel for (none today).
        unrunnable.push_back(absl::StrCat("#", op.index, " ", r.op_name, " (", r.reason, ")"));
        continue;
      }
      r.placement = Placement::kReference;
      r.kernel = "reference";
      lowered = std::make_unique<ReferenceOp>(
          reference->eval, reference->data,
          EstimateReferenceSlots(*model, op, stats.op_macs[op.index]));
    }
    exe->scratch_bytes_ = std::max(exe->scratch_bytes_, lowered->scratch_bytes());
    exe->ops_.push_back(lowered.get());
    owned.push_back(std::move(lowered));
    exe->report_.ops.push_back(std::move(r));
  }
  if (!unrunnable.empty()) {
    return absl::UnimplementedError(absl::StrCat("xs3: model '", model->name(),
                                                 "' has ops the engine cannot run: ",
                                                 absl::StrJoin(unrunnable, ", ")));
  }
  const std::vector<const LoweredOp*>& ops = exe->ops_;
  TS_ASSIGN_OR_RETURN(
      exe->compiled_,
      CompiledModel::Compile(
          std::move(model),
          [&ops](const Model&, const Operator& op) -> absl::StatusOr<BoundKernel> {
            BoundKernel bound;
            bound.data = ops[op.index];
            bound.context_eval = &EvalLoweredOp;
            return bound;
          },
          std::move(owned)));
  TS_RETURN_IF_ERROR(exe->EstimateCycles());
  return std::shared_ptr<const Xs3Executable>(std::move(exe));
}

absl::StatusOr<std::unique_ptr<Session>> Xs3Executable::NewSession() const {
  return std::unique_ptr<Session>(
      new Xs3Session(compiled_, ops_, scratch_bytes_, vlashr_rounding_));
}

std::unique_ptr<Xs3Session> Xs3Executable::NewXs3Session() const {
  return std::make_unique<Xs3Session>(compiled_, ops_, scratch_bytes_, vlashr_rounding_);
}

absl::Status Xs3Executable::EstimateCycles() {
  Xs3Session session(compiled_, ops_, scratch_bytes_, vlashr_rounding_);
  for (int i = 0; i < compiled_->model().num_inputs(); ++i) {
    auto in = session.input(i);
    std::fill(in.begin(), in.end(), 0);
  }
  TS_ASSIGN_OR_RETURN(InvokeStats stats, session.Invoke(InvokeOptions{}));
  (void)stats;
  report_.cycles_one_thread = report_.cycles_five_threads = 0;
  for (size_t i = 0; i < ops_.size(); ++i) {
    OpReport& r = report_.ops[i];
    const int64_t kernel = session.op_kernel_slots()[i];
    r.slots = cost::kOpDispatch + kernel;
    r.cycles_one_thread = SingleThreadCycles(r.slots);
    r.cycles_five_threads = SingleThreadCycles(
        BusiestThreadSlots(cost::kOpDispatch, kernel, ops_[i]->work_units(), kMaxThreads));
    report_.cycles_one_thread += r.cycles_one_thread;
    report_.cycles_five_threads += r.cycles_five_threads;
  }
  report_.milliseconds_one_thread =
      CyclesToMicroseconds(static_cast<double>(report_.cycles_one_thread)) / 1000.0;
  report_.milliseconds_five_threads =
      CyclesToMicroseconds(static_cast<double>(report_.cycles_five_threads)) / 1000.0;
  return absl::OkStatus();
}

}  // namespace tinyserve::xs3
