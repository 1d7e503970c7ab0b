#include "server/device_run.h"

#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/quant/tensor_quantization.h"
#include "server/postprocess.h"

namespace tinyserve::server {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start, Clock::time_point end = Clock::now()) {
  return std::chrono::duration<double>(end - start).count();
}

// A run in flight, from the submitting thread to the device worker.
struct RunState {
  DeviceRun run;
  Clock::time_point enqueued;
  StageSeconds stages;
  std::optional<int64_t> cycles;
  std::optional<int64_t> saturation_events;
  std::optional<double> chip_us;
  std::optional<LinkStats> link;
  int64_t outputs_at_rails = 0;
};

// A device's invoke error, with the device named unless the message does.
absl::Status NamingDevice(const RunningDevice& device, const absl::Status& status) {
  if (absl::StrContains(status.message(), "'" + device.info.name + "'")) return status;
  return absl::Status(status.code(),
                      absl::StrCat("device '", device.info.name, "': ", status.message()));
}

void FillOutputs(RunState& state, const Session& session) {
  const ServedModel& served = *state.run.served;
  const Model& model = served.model();
  InferResult& result = *state.run.result;
  result.outputs.clear();
  result.outputs.reserve(static_cast<size_t>(model.num_outputs()));
  for (int i = 0; i < model.num_outputs(); ++i) {
    const TensorInfo& tensor = model.output(i);
    const auto bytes = session.output(i);
    OutputTensorResult& out = result.outputs.emplace_back();
    out.info = tensor;
    out.raw.assign(bytes.begin(), bytes.end());
    out.values = Dequantize(tensor, bytes);
    state.outputs_at_rails += CountAtRails(tensor, bytes);
  }
  const std::vector<float>& output0 = result.outputs.front().values;
  switch (served.kind()) {
    case v1::REGRESSOR:
      if (!output0.empty()) result.score = output0[0];
      break;
    case v1::AUTOENCODER: {
      const std::vector<float> input =
          Dequantize(model.input(0), state.run.input->tensors.front());
      result.score = MeanSquaredError(input, output0);
      break;
    }
    default: {
      const OutputTensorResult& out0 = result.outputs.front();
      for (const RankedClass& c : TopK(output0, state.run.top_k)) {
        ClassResult& score = result.classes.emplace_back();
        score.index = c.index;
        if (c.index < static_cast<int>(served.labels().size())) {
          score.label = served.labels()[c.index];
        }
        score.score = c.score;
        score.raw = QuantizedValue(out0.info, out0.raw, c.index);
      }
    }
  }
}

void FillFigures(const RunState& state) {
  const DeviceRun& run = state.run;
  RequestFigures& f = run.result->figures;
  f.stages = state.stages;
  f.device = run.binding->device->info.name;
  f.device_kind = run.binding->device->info.kind;
  f.device_cycles = state.cycles;
  f.estimated_chip_us = state.chip_us;
  f.device_saturation_events = state.saturation_events;
  f.link = state.link;
  const TensorInfo& input = run.served->model().input(0);
  f.input_scale = input.quantization.scale();
  f.input_zero_point = input.quantization.zero_point();
  f.float_input = run.input->float_input;
  f.input_sqnr_db = run.input->input_sqnr_db;
  f.input_clipped = run.input->clipped;
  f.input_non_finite = run.input->non_finite;
  f.output_at_rails = state.outputs_at_rails;
}

void Finish(std::shared_ptr<RunState> state, absl::Status status) {
  state->stages.total = SecondsSince(state->run.call.received);
  if (status.ok()) FillFigures(*state);
  if (state->run.record_request) {
    RequestOutcome outcome;
    outcome.code = status.code();
    outcome.stages = state->stages;
    outcome.input_sqnr_db = state->run.input->input_sqnr_db;
    outcome.input_non_finite = state->run.input->non_finite;
    outcome.outputs_at_rails = state->outputs_at_rails;
    outcome.saturation_events = state->saturation_events;
    outcome.estimated_chip_us = state->chip_us;
    outcome.link = state->link;
    state->run.binding->metrics->RecordRequest(outcome);
  }
  auto done = std::move(state->run.done);
  state.reset();  // release the model snapshot before answering
  done(status);
}

void RunOnWorker(std::shared_ptr<RunState> state, absl::Status status) {
  state->stages.queue = SecondsSince(state->enqueued);
  if (!status.ok()) return Finish(std::move(state), status);
  SessionPool& pool = *state->run.binding->sessions;
  auto session = pool.Acquire();
  if (!session.ok()) return Finish(std::move(state), session.status());
  const std::vector<std::vector<uint8_t>>& tensors = state->run.input->tensors;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto input = (*session)->input(static_cast<int>(i));
    std::copy(tensors[i].begin(), tensors[i].end(), input.begin());
  }
  // A device that can block (a board) gives up at the call's deadline or
  // when the call is cancelled, so a hung device holds only its own worker.
  InvokeOptions options;
  options.deadline = state->run.call.deadline;
  options.cancelled = state->run.call.cancelled;
  auto stats = (*session)->Invoke(options);
  if (!stats.ok()) {
    pool.Release(std::move(*session));
    // Named before `state` is moved into Finish (argument order is unspecified).
    absl::Status failed = NamingDevice(*state->run.binding->device, stats.status());
    return Finish(std::move(state), std::move(failed));
  }
  state->stages.device = static_cast<double>(stats->device_nanoseconds) * 1e-9;
  state->cycles = stats->cycles;
  state->chip_us = stats->estimated_chip_microseconds;
  state->saturation_events = stats->saturation_events;
  state->link = stats->link;
  const auto post = Clock::now();
  InferResult& result = *state->run.result;
  result.model = state->run.served->name();
  result.version = state->run.served->version();
  result.kind = state->run.served->kind();
  FillOutputs(*state, **session);
  pool.Release(std::move(*session));
  state->stages.postprocess = SecondsSince(post);
  Finish(std::move(state), absl::OkStatus());
}

}  // namespace

void SubmitDeviceRun(DeviceRun run) {
  auto state = std::make_shared<RunState>();
  state->run = std::move(run);
  state->stages.quantize = state->run.input->quantize_seconds;
  const DeviceBinding& binding = *state->run.binding;
  DeviceTask task;
  task.deadline = state->run.call.deadline;
  task.cancelled = state->run.call.cancelled;
  task.model_queued = &binding.queued;
  task.model_capacity = binding.queue_capacity;
  task.max_depth = state->run.max_queue_depth;
  state->enqueued = Clock::now();
  task.run = [state](absl::Status status) mutable { RunOnWorker(std::move(state), status); };
  // On refusal the task (and its copy of `state`) is destroyed unrun.
  if (absl::Status s = binding.device->scheduler->Submit(std::move(task)); !s.ok()) {
    Finish(std::move(state), s);
  }
}

}  // namespace tinyserve::server
