// Prometheus metrics of the server. Series for a (model, version, device) are
// built once at load into a ModelDeviceMetrics, so the request path only
// increments members (no label lookups), and removed when the last holder of
// that label set goes (the version was unloaded or replaced): model churn
// cannot grow /metrics. Label values are model and device names from the
// repository and the server's own device list, and gRPC code names: all
// bounded.
#ifndef TINYSERVE_SERVER_METRICS_H_
#define TINYSERVE_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>

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

// How one request on one device ended, and what it measured.
struct RequestOutcome {
  absl::StatusCode code = absl::StatusCode::kOk;
  StageSeconds stages;
  std::optional<double> input_sqnr_db;  // float input with a finite value
  int64_t input_non_finite = 0;         // float input: NaN and +-Inf values
  int64_t outputs_at_rails = 0;
  std::optional<int64_t> saturation_events;   // devices that report them
  std::optional<double> estimated_chip_us;    // devices that estimate it
  std::optional<LinkStats> link;              // devices behind a link (boards)
};

// Running totals of one (model, version, device) since its series were built
// (KServe v2's ModelStatistics sums them over a version's devices). Stage
// times count successful requests only, as Triton's do.
struct RequestTotals {
  uint64_t success = 0, fail = 0;        // requests
  uint64_t success_ns = 0, fail_ns = 0;  // their total server time
  uint64_t queue_ns = 0, quantize_ns = 0, device_ns = 0, postprocess_ns = 0;
  uint64_t last_unix_ms = 0;  // when the last request finished; 0: none yet
};

class ServerMetrics;

// The metrics of one model version on one device: a holder of its Prometheus
// series (shared with any other holder of the same labels: a reload of the
// same version, a snapshot with one more device) and its own live series.
class ModelDeviceMetrics {
 public:
  // One finished request (any outcome), into Prometheus and the live stats.
  // Stage times and quantization figures count for successful requests only;
  // non-finite input values count whatever the outcome.
  void RecordRequest(const RequestOutcome& outcome);
  // Non-finite input values of a request that never reached this device's
  // run (a Compare refused them).
  void RecordNonFinite(int64_t values);
  // What RecordRequest has counted so far (shared by every holder of the labels).
  RequestTotals totals() const;

  // The dashboard's per-second view of this model version on this device.
  LiveSeries& live() { return live_; }
  const LiveSeries& live() const { return live_; }

  ModelDeviceMetrics(const ModelDeviceMetrics&) = delete;
  ModelDeviceMetrics& operator=(const ModelDeviceMetrics&) = delete;
  // Removes the series when this was their last holder.
  ~ModelDeviceMetrics();

 private:
  friend class ServerMetrics;
  struct Series;
  struct LinkSeries;
  ModelDeviceMetrics(ServerMetrics& metrics, Series& series);
  prometheus::Counter& CodeCounter(absl::StatusCode code);
  void RecordTotals(const RequestOutcome& outcome);
  const LinkSeries& Link();

  ServerMetrics& metrics_;
  Series& series_;  // owned by metrics_, alive while held
  LiveSeries live_;
};

class ServerMetrics {
 public:
  ServerMetrics();
  // After every ModelDeviceMetrics it handed out.
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

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
  // is a ComparisonResultName, "dropped" or "error". Looked up once, at load,
  // after the version's ModelDeviceMetrics exist: valid while any version of
  // the model holds metrics.
  prometheus::Counter& ShadowCounter(const std::string& model, const std::string& primary,
                                     const std::string& shadow, const std::string& result);

  // Text exposition format of every metric.
  std::string Serialize();

 private:
  friend class ModelDeviceMetrics;
  using SeriesKey = std::tuple<std::string, std::string, std::string>;  // model, version, device
  struct HeldSeries {
    int holders = 0;
    std::unique_ptr<ModelDeviceMetrics::Series> series;
  };
  // Counts one more holder of the key's series (built on the first).
  ModelDeviceMetrics::Series& AcquireSeries(const SeriesKey& key);
  // One holder fewer; the last one removes the series from every family, and
  // the model's compare and shadow series when no version of it is held.
  void ReleaseSeries(ModelDeviceMetrics::Series& series);
  void RemoveSeries(ModelDeviceMetrics::Series& series);  // series_mu_ held

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
  prometheus::Family<prometheus::Counter>& non_finite_;

  std::mutex series_mu_;
  std::map<SeriesKey, HeldSeries> held_;  // guarded by series_mu_
  // Holders per model name (any version and device), and the per-model series
  // that go with its last one. Guarded by series_mu_.
  std::map<std::string, int> model_holders_;
  std::map<std::string, std::set<prometheus::Counter*>> compare_series_, shadow_series_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_METRICS_H_
