// The path of Classify and Compare requests: resolve the model version and
// devices, validate and quantize the input once, then one DeviceRun per device
// (server/device_run.h). Classify also starts the request's shadow run, if
// sampled, after its caller has been answered. Independent of gRPC: the
// service adapts calls to it.
#ifndef TINYSERVE_SERVER_CLASSIFY_PIPELINE_H_
#define TINYSERVE_SERVER_CLASSIFY_PIPELINE_H_

#include <functional>

#include "absl/status/status.h"
#include "server/device_manager.h"
#include "server/device_run.h"
#include "server/inference_types.h"
#include "server/metrics.h"
#include "server/model_registry.h"

namespace tinyserve::server {

class ClassifyPipeline {
 public:
  ClassifyPipeline(const ModelRegistry& registry, const DeviceManager& devices,
                   ServerMetrics& metrics, int default_top_k = 5)
      : registry_(registry), devices_(devices), metrics_(metrics), default_top_k_(default_top_k) {}

  // Calls `done` exactly once: inline when the request fails before queueing,
  // otherwise on the device's worker thread. `request`'s views must stay
  // valid until this returns; `result` until `done`, and it is not touched after.
  void Classify(const InferRequest& request, InferResult* result, CallContext call,
                std::function<void(absl::Status)> done) const;

  // The same input on every requested device (each through its own queue,
  // with the call's deadline and cancellation), then every pair compared.
  // `done` as for Classify, once the last device has answered; a device that
  // fails fails the call (with that device's status, naming it) and skips the
  // runs still queued on the others.
  void Compare(const CompareRequest& request, CompareResult* result, CallContext call,
               std::function<void(absl::Status)> done) const;

 private:
  absl::StatusOr<int> ResolveTopK(const ServedModel& served, int requested) const;

  const ModelRegistry& registry_;
  const DeviceManager& devices_;
  ServerMetrics& metrics_;
  const int default_top_k_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_CLASSIFY_PIPELINE_H_
