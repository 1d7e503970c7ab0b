#include "engine/executor.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace tinyserve {

void Executor::AlignedFree::operator()(uint8_t* p) const { std::free(p); }

Executor::Executor(std::shared_ptr<const CompiledModel> compiled, InvokeContext* context)
    : compiled_(std::move(compiled)), context_(context) {
  // A device that binds context kernels always constructs its executors with
  // its context; anything else is a programming error caught by every test.
  if (context_ == nullptr && compiled_->needs_context()) {
    std::fprintf(stderr, "Executor: model '%s' has device kernels but no InvokeContext\n",
                 compiled_->model().name().c_str());
    std::abort();
  }
  const Model& model = compiled_->model();
  const ArenaPlan& plan = compiled_->arena();
  constexpr size_t kAlign = 64;
  const size_t bytes = (plan.arena_bytes + kAlign - 1) / kAlign * kAlign;
  void* arena = std::aligned_alloc(kAlign, bytes == 0 ? kAlign : bytes);
  if (arena == nullptr) throw std::bad_alloc();
  arena_.reset(static_cast<uint8_t*>(arena));

  const auto& tensors = model.graph().tensors;
  tensor_data_.assign(tensors.size(), nullptr);
  for (size_t t = 0; t < tensors.size(); ++t) {
    if (tensors[t].is_constant()) {
      tensor_data_[t] = const_cast<uint8_t*>(tensors[t].data.data());
    } else if (plan.offsets[t] >= 0) {
      tensor_data_[t] = arena_.get() + plan.offsets[t];
    }
  }
  for (const Operator& op : model.operators()) {
    io_begin_.push_back(io_.size());
    for (int t : op.inputs) io_.push_back(t == kOptionalTensor ? nullptr : tensor_data_[t]);
    for (int t : op.outputs) io_.push_back(tensor_data_[t]);
  }
  op_nanoseconds_.assign(model.operators().size(), 0);
}

absl::Span<uint8_t> Executor::input(int i) {
  const int t = compiled_->model().graph().inputs[i];
  return {static_cast<uint8_t*>(tensor_data_[t]), compiled_->model().tensor(t).bytes};
}

absl::Span<const uint8_t> Executor::output(int i) const {
  const int t = compiled_->model().graph().outputs[i];
  return {static_cast<const uint8_t*>(tensor_data_[t]), compiled_->model().tensor(t).bytes};
}

absl::Span<const uint8_t> Executor::tensor(int t) const {
  return {static_cast<const uint8_t*>(tensor_data_[t]), compiled_->model().tensor(t).bytes};
}

void Executor::Invoke(bool profile) {
  InvokeOps(0, static_cast<int>(compiled_->model().operators().size()), profile);
}

void Executor::RunKernel(int op, const void* const* inputs, void* const* outputs) {
  const BoundKernel& kernel = compiled_->kernels()[op];
  if (kernel.eval != nullptr) {
    kernel.eval(*kernel.data, inputs, outputs);
  } else {
    kernel.context_eval(*kernel.data, *context_, inputs, outputs);
  }
}

void Executor::InvokeOps(int begin, int end, bool profile) {
  const auto& ops = compiled_->model().operators();
  for (int i = begin; i < end; ++i) {
    void* const* io = io_.data() + io_begin_[i];
    const void* const* inputs = io;
    void* const* outputs = io + ops[i].inputs.size();
    if (!profile) {
      RunKernel(i, inputs, outputs);
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    RunKernel(i, inputs, outputs);
    op_nanoseconds_[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
  }
}

}  // namespace tinyserve
