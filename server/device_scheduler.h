// One device's bounded queue and its worker threads. Devices never share a
// queue or a worker, so a slow device cannot hold up another's traffic.
#ifndef TINYSERVE_SERVER_DEVICE_SCHEDULER_H_
#define TINYSERVE_SERVER_DEVICE_SCHEDULER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace tinyserve::server {

struct DeviceTask {
  // Checked when a worker takes the task: an expired deadline or a cancelled
  // call is not run (DEADLINE_EXCEEDED / CANCELLED go to `run` instead).
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  std::function<bool()> cancelled;
  // Runs on a worker thread with OK, or with the reason it was not run.
  std::function<void(absl::Status)> run;
  // Optional per-model cap on this device: counts this task while queued.
  std::atomic<int>* model_queued = nullptr;
  int model_capacity = 0;  // 0: no per-model cap
  // Refused unless the queue holds fewer than this many tasks (0: the
  // capacity): low-priority work leaves the rest of the queue to others.
  int max_depth = 0;
};

class DeviceScheduler {
 public:
  DeviceScheduler(std::string device, int capacity, int workers);
  ~DeviceScheduler();  // Shutdown()

  // Queues the task, or RESOURCE_EXHAUSTED at once when the device's queue (or
  // the model's share of it) is full, UNAVAILABLE when shutting down or while
  // the device is unavailable (SetAvailability).
  absl::Status Submit(DeviceTask task);

  // While `status` is not OK (the device is DOWN or RECOVERING) new tasks are
  // refused with it, and every task already queued is answered with it at
  // once, on the calling thread. OK takes tasks again. Tasks a worker already
  // took are the device's business (its Invoke fails or finishes).
  void SetAvailability(absl::Status status);

  int depth() const { return depth_.load(std::memory_order_relaxed); }
  // Tasks queued or running: what a new task waits behind (choosing a board).
  int load() const { return depth() + running_.load(std::memory_order_relaxed); }
  int capacity() const { return capacity_; }
  const std::string& device() const { return device_; }

  // Stops taking tasks, runs the queued ones, joins the workers.
  void Shutdown();

 private:
  void WorkerLoop();

  const std::string device_;
  const int capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<DeviceTask> queue_;
  bool stopping_ = false;
  absl::Status unavailable_;  // OK while the device takes work
  std::atomic<int> depth_{0};
  std::atomic<int> running_{0};
  std::vector<std::thread> workers_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_DEVICE_SCHEDULER_H_
