// Prometheus metrics of the server. Series for a (model, version, device) are
// built once at load into a ModelDeviceMetrics, so the request path only
// increments members (no label lookups). Label values are model and device
// names from the repository and the server's own device list, and gRPC code
// names: all bounded.
#ifndef TINYSERVE_SERVER_METRICS_H_
#define TINYSERVE_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "devices/device.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/live_stats.h"
#include "server/output_comparison.h"

namespace tinyserve::server {

// Seconds spent in each stage of one request.
struct StageSeconds {
  double queue = 0, quantize = 0, device = 0, postprocess = 0, total = 0;
};

// How one request on one device ended, and what it measured.
struct RequestOutcome {
  absl::StatusCode code = absl::StatusCode::kOk;
  StageSeconds stages;
  std::optional<double> input_sqnr_db;  // float input only
  int64_t outputs_at_rails = 0;
  std::optional<int64_t> saturation_events;   // devices that report them
  std::optional<double> estimated_chip_us;    // devices that estimate it
  std::optional<LinkStats> link;              // devices behind a link (boards)
};

class ServerMetrics;

class ModelDeviceMetrics {
 public:
  // One finished request (any outcome), into Prometheus and the live stats.
  // Stage times and quantization figures count for successful requests only.
  void RecordRequest(const RequestOutcome& outcome);

  // The dashboard's per-second view of this model version on this device.
  LiveSeries& live() { return live_; }
  const LiveSeries& live() const { return live_; }

 private:
  friend class ServerMetrics;
  ModelDeviceMetrics(ServerMetrics& metrics, std::string model, std::string version,
                     std::string device);
  prometheus::Counter& CodeCounter(absl::StatusCode code);
  // The link series, built on the first request that reports a link (only
  // devices behind one ever do, so others get no empty series).
  struct LinkSeries;
  LinkSeries& Link();

  ServerMetrics& metrics_;
  const std::string model_, version_, device_;
  // Created on first use of each code (codes are 0..16).
  std::array<std::atomic<prometheus::Counter*>, 17> by_code_{};
  prometheus::Histogram* queue_;
  prometheus::Histogram* quantize_;
  prometheus::Histogram* device_s_;
  prometheus::Histogram* postprocess_;
  prometheus::Histogram* total_;
  prometheus::Histogram* sqnr_;
  prometheus::Counter* saturated_;
  std::mutex link_mu_;
  std::unique_ptr<LinkSeries> link_storage_;   // guarded by link_mu_
  std::atomic<LinkSeries*> link_{nullptr};     // set once
  LiveSeries live_;

 public:
  ~ModelDeviceMetrics();
};

class ServerMetrics {
 public:
  ServerMetrics();

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

  std::unique_ptr<ModelDeviceMetrics> ForModelDevice(const std::string& model, int64_t version,
                                                     const std::string& device);
  // A request that failed before it could be tied to a model and device
  // (unknown model, bad request): counted with empty model/version/device.
  void RecordUnresolved(absl::StatusCode code);
  void RecordModelLoad(const std::string& model, bool ok);
  void SetQueueDepth(const std::string& device, int depth);
  // tinyserve_device_up (1 when UP) and tinyserve_device_state (1 for the
  // current state, 0 for the others).
  void SetDeviceState(const std::string& device, DeviceState state);
  // One Compare pair, under its most severe result.
  void RecordCompare(const std::string& model, const std::string& device_a,
                     const std::string& device_b, ComparisonResult result);
  // The shadow-traffic counter of one (model, primary, shadow, result); result
  // is a ComparisonResultName, "dropped" or "error". Looked up once, at load.
  prometheus::Counter& ShadowCounter(const std::string& model, const std::string& primary,
                                     const std::string& shadow, const std::string& result);

  // Text exposition format of every metric.
  std::string Serialize();

 private:
  friend class ModelDeviceMetrics;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Histogram>& sqnr_;
  prometheus::Family<prometheus::Counter>& saturated_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& device_up_;
  prometheus::Family<prometheus::Gauge>& device_state_;
  prometheus::Family<prometheus::Counter>& link_bytes_;
  prometheus::Family<prometheus::Histogram>& link_durations_;
  prometheus::Family<prometheus::Counter>& model_loads_;
  prometheus::Family<prometheus::Counter>& compare_;
  prometheus::Family<prometheus::Counter>& shadow_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_METRICS_H_
