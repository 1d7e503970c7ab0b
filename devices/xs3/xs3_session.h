// One thread's run of an xs3 executable: its own VPU, scratch memory and
// activation arena (all allocated at construction; Invoke allocates nothing),
// counting the chip cycles each op takes.
#ifndef TINYSERVE_DEVICES_XS3_XS3_SESSION_H_
#define TINYSERVE_DEVICES_XS3_XS3_SESSION_H_

#include <array>
#include <memory>
#include <vector>

#include "devices/device.h"
#include "devices/xs3/lowered_op.h"
#include "devices/xs3/weight_layout.h"
#include "engine/compiled_model.h"
#include "engine/executor.h"

namespace tinyserve::xs3 {

class Xs3Session : public Session {
 public:
  // `ops[i]` is operator i's lowered op, owned by `compiled`.
  Xs3Session(std::shared_ptr<const CompiledModel> compiled, std::vector<const LoweredOp*> ops,
             size_t scratch_bytes, VlashrRounding vlashr_rounding);

  absl::Span<uint8_t> input(int i) override { return executor_.input(i); }
  absl::Span<const uint8_t> output(int i) const override { return executor_.output(i); }
  absl::StatusOr<InvokeStats> Invoke(const InvokeOptions& options) override;

  // Per op, the issue slots of its kernel in the last Invoke (VPU
  // instructions plus counted scalar work, without the op dispatch).
  absl::Span<const int64_t> op_kernel_slots() const { return op_kernel_slots_; }
  // Per op, the thread regions its file fixes (KernelContext::region_count in
  // the last Invoke; 0 when the split is ours to choose) and their slots.
  int op_region_count(int op) const { return op_region_counts_[op]; }
  const int64_t* op_region_slots(int op) const { return op_region_slots_[op].data(); }
  // Any tensor's current bytes, for comparing intermediates (activations are
  // valid only while alive).
  absl::Span<const uint8_t> tensor(int t) const { return executor_.tensor(t); }
  // Runs operators [begin, end) only (no cycle accounting), for stepping
  // through a model with inputs written into its tensors.
  void InvokeOps(int begin, int end);

 private:
  KernelContext context_;  // before executor_, which keeps a pointer to it
  Executor executor_;
  std::vector<const LoweredOp*> ops_;
  Vpu vpu_;
  std::vector<Vector32> scratch_;
  std::vector<int64_t> op_kernel_slots_;
  std::vector<int> op_region_counts_;
  std::vector<std::array<int64_t, KernelContext::kMaxRegions>> op_region_slots_;
  std::vector<int64_t> op_cycles_;
};

}  // namespace tinyserve::xs3

#endif  // TINYSERVE_DEVICES_XS3_XS3_SESSION_H_
