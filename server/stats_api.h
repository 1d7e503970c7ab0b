// GET /api/v1/stats: the live statistics as the JSON of docs/stats-api.md,
// read by the dashboard.
#ifndef TINYSERVE_SERVER_STATS_API_H_
#define TINYSERVE_SERVER_STATS_API_H_

#include <chrono>
#include <string>

#include "server/device_manager.h"
#include "server/http_server.h"
#include "server/live_stats.h"
#include "server/model_registry.h"

namespace tinyserve::server {

inline constexpr int kDefaultStatsWindowSeconds = 120;
inline constexpr int kMinStatsWindowSeconds = 10;

class StatsApi {
 public:
  StatsApi(const ModelRegistry& registry, const DeviceManager& devices,
           const QueueDepthHistory& queue_depths)
      : registry_(registry), devices_(devices), queue_depths_(queue_depths) {}

  // Query: optional window=N (seconds, 10..300; default 120), parsed by
  // ParseHttpQuery (server/http_query.h); unknown parameters are ignored. 400
  // with a JSON "error" for a malformed or over-long query, a repeated window or
  // one out of range.
  HttpReply Handle(const HttpRequest& request) const;

  // The JSON document for the last `window_seconds` complete seconds.
  std::string Render(int window_seconds) const;

 private:
  const ModelRegistry& registry_;
  const DeviceManager& devices_;
  const QueueDepthHistory& queue_depths_;
  const int64_t started_unix_ms_ = LiveNowUnixMillis();
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_STATS_API_H_
