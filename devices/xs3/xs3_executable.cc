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

namespace {

// Slots of the single-threaded ops xformer puts in front of a padded conv or
// depthwise (XC_pad_3_to_4 for a 3-channel input, XC_pad for SAME padding):
// the VPU kernels charge them to the conv, and they stay serial when the conv
// itself is split over threads.
struct SerialPads {
  int64_t pad_3_to_4 = 0;
  int64_t pad = 0;
};

SerialPads SerialPadSlots(const Model& model, const Operator& op) {
  int stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  if (const auto* conv = std::get_if<ConvOptions>(&op.options)) {
    stride_h = conv->stride_h, stride_w = conv->stride_w;
    dilation_h = conv->dilation_h, dilation_w = conv->dilation_w;
  } else if (const auto* dw = std::get_if<DepthwiseConvOptions>(&op.options)) {
    stride_h = dw->stride_h, stride_w = dw->stride_w;
    dilation_h = dw->dilation_h, dilation_w = dw->dilation_w;
  } else {
    return {};
  }
  if (op.inputs.size() < 2 || op.inputs[1] < 0) return {};
  const auto& in = model.tensor(op.inputs[0]).shape;
  const auto& filter = model.tensor(op.inputs[1]).shape;
  const auto& out = model.tensor(op.outputs[0]).shape;
  if (in.size() != 4 || filter.size() != 4 || out.size() != 4) return {};
  SerialPads pads;
  int bytes_per_pixel = in[3];
  if (op.type == OpType::kConv2D && in[3] == 3) {
    pads.pad_3_to_4 = Pad3To4Slots(static_cast<int64_t>(in[0]) * in[1] * in[2]);
    bytes_per_pixel = 4;
  }
  const auto pad_before = [](int64_t in_size, int64_t out_size, int64_t f, int64_t s,
                             int64_t d) {
    const int64_t padded = (out_size - 1) * s + (f - 1) * d + 1;
    return static_cast<int>(std::max<int64_t>(0, padded - in_size) / 2);
  };
  pads.pad = ImplicitPadSlots(in[0], in[1], in[2], bytes_per_pixel, out[1], out[2], filter[1],
                              filter[2], stride_h, stride_w, dilation_h, dilation_w,
                              pad_before(in[1], out[1], filter[1], stride_h, dilation_h),
                              pad_before(in[2], out[2], filter[2], stride_w, dilation_w));
  return pads;
}

}  // namespace

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
    const int regions = session.op_region_count(static_cast<int>(i));
    // An XC op's thread split is fixed by its file: its busiest region is its
    // time on the chip (and a file compiled for one thread has one region).
    // Our own lowering's ops are split over kMaxThreads by work units.
    r.thread_regions = regions;
    if (regions == 1) {
      r.cycles_five_threads = r.cycles_one_thread;
    } else if (regions > 1) {
      const int64_t* region_slots = session.op_region_slots(static_cast<int>(i));
      int64_t in_regions = 0;
      for (int k = 0; k < regions; ++k) in_regions += region_slots[k];
      // The op's own work outside its regions (its Eval) stays on the caller.
      const int64_t serial = cost::kOpDispatch + std::max<int64_t>(0, kernel - in_regions);
      r.cycles_five_threads = SingleThreadCycles(RegionThreadSlots(serial, region_slots, regions));
    } else {
      if (r.placement == Placement::kVpu) {
        const Model& model = compiled_->model();
        const SerialPads pads = SerialPadSlots(model, model.operators()[i]);
        r.pad_3_to_4_slots = std::min(kernel, pads.pad_3_to_4);
        r.pad_slots = std::min(kernel - r.pad_3_to_4_slots, pads.pad);
      }
      const int64_t serial_pads = r.pad_3_to_4_slots + r.pad_slots;
      r.cycles_five_threads = SingleThreadCycles(BusiestThreadSlots(
          cost::kOpDispatch + serial_pads, kernel - serial_pads, ops_[i]->work_units(),
          kMaxThreads));
    }
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
