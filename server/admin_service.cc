#include "server/admin_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/grpc_status.h"

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

grpc::ServerUnaryReactor* AdminService::Enqueue(grpc::CallbackServerContext* context,
                                                std::function<grpc::Status()> work) {
  auto* reactor = context->DefaultReactor();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && jobs_.size() < max_pending_) {
      jobs_.push_back(Job{context, reactor, std::move(work)});
      wake_.notify_one();
      return reactor;
    }
  }
  reactor->Finish(grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat("too many LoadModel/UnloadModel calls waiting (", max_pending_, "); retry later")));
  return reactor;
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
      job.reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
    } else if (job.context->IsCancelled()) {
      // Its client gave up (or its deadline passed) while it waited.
      job.reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while queued"));
    } else {
      job.reactor->Finish(job.work());
    }
    lock.lock();
  }
}

grpc::ServerUnaryReactor* AdminService::LoadModel(grpc::CallbackServerContext* context,
                                                  const v1::LoadModelRequest* request,
                                                  v1::LoadModelResponse* response) {
  return Enqueue(context, [this, request, response] {
    auto served = registry_.Load(request->model(), request->version());
    if (served.ok()) {
      response->set_version((*served)->version());
      for (const std::string& d : (*served)->device_names()) response->add_devices(d);
    }
    return ToGrpcStatus(served.status());
  });
}

grpc::ServerUnaryReactor* AdminService::UnloadModel(grpc::CallbackServerContext* context,
                                                    const v1::UnloadModelRequest* request,
                                                    v1::UnloadModelResponse* response) {
  return Enqueue(context, [this, request, response] {
    auto removed = registry_.Unload(request->model(), request->version());
    if (removed.ok()) {
      for (int64_t v : *removed) response->add_versions(v);
    }
    return ToGrpcStatus(removed.status());
  });
}

}  // namespace tinyserve::server
