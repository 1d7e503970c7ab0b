#include "server/stats_api.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/http_query.h"

namespace tinyserve::server {
namespace {

using nlohmann::json;

template <typename T>
json OrNull(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json PointJson(const LivePoint& p, int queue_depth) {
  return {{"t", p.unix_second * 1000},
          {"requests", p.requests},
          {"errors", p.errors},
          {"latency_p50_us", OrNull(p.latency_p50_us)},
          {"latency_p99_us", OrNull(p.latency_p99_us)},
          {"device_p50_us", OrNull(p.device_p50_us)},
          {"queue_depth", queue_depth},
          {"input_sqnr_db", OrNull(p.input_sqnr_db)},
          {"input_non_finite", p.input_non_finite},
          {"outputs_at_rails", p.outputs_at_rails},
          {"saturation_events", OrNull(p.saturation_events)},
          {"estimated_chip_us", OrNull(p.estimated_chip_us)},
          {"compare", p.compare},
          {"compare_mismatches", p.compare_mismatches},
          {"shadow_sampled", p.shadow_sampled},
          {"shadow_mismatches", p.shadow_mismatches}};
}

// Strings from the repository or a request may hold invalid UTF-8: replaced
// (U+FFFD), never an exception.
std::string DumpJson(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

HttpReply BadRequest(const std::string& message) {
  return {400, "application/json", DumpJson(json{{"error", message}})};
}

}  // namespace

HttpReply StatsApi::Handle(const HttpRequest& request) const {
  absl::StatusOr<std::vector<HttpQueryParameter>> parameters = ParseHttpQuery(request.query);
  if (!parameters.ok()) return BadRequest(std::string(parameters.status().message()));
  // Unknown parameters are ignored.
  absl::StatusOr<std::optional<int>> window = QueryIntParameter(
      *parameters, "window", kMinStatsWindowSeconds, kLiveStatsRetentionSeconds);
  if (!window.ok()) return BadRequest(std::string(window.status().message()));
  return {200, "application/json", Render(window->value_or(kDefaultStatsWindowSeconds))};
}

std::string StatsApi::Render(int window_seconds) const {
  const int64_t now_ms = LiveNowUnixMillis();
  // Complete seconds only: the current one is still filling.
  const int64_t last = now_ms / 1000 - 1;
  const int64_t first = last - window_seconds + 1;

  json devices = json::array();
  for (const RunningDevice* running : devices_.devices()) {
    const DeviceHealth health = running->health();
    devices.push_back({{"name", running->info.name},
                       {"kind", running->info.kind},
                       {"state", DeviceStateName(health.state)},
                       {"state_reason", health.reason},
                       {"queue_depth", running->scheduler->depth()},
                       {"queue_capacity", running->scheduler->capacity()},
                       {"capabilities", running->info.capabilities}});
  }

  json series = json::array();
  for (const auto& served : registry_.Snapshot()) {
    const ShadowTraffic* shadow = served->shadow();
    for (const std::string& device : served->device_names()) {
      const LiveSeries& live = served->binding(device)->metrics->live();
      json points = json::array();
      for (const LivePoint& p : live.Points(first, last)) {
        points.push_back(PointJson(p, queue_depths_.At(device, p.unix_second)));
      }
      const LiveTotals t = live.Totals();
      json totals = {{"requests", t.requests},
                     {"errors_by_code", t.errors_by_code},
                     {"input_non_finite", t.input_non_finite},
                     {"compare",
                      {{"exact", t.compare_exact},
                       {"differs", t.compare_differs},
                       {"top1_differs", t.compare_top1_differs}}}};
      // Only series that can be a primary carry shadow totals.
      if (shadow != nullptr && shadow->device() != device) {
        totals["shadow"] = {{"device", shadow->device()},
                            {"sampled", t.shadow_sampled},
                            {"mismatched", t.shadow_mismatched}};
      }
      series.push_back({{"model", served->name()},
                        {"version", served->version()},
                        {"device", device},
                        {"points", std::move(points)},
                        {"totals", std::move(totals)}});
    }
  }
  json doc = {{"now_unix_ms", now_ms},
              {"uptime_seconds", static_cast<double>(now_ms - started_unix_ms_) / 1000.0},
              {"window_seconds", window_seconds},
              {"devices", std::move(devices)},
              {"series", std::move(series)}};
  return DumpJson(doc);
}

}  // namespace tinyserve::server
