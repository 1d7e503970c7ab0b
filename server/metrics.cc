#include "server/metrics.h"

#include <algorithm>
#include <chrono>
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

uint64_t WholeNanoseconds(double seconds) {
  return seconds > 0 ? static_cast<uint64_t>(std::llround(seconds * 1e9)) : 0;
}

}  // namespace

// The link series of one (model, version, device).
struct ModelDeviceMetrics::LinkSeries {
  prometheus::Counter* bytes_out;
  prometheus::Counter* bytes_in;
  prometheus::Histogram* host_to_board;
  prometheus::Histogram* on_board;
  prometheus::Histogram* board_to_host;
};

// The Prometheus series of one (model, version, device), shared by its holders.
struct ModelDeviceMetrics::Series {
  // RequestTotals, field by field.
  struct AtomicTotals {
    std::atomic<uint64_t> success{0}, fail{0}, success_ns{0}, fail_ns{0};
    std::atomic<uint64_t> queue_ns{0}, quantize_ns{0}, device_ns{0}, postprocess_ns{0};
    std::atomic<uint64_t> last_unix_ms{0};
  };

  ServerMetrics::SeriesKey key;
  prometheus::Labels labels;  // model, version, device
  prometheus::Histogram* queue;
  prometheus::Histogram* quantize;
  prometheus::Histogram* device;
  prometheus::Histogram* postprocess;
  prometheus::Histogram* total;
  prometheus::Histogram* sqnr;
  prometheus::Counter* saturated;
  prometheus::Counter* non_finite;
  // Created on first use of each code (codes are 0..16).
  std::array<std::atomic<prometheus::Counter*>, 17> by_code{};
  // Built on the first request that reports a link (only devices behind one
  // ever do, so others get no empty series).
  std::mutex link_mu;
  std::unique_ptr<LinkSeries> link_storage;  // guarded by link_mu
  std::atomic<LinkSeries*> link{nullptr};    // set once
  AtomicTotals totals;
};

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
                  .Register(*registry_)),
      non_finite_(prometheus::BuildCounter()
                      .Name("tinyserve_input_non_finite_total")
                      .Help("NaN and infinite float input values, refused or quantized (per "
                            "the request's non_finite policy); never part of the input SQNR")
                      .Register(*registry_)) {}

ServerMetrics::~ServerMetrics() = default;

std::unique_ptr<ModelDeviceMetrics> ServerMetrics::ForModelDevice(const std::string& model,
                                                                  int64_t version,
                                                                  const std::string& device) {
  ModelDeviceMetrics::Series& series = AcquireSeries({model, absl::StrCat(version), device});
  return std::unique_ptr<ModelDeviceMetrics>(new ModelDeviceMetrics(*this, series));
}

ModelDeviceMetrics::Series& ServerMetrics::AcquireSeries(const SeriesKey& key) {
  std::lock_guard<std::mutex> lock(series_mu_);
  HeldSeries& held = held_[key];
  ++model_holders_[std::get<0>(key)];
  if (held.holders++ > 0) return *held.series;
  // Family::Add returns the existing series for equal labels, so building
  // them here (under series_mu_) never races with their removal.
  auto series = std::make_unique<ModelDeviceMetrics::Series>();
  series->key = key;
  series->labels = {
      {"model", std::get<0>(key)}, {"version", std::get<1>(key)}, {"device", std::get<2>(key)}};
  auto stage = [&](const char* name) {
    prometheus::Labels labels = series->labels;
    labels["stage"] = name;
    return &durations_.Add(labels, DurationBuckets());
  };
  series->queue = stage("queue");
  series->quantize = stage("quantize");
  series->device = stage("device");
  series->postprocess = stage("postprocess");
  series->total = stage("total");
  series->sqnr = &sqnr_.Add(series->labels, SqnrBuckets());
  series->saturated = &saturated_.Add(series->labels);
  series->non_finite = &non_finite_.Add(series->labels);
  held.series = std::move(series);
  return *held.series;
}

void ServerMetrics::ReleaseSeries(ModelDeviceMetrics::Series& series) {
  std::lock_guard<std::mutex> lock(series_mu_);
  const SeriesKey key = series.key;  // `series` dies below
  auto held = held_.find(key);
  if (held == held_.end()) return;  // never: each holder acquired once
  const std::string& model = std::get<0>(key);
  if (--model_holders_[model] == 0) {
    model_holders_.erase(model);
    for (prometheus::Counter* c : compare_series_[model]) compare_.Remove(c);
    for (prometheus::Counter* c : shadow_series_[model]) shadow_.Remove(c);
    compare_series_.erase(model);
    shadow_series_.erase(model);
  }
  if (--held->second.holders > 0) return;
  RemoveSeries(*held->second.series);
  held_.erase(held);
}

void ServerMetrics::RemoveSeries(ModelDeviceMetrics::Series& series) {
  for (prometheus::Histogram* h :
       {series.queue, series.quantize, series.device, series.postprocess, series.total}) {
    durations_.Remove(h);
  }
  sqnr_.Remove(series.sqnr);
  saturated_.Remove(series.saturated);
  non_finite_.Remove(series.non_finite);
  for (auto& counter : series.by_code) {
    if (prometheus::Counter* c = counter.load(std::memory_order_acquire)) requests_.Remove(c);
  }
  std::lock_guard<std::mutex> link_lock(series.link_mu);
  if (series.link_storage != nullptr) {
    const ModelDeviceMetrics::LinkSeries& link = *series.link_storage;
    link_bytes_.Remove(link.bytes_out);
    link_bytes_.Remove(link.bytes_in);
    link_durations_.Remove(link.host_to_board);
    link_durations_.Remove(link.on_board);
    link_durations_.Remove(link.board_to_host);
  }
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
  // Under series_mu_, so it never races with the model's series going.
  std::lock_guard<std::mutex> lock(series_mu_);
  prometheus::Counter& counter = compare_.Add({{"model", model},
                                               {"device_a", device_a},
                                               {"device_b", device_b},
                                               {"result", ComparisonResultName(result)}});
  compare_series_[model].insert(&counter);
  counter.Increment();
}

prometheus::Counter& ServerMetrics::ShadowCounter(const std::string& model,
                                                  const std::string& primary,
                                                  const std::string& shadow,
                                                  const std::string& result) {
  std::lock_guard<std::mutex> lock(series_mu_);
  prometheus::Counter& counter =
      shadow_.Add({{"model", model}, {"primary", primary}, {"shadow", shadow}, {"result", result}});
  shadow_series_[model].insert(&counter);
  return counter;
}

std::string ServerMetrics::Serialize() {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

ModelDeviceMetrics::ModelDeviceMetrics(ServerMetrics& metrics, Series& series)
    : metrics_(metrics), series_(series) {}

ModelDeviceMetrics::~ModelDeviceMetrics() { metrics_.ReleaseSeries(series_); }

void ModelDeviceMetrics::RecordNonFinite(int64_t values) {
  if (values > 0) series_.non_finite->Increment(static_cast<double>(values));
}

const ModelDeviceMetrics::LinkSeries& ModelDeviceMetrics::Link() {
  if (const LinkSeries* link = series_.link.load(std::memory_order_acquire)) return *link;
  std::lock_guard<std::mutex> lock(series_.link_mu);
  if (series_.link_storage == nullptr) {
    auto with = [this](const char* key, const char* value) {
      prometheus::Labels l = series_.labels;
      l[key] = value;
      return l;
    };
    ServerMetrics& m = metrics_;
    series_.link_storage = std::make_unique<LinkSeries>(LinkSeries{
        &m.link_bytes_.Add(with("direction", "out")),
        &m.link_bytes_.Add(with("direction", "in")),
        &m.link_durations_.Add(with("phase", "host_to_board"), DurationBuckets()),
        &m.link_durations_.Add(with("phase", "on_board"), DurationBuckets()),
        &m.link_durations_.Add(with("phase", "board_to_host"), DurationBuckets())});
    series_.link.store(series_.link_storage.get(), std::memory_order_release);
  }
  return *series_.link_storage;
}

void ModelDeviceMetrics::RecordTotals(const RequestOutcome& outcome) {
  Series::AtomicTotals& t = series_.totals;
  const StageSeconds& stages = outcome.stages;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  t.last_unix_ms.store(static_cast<uint64_t>(now_ms.count()), std::memory_order_relaxed);
  if (outcome.code != absl::StatusCode::kOk) {
    t.fail.fetch_add(1, std::memory_order_relaxed);
    t.fail_ns.fetch_add(WholeNanoseconds(stages.total), std::memory_order_relaxed);
    return;
  }
  t.queue_ns.fetch_add(WholeNanoseconds(stages.queue), std::memory_order_relaxed);
  t.quantize_ns.fetch_add(WholeNanoseconds(stages.quantize), std::memory_order_relaxed);
  t.device_ns.fetch_add(WholeNanoseconds(stages.device), std::memory_order_relaxed);
  t.postprocess_ns.fetch_add(WholeNanoseconds(stages.postprocess), std::memory_order_relaxed);
  t.success_ns.fetch_add(WholeNanoseconds(stages.total), std::memory_order_relaxed);
  // Last, so a reader that sees the count also sees its times (near enough
  // for statistics: each field is read on its own).
  t.success.fetch_add(1, std::memory_order_relaxed);
}

prometheus::Counter& ModelDeviceMetrics::CodeCounter(absl::StatusCode code) {
  const size_t i = std::min<size_t>(static_cast<size_t>(code), series_.by_code.size() - 1);
  prometheus::Counter* counter = series_.by_code[i].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add is thread-safe and returns the same series for equal labels.
    prometheus::Labels labels = series_.labels;
    labels["code"] = StatusCodeName(code);
    counter = &metrics_.requests_.Add(labels);
    series_.by_code[i].store(counter, std::memory_order_release);
  }
  return *counter;
}

RequestTotals ModelDeviceMetrics::totals() const {
  const Series::AtomicTotals& t = series_.totals;
  RequestTotals out;
  out.success = t.success.load(std::memory_order_relaxed);
  out.fail = t.fail.load(std::memory_order_relaxed);
  out.success_ns = t.success_ns.load(std::memory_order_relaxed);
  out.fail_ns = t.fail_ns.load(std::memory_order_relaxed);
  out.queue_ns = t.queue_ns.load(std::memory_order_relaxed);
  out.quantize_ns = t.quantize_ns.load(std::memory_order_relaxed);
  out.device_ns = t.device_ns.load(std::memory_order_relaxed);
  out.postprocess_ns = t.postprocess_ns.load(std::memory_order_relaxed);
  out.last_unix_ms = t.last_unix_ms.load(std::memory_order_relaxed);
  return out;
}

void ModelDeviceMetrics::RecordRequest(const RequestOutcome& outcome) {
  const StageSeconds& stages = outcome.stages;
  RecordTotals(outcome);
  live_.RecordRequest({.code = outcome.code,
                       .total_us = stages.total * 1e6,
                       .device_us = stages.device * 1e6,
                       .input_sqnr_db = outcome.input_sqnr_db,
                       .input_non_finite = outcome.input_non_finite,
                       .outputs_at_rails = outcome.outputs_at_rails,
                       .saturation_events = outcome.saturation_events,
                       .estimated_chip_us = outcome.estimated_chip_us},
                      LiveNowSecond());
  CodeCounter(outcome.code).Increment();
  RecordNonFinite(outcome.input_non_finite);
  if (outcome.code != absl::StatusCode::kOk) return;
  series_.queue->Observe(stages.queue);
  series_.quantize->Observe(stages.quantize);
  series_.device->Observe(stages.device);
  series_.postprocess->Observe(stages.postprocess);
  series_.total->Observe(stages.total);
  if (outcome.input_sqnr_db.has_value()) {
    const double sqnr_db = *outcome.input_sqnr_db;
    series_.sqnr->Observe(std::isfinite(sqnr_db) ? sqnr_db : kExactSqnrDb);
  }
  if (outcome.outputs_at_rails > 0) {
    series_.saturated->Increment(static_cast<double>(outcome.outputs_at_rails));
  }
  if (outcome.link.has_value()) {
    const LinkStats& link = *outcome.link;
    const LinkSeries& series = Link();
    series.bytes_out->Increment(static_cast<double>(link.bytes_out));
    series.bytes_in->Increment(static_cast<double>(link.bytes_in));
    series.host_to_board->Observe(static_cast<double>(link.host_to_board_ns) * 1e-9);
    series.on_board->Observe(static_cast<double>(link.on_board_ns) * 1e-9);
    series.board_to_host->Observe(static_cast<double>(link.board_to_host_ns) * 1e-9);
  }
}

}  // namespace tinyserve::server
