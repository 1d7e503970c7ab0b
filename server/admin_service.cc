#include "server/admin_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/grpc_status.h"
#include "server/raw_request.h"
#include "server/request_names.h"

namespace tinyserve::server {

AdminService::AdminService(ModelRegistry& registry, std::size_t max_pending)
    : registry_(registry), max_pending_(max_pending), loader_([this] { RunLoader(); }) {}

AdminService::~AdminService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  loader_.join();
}

void AdminService::Enqueue(grpc::CallbackServerContext* context,
                           std::function<absl::Status()> work,
                           std::function<void(absl::Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && jobs_.size() < max_pending_) {
      jobs_.push_back(Job{context, std::move(work), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(absl::ResourceExhaustedError(absl::StrCat(
      "too many LoadModel/UnloadModel calls waiting (", max_pending_, "); retry later")));
}

void AdminService::RunLoader() {
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
    } else if (job.context->IsCancelled()) {
      // Its client gave up (or its deadline passed) while it waited.
      job.done(absl::CancelledError("cancelled while queued"));
    } else {
      job.done(job.work());
    }
    lock.lock();
  }
}

template <typename Request, typename Response, typename Work>
grpc::ServerUnaryReactor* AdminService::Serve(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request_bytes,
                                              grpc::ByteBuffer* response_bytes, Work work) {
  return RawUnary<Request, Response>(
      context, request_bytes, response_bytes,
      [this, context, work = std::move(work)](const Request& request, Response* response,
                                              std::function<void(absl::Status)> done) {
        if (absl::Status name = CheckRequestName("model name", request.model()); !name.ok()) {
          return done(name);
        }
        Enqueue(
            context, [&request, response, work] { return work(request, *response); },
            std::move(done));
      });
}

grpc::ServerUnaryReactor* AdminService::LoadModel(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request_bytes,
                                                  grpc::ByteBuffer* response_bytes) {
  return Serve<v1::LoadModelRequest, v1::LoadModelResponse>(
      context, request_bytes, response_bytes,
      [this](const v1::LoadModelRequest& request, v1::LoadModelResponse& response) {
        auto served = registry_.Load(request.model(), request.version());
        if (!served.ok()) return served.status();
        response.set_version((*served)->version());
        for (const std::string& d : (*served)->device_names()) response.add_devices(d);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminService::UnloadModel(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request_bytes,
                                                    grpc::ByteBuffer* response_bytes) {
  return Serve<v1::UnloadModelRequest, v1::UnloadModelResponse>(
      context, request_bytes, response_bytes,
      [this](const v1::UnloadModelRequest& request, v1::UnloadModelResponse& response) {
        auto removed = registry_.Unload(request.model(), request.version());
        if (!removed.ok()) return removed.status();
        for (int64_t v : *removed) response.add_versions(v);
        return absl::OkStatus();
      });
}

}  // namespace tinyserve::server
