// The contract between the engine and an op kernel.
//
// Prepare runs once per model at load: it validates types, shapes and
// quantization of one operator and precomputes everything Eval needs (multipliers,
// clamp ranges, padding, strides) into an immutable OpData. Eval runs per
// inference on raw pointers: no validation, no allocation, no failure.
#ifndef TINYSERVE_ENGINE_KERNELS_KERNEL_H_
#define TINYSERVE_ENGINE_KERNELS_KERNEL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/graph.h"

namespace tinyserve {

// Precomputed, immutable per-operator data; each kernel derives its own.
struct OpData {
  virtual ~OpData() = default;
};

// What Prepare sees of one operator, with helpers that put the model, operator
// and tensor into every error message.
class PrepareContext {
 public:
  PrepareContext(const Graph& graph, const Operator& op, const std::string& model_name)
      : graph_(graph), op_(op), model_name_(model_name) {}

  const Operator& op() const { return op_; }
  template <typename T>
  const T& options() const { return std::get<T>(op_.options); }

  int num_inputs() const { return static_cast<int>(op_.inputs.size()); }
  int num_outputs() const { return static_cast<int>(op_.outputs.size()); }
  // nullptr for an omitted optional input or an index past the end.
  const TensorInfo* input(int i) const;
  const TensorInfo& output(int i) const { return graph_.tensors[op_.outputs[i]]; }

  // "model 'm': subgraph 0: operator #3 CONV_2D: <message>"
  std::string Where() const;
  absl::Status Invalid(const std::string& message) const;
  absl::Status Unimplemented(const std::string& message) const;
  // Same, naming input i / output i and its tensor.
  absl::Status InvalidInput(int i, const std::string& message) const;
  absl::Status InvalidOutput(int i, const std::string& message) const;
  absl::Status UnsupportedInputType(int i) const;

  // Input count in [min_inputs, max_inputs], exactly `outputs` outputs, and the
  // first `required` inputs present.
  absl::Status CheckArity(int min_inputs, int max_inputs, int outputs) const;
  // Input i (or output i) has `type`; Unimplemented otherwise.
  absl::Status CheckInputType(int i, DataType type) const;
  absl::Status CheckOutputType(int i, DataType type) const;
  absl::Status CheckInputRank(int i, int rank) const;
  // Per-tensor quantization present (int8/int16 activations).
  absl::Status CheckPerTensorQuantized(int i, bool is_output) const;
  absl::Status CheckConstantInput(int i) const;
  absl::Status CheckSameShape(int input, int output) const;

 private:
  std::string TensorLabel(int tensor_index) const;

  const Graph& graph_;
  const Operator& op_;
  const std::string& model_name_;
};

using PrepareFn = absl::StatusOr<std::unique_ptr<const OpData>> (*)(const PrepareContext&);
// Pointers are the op's inputs and outputs in operator order (nullptr for an
// omitted optional input); constant inputs point into the model file.
using EvalFn = void (*)(const OpData& data, const void* const* inputs, void* const* outputs);

// Per-invoke state a device hands to its own kernels (the xs3 device's VPU,
// scratch memory and counters). Each device derives its own; reference
// kernels need none.
class InvokeContext {
 public:
  virtual ~InvokeContext() = default;
};
// A device kernel that runs against the invoke's context, passed explicitly.
using ContextEvalFn = void (*)(const OpData& data, InvokeContext& context,
                               const void* const* inputs, void* const* outputs);

struct KernelRegistration {
  OpType op;
  PrepareFn prepare;
  // The reference implementation; nullptr for XMOS operators, which only a
  // device that emulates or drives the chip can run (their prepare still
  // decodes and validates them at load).
  EvalFn eval;
};

// The reference kernel of `op`; every OpType has one (a test checks), so
// nullptr means a broken build, not a bad model.
const KernelRegistration* ReferenceKernel(OpType op);

// `data` as the kind T its caller expects, or nullptr when it is another kind:
// a device reading an op's prepared data checks it rather than trusting the
// op type (a new op or dtype must not be misread as an old one).
template <typename T>
const T* OpDataAs(const OpData& data) {
  return dynamic_cast<const T*>(&data);
}

}  // namespace tinyserve

#endif  // TINYSERVE_ENGINE_KERNELS_KERNEL_H_
