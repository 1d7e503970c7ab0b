// The path of one Classify request: resolve the model version and device,
// validate and quantize the input, queue on the device, run, post-process, and
// record metrics. Independent of gRPC: the service adapts calls to it.
#ifndef TINYSERVE_SERVER_CLASSIFY_PIPELINE_H_
#define TINYSERVE_SERVER_CLASSIFY_PIPELINE_H_

#include <chrono>
#include <functional>

#include "absl/status/status.h"
#include "server/device_manager.h"
#include "server/metrics.h"
#include "server/model_registry.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::server {

struct CallContext {
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  std::function<bool()> cancelled;  // may be empty
};

class ClassifyPipeline {
 public:
  ClassifyPipeline(const ModelRegistry& registry, const DeviceManager& devices,
                   ServerMetrics& metrics, int default_top_k = 5)
      : registry_(registry), devices_(devices), metrics_(metrics), default_top_k_(default_top_k) {}

  // Calls `done` exactly once: inline when the request fails before queueing,
  // otherwise on the device's worker thread. `request` and `response` must stay
  // valid until then.
  void Classify(const v1::ClassifyRequest& request, v1::ClassifyResponse* response,
                CallContext call, std::function<void(absl::Status)> done) const;

 private:
  const ModelRegistry& registry_;
  const DeviceManager& devices_;
  ServerMetrics& metrics_;
  const int default_top_k_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_CLASSIFY_PIPELINE_H_
