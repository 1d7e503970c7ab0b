// One prepared input run on one device for one model version: queue on the
// device's scheduler, run on a pooled session, post-process into an
// InferResult (outputs, top-k or score, request figures) and record the
// request's metrics. Classify runs one, Compare one per device, shadow traffic
// one more after the caller has been answered.
#ifndef TINYSERVE_SERVER_DEVICE_RUN_H_
#define TINYSERVE_SERVER_DEVICE_RUN_H_

#include <chrono>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "server/inference_types.h"
#include "server/request_input.h"
#include "server/served_model.h"

namespace tinyserve::server {

// The caller's side of a request: when it arrived, its deadline, whether it
// was cancelled.
struct CallContext {
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  std::function<bool()> cancelled;  // may be empty
};

struct DeviceRun {
  std::shared_ptr<const ServedModel> served;
  const DeviceBinding* binding = nullptr;  // of `served`
  std::shared_ptr<const PreparedInput> input;
  int top_k = 1;
  CallContext call;
  // Filled when the run succeeds; must stay valid until `done` is called.
  InferResult* result = nullptr;
  // Whether the outcome counts as a request of (model, version, device) in
  // Prometheus and the live stats; shadow runs do not.
  bool record_request = true;
  // Queue slots this run may take on the device: 0 for the whole queue; less
  // keeps room for other traffic (shadow runs).
  int max_queue_depth = 0;
  // Called exactly once with the outcome: inline when the queue refuses the
  // run (RESOURCE_EXHAUSTED, UNAVAILABLE), else on the device's worker thread.
  std::function<void(absl::Status)> done;
};

void SubmitDeviceRun(DeviceRun run);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_DEVICE_RUN_H_
