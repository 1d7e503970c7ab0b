// A model bound to one kernel per operator, with its arena planned. Immutable
// and shared: any number of Executors may run it at once on different threads.
#ifndef TINYSERVE_ENGINE_COMPILED_MODEL_H_
#define TINYSERVE_ENGINE_COMPILED_MODEL_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/arena_planner.h"
#include "engine/kernels/kernel.h"
#include "engine/model.h"

namespace tinyserve {

// Largest activation arena a model may need (every Executor allocates one):
// a bound on what a hostile file can make the server allocate.
inline constexpr size_t kMaxArenaBytes = size_t{1} << 30;

// One operator's kernel: its eval function and the data it reads (the model's
// prepared OpData, or data a device derived from it, such as packed weights).
// Exactly one of `eval` and `context_eval` is set.
struct BoundKernel {
  EvalFn eval = nullptr;
  const OpData* data = nullptr;
  ContextEvalFn context_eval = nullptr;  // needs the Executor's InvokeContext
};

// Chooses the kernel for one operator; devices supply their own.
using KernelSelector =
    std::function<absl::StatusOr<BoundKernel>(const Model& model, const Operator& op)>;

// `op`'s reference kernel on the model's prepared data; Unimplemented, naming
// the op, for an XMOS operator (no portable kernel runs those).
absl::StatusOr<BoundKernel> BindReferenceKernel(const Model& model, const Operator& op);

class CompiledModel {
 public:
  // The reference kernel of every op.
  static absl::StatusOr<std::shared_ptr<const CompiledModel>> CompileReference(
      std::shared_ptr<const Model> model);
  // `owned` keeps device-specific OpData alive for the kernels that point to it.
  static absl::StatusOr<std::shared_ptr<const CompiledModel>> Compile(
      std::shared_ptr<const Model> model, const KernelSelector& select,
      std::vector<std::unique_ptr<const OpData>> owned = {});

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& shared_model() const { return model_; }
  const ArenaPlan& arena() const { return arena_; }
  const std::vector<BoundKernel>& kernels() const { return kernels_; }
  // True when some kernel runs against an InvokeContext (see Executor).
  bool needs_context() const;

 private:
  CompiledModel() = default;

  std::shared_ptr<const Model> model_;
  std::vector<BoundKernel> kernels_;
  std::vector<std::unique_ptr<const OpData>> owned_;
  ArenaPlan arena_;
};

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_COMPILED_MODEL_H_
