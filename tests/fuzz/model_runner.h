// Runs a model that loaded from untrusted bytes once through the reference
// kernels (or, for a model with XMOS operators, through the xs3 device, the
// only one that runs them), for the loader fuzzer and the hostile-model tests.
//
// A valid model may legitimately ask for a 1 GiB arena or billions of
// multiply-adds; such a model is not a loader bug, but running it would make the
// fuzzer run out of memory or time. RunReferenceOnce skips models above a work
// and memory budget and says so.
#ifndef TINYSERVE_TESTS_FUZZ_MODEL_RUNNER_H_
#define TINYSERVE_TESTS_FUZZ_MODEL_RUNNER_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "devices/xs3/xs3_executable.h"
#include "devices/xs3/xs3_session.h"
#include "engine/compiled_model.h"
#include "engine/executor.h"
#include "engine/model.h"

namespace tinyserve::fuzz {

inline constexpr int64_t kMaxRunWork = int64_t{1} << 27;       // ~inner-loop steps
inline constexpr size_t kMaxRunArenaBytes = size_t{64} << 20;  // 64 MiB

// An upper bound of the inner-loop steps one inference takes with the
// reference kernels.
inline int64_t EstimatedWork(const Model& model) {
  const Graph& graph = model.graph();
  int64_t work = 0;
  for (const Operator& op : graph.operators) {
    int64_t out_elements = 0;
    int64_t out_last = 1;
    for (int t : op.outputs) {
      out_elements += graph.tensors[t].num_elements();
      if (graph.tensors[t].rank() > 0) {
        out_last = std::max<int64_t>(1, graph.tensors[t].shape.back());
      }
    }
    int64_t in_elements = 0;
    for (int t : op.inputs) {
      if (t != kOptionalTensor) in_elements += graph.tensors[t].num_elements();
    }
    int64_t per_output = 1;
    switch (op.type) {
      case OpType::kConv2D:
      case OpType::kDepthwiseConv2D:
      case OpType::kFullyConnected:
      case OpType::kXcConv2dV2:  // input 1: the packed weights
        // Weights elements per output channel (conv: h*w*c_in, FC: depth).
        if (op.inputs.size() > 1 && op.inputs[1] != kOptionalTensor) {
          per_output = std::max<int64_t>(1, graph.tensors[op.inputs[1]].num_elements() / out_last);
        }
        break;
      case OpType::kAveragePool2D:
      case OpType::kMaxPool2D:
        if (const auto* p = std::get_if<PoolOptions>(&op.options)) {
          per_output =
              std::max<int64_t>(1, int64_t{std::max(p->filter_h, 1)} * std::max(p->filter_w, 1));
          per_output = std::min(per_output, std::max<int64_t>(1, in_elements));
        }
        break;
      default:
        break;
    }
    work += in_elements + out_elements * per_output;
    if (work > kMaxRunWork) return work;
  }
  return work;
}

// Compiles `model` with the reference kernels and runs it once with every input
// byte 0 and once with every input byte 0x7f. Returns false if the model was
// over the budget (`max_work` steps, kMaxRunArenaBytes) and not run, an error if
// it failed to compile.
inline bool HasXcoreOps(const Model& model) {
  for (const Operator& op : model.operators()) {
    if (IsXcoreOp(op.type)) return true;
  }
  return false;
}

// A model with XMOS operators: compiled for xs3 and run like the reference.
inline absl::StatusOr<bool> RunXs3Once(std::shared_ptr<const Model> model) {
  auto exe = xs3::Xs3Executable::Build(std::move(model), xs3::VlashrRounding::kFloor);
  if (!exe.ok()) return exe.status();
  if ((*exe)->arena_bytes() > kMaxRunArenaBytes) return false;
  std::unique_ptr<xs3::Xs3Session> session = (*exe)->NewXs3Session();
  for (const uint8_t fill : {uint8_t{0}, uint8_t{0x7f}}) {
    for (int i = 0; i < (*exe)->model().num_inputs(); ++i) {
      const absl::Span<uint8_t> in = session->input(i);
      if (!in.empty()) std::memset(in.data(), fill, in.size());
    }
    const auto stats = session->Invoke(InvokeOptions{});
    if (!stats.ok()) return stats.status();
  }
  return true;
}

inline absl::StatusOr<bool> RunReferenceOnce(std::shared_ptr<const Model> model,
                                             int64_t max_work = kMaxRunWork) {
  if (EstimatedWork(*model) > max_work) return false;
  if (HasXcoreOps(*model)) return RunXs3Once(std::move(model));
  absl::StatusOr<std::shared_ptr<const CompiledModel>> compiled =
      CompiledModel::CompileReference(std::move(model));
  if (!compiled.ok()) return compiled.status();
  if ((*compiled)->arena().arena_bytes > kMaxRunArenaBytes) return false;
  Executor executor(*compiled);
  for (const uint8_t fill : {uint8_t{0}, uint8_t{0x7f}}) {
    for (int i = 0; i < (*compiled)->model().num_inputs(); ++i) {
      const absl::Span<uint8_t> in = executor.input(i);
      if (!in.empty()) std::memset(in.data(), fill, in.size());
    }
    executor.Invoke();
  }
  return true;
}

}  // namespace tinyserve::fuzz

#endif  // TINYSERVE_TESTS_FUZZ_MODEL_RUNNER_H_
