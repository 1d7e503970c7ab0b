#include "server/metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"
#include "server/grpc_status.h"

namespace tinyserve::server {
namespace {

// 10 us .. 10 s: TinyML inferences take microseconds to tens of milliseconds.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
      1e-2, 2.5e-2, 5e-2, 0.1,  0.25,   0.5,  1.0,  2.5,    5.0,  10.0};
  return kBuckets;
}

const prometheus::Histogram::BucketBoundaries& SqnrBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0,  10, 20, 30, 40,
                                                                   50, 60, 80, 100};
  return kBuckets;
}

// An exact quantization has infinite SQNR; it is observed as this, so the
// histogram's sum stays finite (it lands in the +Inf bucket).
constexpr double kExactSqnrDb = 200.0;

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("tinyserve_requests_total")
                    .Help("Inference requests (Classify, and each device of a Compare) by "
                        "model, version, device and gRPC status code")
                    .Register(*registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("tinyserve_request_duration_seconds")
                     .Help("Server time of successful requests per stage: queue, quantize, "
                           "device, postprocess, total")
                     .Register(*registry_)),
      sqnr_(prometheus::BuildHistogram()
                .Name("tinyserve_input_sqnr_db")
                .Help("Signal-to-quantization-noise ratio of float inputs, in dB (exact "
                      "inputs count as 200)")
                .Register(*registry_)),
      saturated_(prometheus::BuildCounter()
                     .Name("tinyserve_output_saturated_total")
                     .Help("Output elements at the rails of their integer type (-128/127 "
                           "for int8)")
                     .Register(*registry_)),
      queue_depth_(prometheus::BuildGauge()
                       .Name("tinyserve_queue_depth")
                       .Help("Requests waiting in a device's queue")
                       .Register(*registry_)),
      device_up_(prometheus::BuildGauge()
                     .Name("tinyserve_device_up")
                     .Help("1 when the device is UP (takes work), 0 when DOWN or RECOVERING")
                     .Register(*registry_)),
      device_state_(prometheus::BuildGauge()
                        .Name("tinyserve_device_state")
                        .Help("1 for the device's current state (UP, DOWN, RECOVERING), 0 for "
                              "the others")
                        .Register(*registry_)),
      link_bytes_(prometheus::BuildCounter()
                      .Name("tinyserve_link_bytes_total")
                      .Help("Bytes over the link to a board by direction: out (host to board: "
                            "commands, inputs), in (board to host: outputs)")
                      .Register(*registry_)),
      link_durations_(prometheus::BuildHistogram()
                          .Name("tinyserve_link_duration_seconds")
                          .Help("Time of successful requests on a board by phase: host_to_board, "
                                "on_board, board_to_host")
                          .Register(*registry_)),
      model_loads_(prometheus::BuildCounter()
                       .Name("tinyserve_model_loads_total")
                       .Help("Model version loads by result (success, failure)")
                       .Register(*registry_)),
      compare_(prometheus::BuildCounter()
                   .Name("tinyserve_compare_total")
                   .Help("Compare device pairs by result: exact, differs, top1_differs (each "
                         "pair counted once, under its most severe result)")
                   .Register(*registry_)),
      shadow_(prometheus::BuildCounter()
                  .Name("tinyserve_shadow_total")
                  .Help("Shadow runs by result: exact, differs, top1_differs (as compare), "
                        "dropped (shadow queue full), error (the shadow device failed)")
                  .Register(*registry_)) {}

std::unique_ptr<ModelDeviceMetrics> ServerMetrics::ForModelDevice(const std::string& model,
                                                                  int64_t version,
                                                                  const std::string& device) {
  return std::unique_ptr<ModelDeviceMetrics>(
      new ModelDeviceMetrics(*this, model, absl::StrCat(version), device));
}

void ServerMetrics::RecordUnresolved(absl::StatusCode code) {
  requests_.Add({{"model", ""}, {"version", ""}, {"device", ""}, {"code", StatusCodeName(code)}})
      .Increment();
}

void ServerMetrics::RecordModelLoad(const std::string& model, bool ok) {
  model_loads_.Add({{"model", model}, {"result", ok ? "success" : "failure"}}).Increment();
}

void ServerMetrics::SetQueueDepth(const std::string& device, int depth) {
  queue_depth_.Add({{"device", device}}).Set(depth);
}

void ServerMetrics::SetDeviceState(const std::string& device, DeviceState state) {
  device_up_.Add({{"device", device}}).Set(state == DeviceState::kUp ? 1 : 0);
  for (DeviceState s : {DeviceState::kUp, DeviceState::kDown, DeviceState::kRecovering}) {
    device_state_.Add({{"device", device}, {"state", DeviceStateName(s)}})
        .Set(s == state ? 1 : 0);
  }
}

void ServerMetrics::RecordCompare(const std::string& model, const std::string& device_a,
                                  const std::string& device_b, ComparisonResult result) {
  // A label lookup per pair: Compare is a diagnostic call, not the hot path.
  compare_
      .Add({{"model", model},
            {"device_a", device_a},
            {"device_b", device_b},
            {"result", ComparisonResultName(result)}})
      .Increment();
}

prometheus::Counter& ServerMetrics::ShadowCounter(const std::string& model,
                                                  const std::string& primary,
                                                  const std::string& shadow,
                                                  const std::string& result) {
  return shadow_.Add(
      {{"model", model}, {"primary", primary}, {"shadow", shadow}, {"result", result}});
}

std::string ServerMetrics::Serialize() {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

ModelDeviceMetrics::ModelDeviceMetrics(ServerMetrics& metrics, std::string model,
                                       std::string version, std::string device)
    : metrics_(metrics),
      model_(std::move(model)),
      version_(std::move(version)),
      device_(std::move(device)) {
  auto stage = [&](const char* name) {
    return &metrics_.durations_.Add(
        {{"model", model_}, {"version", version_}, {"device", device_}, {"stage", name}},
        DurationBuckets());
  };
  queue_ = stage("queue");
  quantize_ = stage("quantize");
  device_s_ = stage("device");
  postprocess_ = stage("postprocess");
  total_ = stage("total");
  sqnr_ = &metrics_.sqnr_.Add({{"model", model_}, {"version", version_}, {"device", device_}},
                              SqnrBuckets());
  saturated_ =
      &metrics_.saturated_.Add({{"model", model_}, {"version", version_}, {"device", device_}});
}

struct ModelDeviceMetrics::LinkSeries {
  prometheus::Counter* bytes_out;
  prometheus::Counter* bytes_in;
  prometheus::Histogram* host_to_board;
  prometheus::Histogram* on_board;
  prometheus::Histogram* board_to_host;
};

ModelDeviceMetrics::~ModelDeviceMetrics() = default;

ModelDeviceMetrics::LinkSeries& ModelDeviceMetrics::Link() {
  if (LinkSeries* series = link_.load(std::memory_order_acquire)) return *series;
  std::lock_guard<std::mutex> lock(link_mu_);
  if (link_storage_ == nullptr) {
    const prometheus::Labels labels = {{"model", model_}, {"version", version_}, {"device", device_}};
    auto with = [&labels](const char* key, const char* value) {
      prometheus::Labels l = labels;
      l[key] = value;
      return l;
    };
    link_storage_ = std::make_unique<LinkSeries>(LinkSeries{
        &metrics_.link_bytes_.Add(with("direction", "out")),
        &metrics_.link_bytes_.Add(with("direction", "in")),
        &metrics_.link_durations_.Add(with("phase", "host_to_board"), DurationBuckets()),
        &metrics_.link_durations_.Add(with("phase", "on_board"), DurationBuckets()),
        &metrics_.link_durations_.Add(with("phase", "board_to_host"), DurationBuckets())});
    link_.store(link_storage_.get(), std::memory_order_release);
  }
  return *link_storage_;
}

prometheus::Counter& ModelDeviceMetrics::CodeCounter(absl::StatusCode code) {
  const size_t i = std::min<size_t>(static_cast<size_t>(code), by_code_.size() - 1);
  prometheus::Counter* counter = by_code_[i].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add is thread-safe and returns the same series for equal labels.
    counter = &metrics_.requests_.Add({{"model", model_},
                                       {"version", version_},
                                       {"device", device_},
                                       {"code", StatusCodeName(code)}});
    by_code_[i].store(counter, std::memory_order_release);
  }
  return *counter;
}

void ModelDeviceMetrics::RecordRequest(const RequestOutcome& outcome) {
  const StageSeconds& stages = outcome.stages;
  live_.RecordRequest({.code = outcome.code,
                       .total_us = stages.total * 1e6,
                       .device_us = stages.device * 1e6,
                       .input_sqnr_db = outcome.input_sqnr_db,
                       .outputs_at_rails = outcome.outputs_at_rails,
                       .saturation_events = outcome.saturation_events,
                       .estimated_chip_us = outcome.estimated_chip_us},
                      LiveNowSecond());
  CodeCounter(outcome.code).Increment();
  if (outcome.code != absl::StatusCode::kOk) return;
  const std::optional<double>& input_sqnr_db = outcome.input_sqnr_db;
  const int64_t outputs_at_rails = outcome.outputs_at_rails;
  queue_->Observe(stages.queue);
  quantize_->Observe(stages.quantize);
  device_s_->Observe(stages.device);
  postprocess_->Observe(stages.postprocess);
  total_->Observe(stages.total);
  if (input_sqnr_db.has_value()) {
    sqnr_->Observe(std::isfinite(*input_sqnr_db) ? *input_sqnr_db : kExactSqnrDb);
  }
  if (outputs_at_rails > 0) saturated_->Increment(static_cast<double>(outputs_at_rails));
  if (outcome.link.has_value()) {
    const LinkStats& link = *outcome.link;
    LinkSeries& series = Link();
    series.bytes_out->Increment(static_cast<double>(link.bytes_out));
    series.bytes_in->Increment(static_cast<double>(link.bytes_in));
    series.host_to_board->Observe(static_cast<double>(link.host_to_board_ns) * 1e-9);
    series.on_board->Observe(static_cast<double>(link.on_board_ns) * 1e-9);
    series.board_to_host->Observe(static_cast<double>(link.board_to_host_ns) * 1e-9);
  }
}

}  // namespace tinyserve::server
