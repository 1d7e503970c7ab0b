#include "server/model_loader.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tinyserve::server {

ModelLoader::ModelLoader(std::size_t max_pending)
    : max_pending_(max_pending), thread_([this] { Run(); }) {}

ModelLoader::~ModelLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ModelLoader::Enqueue(std::function<bool()> cancelled, std::function<absl::Status()> work,
                          std::function<void(absl::Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && jobs_.size() < max_pending_) {
      jobs_.push_back(Job{std::move(cancelled), std::move(work), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(absl::ResourceExhaustedError(absl::StrCat(
      "too many model load/unload calls waiting (", max_pending_, "); retry later")));
}

void ModelLoader::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, nothing left
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    const bool stopping = stopping_;
    lock.unlock();
    if (stopping) {
      job.done(absl::UnavailableError("server is shutting down"));
    } else if (job.cancelled && job.cancelled()) {
      // Its client gave up (or its deadline passed) while it waited.
      job.done(absl::CancelledError("cancelled while queued"));
    } else {
      job.done(job.work());
    }
    lock.lock();
  }
}

}  // namespace tinyserve::server
