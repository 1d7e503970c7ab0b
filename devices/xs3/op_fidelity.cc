#include "devices/xs3/op_fidelity.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tinyserve::xs3 {

OpFidelityMeter::OpFidelityMeter(std::shared_ptr<const Xs3Executable> executable)
    : executable_(std::move(executable)), session_(executable_->NewXs3Session()) {
  const Model& model = executable_->model();
  for (const Operator& op : model.operators()) {
    const OpReport& report = executable_->report().ops[op.index];
    ops_.push_back({op.index, report.op_name, report.placement, report.kernel, {}});
    std::vector<std::vector<uint8_t>> outputs;
    for (int t : op.outputs) outputs.emplace_back(model.tensor(t).bytes);
    reference_outputs_.push_back(std::move(outputs));
  }
}

absl::Status OpFidelityMeter::Run(absl::Span<const absl::Span<const uint8_t>> inputs) {
  const Model& model = executable_->model();
  if (static_cast<int>(inputs.size()) != model.num_inputs()) {
    return absl::InvalidArgumentError(
        absl::StrCat("model has ", model.num_inputs(), " inputs, got ", inputs.size()));
  }
  for (int i = 0; i < model.num_inputs(); ++i) {
    const auto dest = session_->input(i);
    if (inputs[i].size() != dest.size()) {
      return absl::InvalidArgumentError(absl::StrCat("input ", i, " is ", inputs[i].size(),
                                                     " bytes, the model needs ", dest.size()));
    }
    std::copy(inputs[i].begin(), inputs[i].end(), dest.begin());
  }
  for (const Operator& op : model.operators()) {
    // The reference first: the xs3 op may overwrite its input in place.
    input_pointers_.clear();
    for (int t : op.inputs) {
      input_pointers_.push_back(t == kOptionalTensor ? nullptr : session_->tensor(t).data());
    }
    output_pointers_.clear();
    for (auto& buffer : reference_outputs_[op.index]) output_pointers_.push_back(buffer.data());
    // XMOS operators have no reference kernel: their agreement is with XMOS's
    // host interpreter (tests/data/xmos), so here they only run.
    const EvalFn reference = ReferenceKernel(op.type)->eval;
    if (reference == nullptr) {
      session_->InvokeOps(op.index, op.index + 1);
      continue;
    }
    reference(model.op_data(op.index), input_pointers_.data(), output_pointers_.data());
    session_->InvokeOps(op.index, op.index + 1);
    for (size_t k = 0; k < op.outputs.size(); ++k) {
      const TensorInfo& tensor = model.tensor(op.outputs[k]);
      ops_[op.index].agreement.Add(tensor.type, session_->tensor(op.outputs[k]),
                                   reference_outputs_[op.index][k]);
    }
  }
  return absl::OkStatus();
}

}  // namespace tinyserve::xs3
