#include "server/device_scheduler.h"

#include "absl/strings/str_cat.h"

namespace tinyserve::server {

DeviceScheduler::DeviceScheduler(std::string device, int capacity, int workers)
    : device_(std::move(device)), capacity_(capacity) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

DeviceScheduler::~DeviceScheduler() { Shutdown(); }

absl::Status DeviceScheduler::Submit(DeviceTask task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      return absl::UnavailableError(absl::StrCat("device '", device_, "' is shutting down"));
    }
    if (!unavailable_.ok()) return unavailable_;
    if (static_cast<int>(queue_.size()) >= capacity_) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "device '", device_, "' queue is full (", capacity_, " requests waiting)"));
    }
    if (task.max_depth > 0 && static_cast<int>(queue_.size()) >= task.max_depth) {
      return absl::ResourceExhaustedError(absl::StrCat("device '", device_, "' queue holds ",
                                                       queue_.size(), " requests; this task may "
                                                       "only join a queue under ",
                                                       task.max_depth));
    }
    if (task.model_queued != nullptr && task.model_capacity > 0) {
      if (task.model_queued->load() >= task.model_capacity) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "device '", device_, "' queue for this model is full (", task.model_capacity,
            " requests waiting)"));
      }
      task.model_queued->fetch_add(1);
    }
    queue_.push_back(std::move(task));
    depth_.store(static_cast<int>(queue_.size()), std::memory_order_relaxed);
  }
  cv_.notify_one();
  return absl::OkStatus();
}

void DeviceScheduler::SetAvailability(absl::Status status) {
  std::deque<DeviceTask> refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    unavailable_ = status;
    if (status.ok()) return;
    refused.swap(queue_);
    depth_.store(0, std::memory_order_relaxed);
  }
  // Outside the lock: a task's callback may submit elsewhere (or here, and be refused).
  for (DeviceTask& task : refused) {
    if (task.model_queued != nullptr && task.model_capacity > 0) task.model_queued->fetch_sub(1);
    task.run(status);
  }
}

void DeviceScheduler::WorkerLoop() {
  for (;;) {
    DeviceTask task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      depth_.store(static_cast<int>(queue_.size()), std::memory_order_relaxed);
      running_.fetch_add(1, std::memory_order_relaxed);  // with the pop: load() never dips
    }
    if (task.model_queued != nullptr && task.model_capacity > 0) task.model_queued->fetch_sub(1);
    // The deadline first: when it passes, gRPC cancels the call too, and such
    // a request is counted as DEADLINE_EXCEEDED, not CANCELLED.
    absl::Status status;
    if (std::chrono::system_clock::now() >= task.deadline) {
      status = absl::DeadlineExceededError(
          absl::StrCat("deadline passed while queued for device '", device_, "'"));
    } else if (task.cancelled && task.cancelled()) {
      status = absl::CancelledError("the call was cancelled before it ran");
    }
    task.run(status);
    running_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void DeviceScheduler::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

}  // namespace tinyserve::server
