#include "devices/xs3/compile_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devices/xs3/cycle_model.h"

namespace tinyserve::xs3 {

const char* PlacementName(Placement placement) {
  return placement == Placement::kVpu ? "vpu" : "reference";
}

int CompileReport::vpu_ops() const {
  int n = 0;
  for (const OpReport& op : ops) n += op.placement == Placement::kVpu;
  return n;
}

std::string CompileReport::ToString() const {
  std::string out =
      absl::StrFormat("xs3 compile report for '%s' (%s lowering): %d of %d ops on the VPU\n",
                      model_name, lowering, vpu_ops(), ops.size());
  absl::StrAppendFormat(&out, "%4s  %-18s %-9s %-12s %-9s %12s %9s %12s %9s  %s\n", "#", "op",
                        "runs on", "OT", "OT error", "cycles 1T", "us 1T", "cycles 5T", "us 5T",
                        "kernel / reason");
  for (const OpReport& op : ops) {
    absl::StrAppendFormat(
        &out, "%4d  %-18s %-9s %-12s %-9s %12d %9.1f %12d %9.1f  %s%s%s\n", op.index,
        op.op_name, PlacementName(op.placement),
        op.output_transform ? OutputTransformKindName(*op.output_transform) : "-",
        op.estimated_error ? absl::StrFormat("%.3g", *op.estimated_error) : "-",
        op.cycles_one_thread, CyclesToMicroseconds(static_cast<double>(op.cycles_one_thread)),
        op.cycles_five_threads, CyclesToMicroseconds(static_cast<double>(op.cycles_five_threads)),
        op.kernel, op.reason.empty() ? "" : ": ", op.reason);
  }
  absl::StrAppendFormat(&out,
                        "total: %d cycles = %.2f ms on 1 thread, %d cycles = %.2f ms on 5 "
                        "threads (800 MHz)\n",
                        cycles_one_thread, milliseconds_one_thread, cycles_five_threads,
                        milliseconds_five_threads);
  return out;
}

}  // namespace tinyserve::xs3
