#include "server/classify_pipeline.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "devices/device_registry.h"
#include "engine/quant/tensor_quantization.h"
#include "server/postprocess.h"
#include "server/proto_conversion.h"

namespace tinyserve::server {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start, Clock::time_point end = Clock::now()) {
  return std::chrono::duration<double>(end - start).count();
}

// Everything one request carries from the gRPC thread to the device worker.
struct RequestState {
  std::shared_ptr<const ServedModel> served;
  const DeviceBinding* binding = nullptr;
  const v1::ClassifyRequest* request = nullptr;
  v1::ClassifyResponse* response = nullptr;
  CallContext call;
  std::vector<uint8_t> input;  // quantized input bytes
  std::optional<InputQuantizationReport> quantization;  // float input only
  int top_k = 0;
  Clock::time_point enqueued;
  StageSeconds stages;
  std::optional<int64_t> cycles;
  std::optional<double> chip_us;
  int64_t outputs_at_rails = 0;
  std::function<void(absl::Status)> done;
};

// The device a request runs on: the one it names, or the model's default.
absl::StatusOr<const DeviceBinding*> SelectDevice(const ServedModel& served,
                                                  const std::string& requested,
                                                  const DeviceManager& devices) {
  const std::string& name = requested.empty() ? served.default_device() : requested;
  if (const DeviceBinding* binding = served.binding(name)) return binding;
  if (devices.Find(name) != nullptr) {
    return absl::UnimplementedError(absl::StrCat("device '", name, "' cannot run model '",
                                                 served.name(), "': ", served.refusal(name)));
  }
  const auto known = KnownDeviceNames();
  if (std::find(known.begin(), known.end(), name) != known.end()) {
    return absl::UnavailableError(
        absl::StrCat("device '", name, "' is not running on this server"));
  }
  return absl::NotFoundError(absl::StrCat("unknown device '", name, "' (this server runs: ",
                                          absl::StrJoin(served.device_names(), ", "), ")"));
}

// Validates the request's input against the model and fills state.input.
absl::Status PrepareInput(const v1::ClassifyRequest& request, const Model& model,
                          RequestState& state) {
  if (model.num_inputs() != 1) {
    return absl::UnimplementedError(absl::StrCat("model '", model.name(), "' has ",
                                                 model.num_inputs(),
                                                 " inputs; Classify takes single-input models"));
  }
  const TensorInfo& tensor = model.input(0);
  const std::string expected = absl::StrCat(DataTypeName(tensor.type), "[",
                                            absl::StrJoin(tensor.shape, ","), "]");
  state.input.resize(tensor.bytes);
  switch (request.input_case()) {
    case v1::ClassifyRequest::kRawInput: {
      const std::string& raw = request.raw_input();
      if (raw.size() != tensor.bytes) {
        return absl::InvalidArgumentError(absl::StrCat("raw_input has ", raw.size(),
                                                       " bytes; model '", model.name(),
                                                       "' input '", tensor.name, "' is ",
                                                       expected, " = ", tensor.bytes, " bytes"));
      }
      std::copy(raw.begin(), raw.end(), state.input.begin());
      return absl::OkStatus();
    }
    case v1::ClassifyRequest::kFloatInput: {
      const auto& values = request.float_input().values();
      if (values.size() != tensor.num_elements()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "float_input has ", values.size(), " values; model '", model.name(), "' input '",
            tensor.name, "' is ", expected, " = ", tensor.num_elements(), " values"));
      }
      auto report = QuantizeInput(tensor, absl::MakeConstSpan(values.data(), values.size()),
                                  absl::MakeSpan(state.input));
      if (!report.ok()) return report.status();
      state.quantization = *report;
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("the request carries no input (set raw_input or float_input)");
  }
}

void FillOutputs(RequestState& state, const Session& session) {
  const ServedModel& served = *state.served;
  const Model& model = served.model();
  v1::ClassifyResponse& response = *state.response;
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
      const std::vector<float> input = Dequantize(model.input(0), state.input);
      response.set_score(MeanSquaredError(input, output0));
      break;
    }
    default: {
      const TensorInfo& tensor = model.output(0);
      const auto bytes = session.output(0);
      for (const RankedClass& c : TopK(output0, state.top_k)) {
        v1::ClassScore* score = response.add_classes();
        score->set_index(c.index);
        if (c.index < static_cast<int>(served.labels().size())) {
          score->set_label(served.labels()[c.index]);
        }
        score->set_score(c.score);
        score->set_raw(QuantizedValue(tensor, bytes, c.index));
      }
    }
  }
}

void Finish(std::shared_ptr<RequestState> state, absl::Status status) {
  state->stages.total = SecondsSince(state->call.received);
  if (status.ok()) {
    v1::RequestMetrics* m = state->response->mutable_metrics();
    v1::LatencyMicros* latency = m->mutable_latency_us();
    latency->set_queue(state->stages.queue * 1e6);
    latency->set_quantize(state->stages.quantize * 1e6);
    latency->set_device(state->stages.device * 1e6);
    latency->set_postprocess(state->stages.postprocess * 1e6);
    latency->set_total(state->stages.total * 1e6);
    m->set_device(state->binding->device->info.name);
    m->set_device_kind(state->binding->device->info.kind);
    if (state->cycles) m->set_device_cycles(*state->cycles);
    if (state->chip_us) m->set_estimated_chip_us(*state->chip_us);
    v1::QuantizationMetrics* q = m->mutable_quantization();
    const TensorInfo& input = state->served->model().input(0);
    q->set_input_scale(input.quantization.scale());
    q->set_input_zero_point(input.quantization.zero_point());
    if (state->quantization) {
      q->set_input_sqnr_db(state->quantization->sqnr_db);
      q->set_input_clipped(state->quantization->clipped);
    }
    q->set_output_at_rails(state->outputs_at_rails);
  }
  state->binding->metrics->RecordRequest(
      status.code(), state->stages,
      state->quantization ? std::optional<double>(state->quantization->sqnr_db) : std::nullopt,
      state->outputs_at_rails);
  auto done = std::move(state->done);
  state.reset();  // release the model snapshot before answering
  done(status);
}

void RunOnDevice(std::shared_ptr<RequestState> state, absl::Status status) {
  state->stages.queue = SecondsSince(state->enqueued);
  if (!status.ok()) return Finish(std::move(state), status);
  auto session = state->binding->sessions->Acquire();
  if (!session.ok()) return Finish(std::move(state), session.status());
  const auto input = (*session)->input(0);
  std::copy(state->input.begin(), state->input.end(), input.begin());
  auto stats = (*session)->Invoke(InvokeOptions{});
  if (!stats.ok()) {
    state->binding->sessions->Release(std::move(*session));
    return Finish(std::move(state), stats.status());
  }
  state->stages.device = static_cast<double>(stats->device_nanoseconds) * 1e-9;
  state->cycles = stats->cycles;
  state->chip_us = stats->estimated_chip_microseconds;
  const auto post = Clock::now();
  state->response->set_model(state->served->name());
  state->response->set_version(state->served->version());
  state->response->set_kind(state->served->kind());
  FillOutputs(*state, **session);
  state->binding->sessions->Release(std::move(*session));
  state->stages.postprocess = SecondsSince(post);
  Finish(std::move(state), absl::OkStatus());
}

}  // namespace

void ClassifyPipeline::Classify(const v1::ClassifyRequest& request,
                                v1::ClassifyResponse* response, CallContext call,
                                std::function<void(absl::Status)> done) const {
  auto served = registry_.Resolve(request.model(), request.version());
  if (!served.ok()) {
    metrics_.RecordUnresolved(served.status().code());
    return done(served.status());
  }
  auto binding = SelectDevice(**served, request.device(), devices_);
  if (!binding.ok()) {
    metrics_.RecordUnresolved(binding.status().code());
    return done(binding.status());
  }
  auto state = std::make_shared<RequestState>();
  state->served = *served;
  state->binding = *binding;
  state->request = &request;
  state->response = response;
  state->call = std::move(call);
  state->done = std::move(done);
  if (request.top_k() < 0) {
    return Finish(std::move(state), absl::InvalidArgumentError(absl::StrCat(
                                        "top_k must not be negative, got ", request.top_k())));
  }
  const int config_top_k = state->served->config().default_top_k();
  state->top_k = request.top_k() > 0 ? request.top_k()
                                     : (config_top_k > 0 ? config_top_k : default_top_k_);

  const auto quantize_start = Clock::now();
  if (absl::Status s = PrepareInput(request, state->served->model(), *state); !s.ok()) {
    return Finish(std::move(state), s);
  }
  state->stages.quantize = SecondsSince(quantize_start);

  DeviceTask task;
  task.deadline = state->call.deadline;
  task.cancelled = state->call.cancelled;
  task.model_queued = &state->binding->queued;
  task.model_capacity = state->binding->queue_capacity;
  state->enqueued = Clock::now();
  task.run = [state](absl::Status status) mutable { RunOnDevice(std::move(state), status); };
  DeviceScheduler& scheduler = *state->binding->device->scheduler;
  // On refusal the task (and its copy of `state`) is destroyed unrun.
  if (absl::Status s = scheduler.Submit(std::move(task)); !s.ok()) {
    return Finish(std::move(state), s);
  }
}

}  // namespace tinyserve::server
