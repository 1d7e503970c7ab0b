// Runs a CompiledModel. Owns the arena and the pointer tables, all allocated
// at construction: Invoke allocates nothing. One Executor per thread; many
// Executors may share one CompiledModel.
#ifndef TINYSERVE_ENGINE_EXECUTOR_H_
#define TINYSERVE_ENGINE_EXECUTOR_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "engine/compiled_model.h"

namespace tinyserve {

class Executor {
 public:
  // `context` is handed to every kernel bound with a ContextEvalFn; it must
  // outlive the Executor, and is required when compiled->needs_context().
  explicit Executor(std::shared_ptr<const CompiledModel> compiled,
                    InvokeContext* context = nullptr);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Model input i's bytes in the arena. Write them before each Invoke: the
  // arena reuses input memory once the input is consumed.
  absl::Span<uint8_t> input(int i);
  absl::Span<const uint8_t> output(int i) const;

  // Runs every operator in order. With `profile`, records each operator's wall
  // time, readable from op_nanoseconds() until the next Invoke.
  void Invoke(bool profile = false);
  absl::Span<const int64_t> op_nanoseconds() const { return op_nanoseconds_; }

  // Runs operators [begin, end) only, for stepping through a model (debugging,
  // comparing intermediates). Invoke() is InvokeOps(0, num_ops).
  void InvokeOps(int begin, int end, bool profile = false);
  // The current bytes of any tensor (activations are valid only while alive).
  absl::Span<const uint8_t> tensor(int t) const;

  const CompiledModel& compiled() const { return *compiled_; }

 private:
  struct AlignedFree {
    void operator()(uint8_t* p) const;
  };

  void RunKernel(int op, const void* const* inputs, void* const* outputs);

  std::shared_ptr<const CompiledModel> compiled_;
  InvokeContext* context_;
  std::unique_ptr<uint8_t[], AlignedFree> arena_;
  std::vector<void*> tensor_data_;      // per tensor: arena or model constant
  std::vector<void*> io_;               // per op: inputs then outputs
  std::vector<size_t> io_begin_;        // per op: first entry in io_
  std::vector<int64_t> op_nanoseconds_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_EXECUTOR_H_
