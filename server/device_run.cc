#include "server/device_run.h"

#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/quant/tensor_quantization.h"
#include "server/postprocess.h"
#include "server/proto_conversion.h"
#include "server/safe_text.h"

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
  v1::ClassifyResponse& response = *state.run.response;
  std::vector<float> output0;
  for (int i = 0; i < model.num_outputs(); ++i) {
    const TensorInfo& tensor = model.output(i);
    const auto bytes = session.output(i);
    v1::OutputTensor* out = response.add_outputs();
    FillTensorSpec(tensor, out->mutable_spec());
    out->set_raw(bytes.data(), bytes.size());
    std::vector<float> values = Dequantize(tensor, bytes);
    out->mutable_values()->Assign(values.begin(), values.end());
    state.outputs_at_rails += CountAtRails(tensor, bytes);
    if (i == 0) output0 = std::move(values);
  }
  switch (served.kind()) {
    case v1::REGRESSOR:
      if (!output0.empty()) response.set_score(output0[0]);
      break;
    case v1::AUTOENCODER: {
      const std::vector<float> input = Dequantize(model.input(0), state.run.input->bytes);
      response.set_score(MeanSquaredError(input, output0));
      break;
    }
    default: {
      const TensorInfo& tensor = model.output(0);
      const auto bytes = session.output(0);
      for (const RankedClass& c : TopK(output0, state.run.top_k)) {
        v1::ClassScore* score = response.add_classes();
        score->set_index(c.index);
        if (c.index < static_cast<int>(served.labels().size())) {
          score->set_label(ValidUtf8(served.labels()[c.index]));
        }
        score->set_score(c.score);
        score->set_raw(QuantizedValue(tensor, bytes, c.index));
      }
    }
  }
}

void FillMetricsBlock(const RunState& state) {
  const DeviceRun& run = state.run;
  v1::RequestMetrics* m = run.response->mutable_metrics();
  v1::LatencyMicros* latency = m->mutable_latency_us();
  latency->set_queue(state.stages.queue * 1e6);
  latency->set_quantize(state.stages.quantize * 1e6);
  latency->set_device(state.stages.device * 1e6);
  latency->set_postprocess(state.stages.postprocess * 1e6);
  latency->set_total(state.stages.total * 1e6);
  m->set_device(ValidUtf8(run.binding->device->info.name));
  m->set_device_kind(ValidUtf8(run.binding->device->info.kind));
  if (state.cycles) m->set_device_cycles(*state.cycles);
  if (state.chip_us) m->set_estimated_chip_us(*state.chip_us);
  if (state.saturation_events) m->set_device_saturation_events(*state.saturation_events);
  if (state.link) {
    v1::LinkMetrics* link = m->mutable_link();
    link->set_bytes_out(state.link->bytes_out);
    link->set_bytes_in(state.link->bytes_in);
    link->set_transfers(state.link->transfers);
    link->set_host_to_board_us(static_cast<double>(state.link->host_to_board_ns) * 1e-3);
    link->set_on_board_us(static_cast<double>(state.link->on_board_ns) * 1e-3);
    link->set_board_to_host_us(static_cast<double>(state.link->board_to_host_ns) * 1e-3);
  }
  v1::QuantizationMetrics* q = m->mutable_quantization();
  const TensorInfo& input = run.served->model().input(0);
  q->set_input_scale(input.quantization.scale());
  q->set_input_zero_point(input.quantization.zero_point());
  if (run.input->quantization) {
    if (run.input->input_sqnr_db) q->set_input_sqnr_db(*run.input->input_sqnr_db);
    q->set_input_clipped(run.input->quantization->clipped);
    q->set_input_non_finite(run.input->non_finite);
  }
  q->set_output_at_rails(state.outputs_at_rails);
}

void Finish(std::shared_ptr<RunState> state, absl::Status status) {
  state->stages.total = SecondsSince(state->run.call.received);
  if (status.ok()) FillMetricsBlock(*state);
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
  const auto input = (*session)->input(0);
  const std::vector<uint8_t>& bytes = state->run.input->bytes;
  std::copy(bytes.begin(), bytes.end(), input.begin());
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
  v1::ClassifyResponse& response = *state->run.response;
  response.set_model(ValidUtf8(state->run.served->name()));
  response.set_version(state->run.served->version());
  response.set_kind(state->run.served->kind());
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
