#include "devices/xs3/xs3_session.h"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "devices/xs3/cycle_model.h"

namespace tinyserve::xs3 {

Xs3Session::Xs3Session(std::shared_ptr<const CompiledModel> compiled,
                       std::vector<const LoweredOp*> ops, size_t scratch_bytes,
                       VlashrRounding vlashr_rounding)
    : executor_(std::move(compiled), &context_),
      ops_(std::move(ops)),
      vpu_(vlashr_rounding),
      scratch_((scratch_bytes + sizeof(Vector32) - 1) / sizeof(Vector32) + 1) {
  context_.vpu = &vpu_;
  context_.scratch = scratch_.front().bytes;
  context_.scratch_bytes = scratch_.size() * sizeof(Vector32);
  op_kernel_slots_.assign(ops_.size(), 0);
  op_region_counts_.assign(ops_.size(), 0);
  op_region_slots_.assign(ops_.size(), {});
  op_cycles_.assign(ops_.size(), 0);
}

void Xs3Session::InvokeOps(int begin, int end) {
  executor_.InvokeOps(begin, end);
}

absl::StatusOr<InvokeStats> Xs3Session::Invoke(const InvokeOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  vpu_.ResetCounters();
  context_.scalar_slots = 0;
  context_.comparison_saturations = 0;
  int64_t vpu_before = 0, scalar_before = 0, total_cycles = 0;
  for (int i = 0; i < static_cast<int>(ops_.size()); ++i) {
    // Per-region slots are the op's own record (only XC ops with a thread
    // split fixed by their file write them).
    context_.region_count = 0;
    std::fill(std::begin(context_.region_slots), std::end(context_.region_slots), 0);
    executor_.InvokeOps(i, i + 1, options.profile_ops);
    const int64_t vpu_now = vpu_.counters().vpu_instructions;
    const int64_t scalar_now = context_.scalar_slots;
    op_kernel_slots_[i] =
        (vpu_now - vpu_before) * cost::kVpuInstruction + (scalar_now - scalar_before);
    vpu_before = vpu_now;
    scalar_before = scalar_now;
    const int regions = std::clamp(context_.region_count, 0, KernelContext::kMaxRegions);
    op_region_counts_[i] = regions;
    std::copy(context_.region_slots, context_.region_slots + regions,
              op_region_slots_[i].begin());
    op_cycles_[i] = SingleThreadCycles(cost::kOpDispatch + op_kernel_slots_[i]);
    total_cycles += op_cycles_[i];
  }
  InvokeStats stats;
  stats.device_nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
  if (options.profile_ops) stats.op_nanoseconds = executor_.op_nanoseconds();
  stats.cycles = total_cycles;
  stats.estimated_chip_microseconds = CyclesToMicroseconds(static_cast<double>(total_cycles));
  stats.op_cycles = op_cycles_;
  stats.saturation_events = vpu_.counters().saturations16 - context_.comparison_saturations;
  return stats;
}

}  // namespace tinyserve::xs3
