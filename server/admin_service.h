// gRPC adapter of tinyserve.v1.Admin: model lifecycle through the registry.
// Loads and unloads wait for the registry's load lock and compile models, so
// they run on the service's own loader thread, never on a gRPC callback
// thread: however slow a load, every other RPC keeps being answered.
#ifndef TINYSERVE_SERVER_ADMIN_SERVICE_H_
#define TINYSERVE_SERVER_ADMIN_SERVICE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "server/model_registry.h"
#include "tinyserve/v1/tinyserve.grpc.pb.h"

namespace tinyserve::server {

class AdminService final : public v1::Admin::CallbackService {
 public:
  // At most `max_pending` calls wait for the loader; more are refused
  // RESOURCE_EXHAUSTED at once.
  explicit AdminService(ModelRegistry& registry, std::size_t max_pending = 64);
  // Finishes calls still queued (UNAVAILABLE) and joins the loader. Destroy
  // after the grpc::Server has shut down.
  ~AdminService() override;
  AdminService(const AdminService&) = delete;
  AdminService& operator=(const AdminService&) = delete;

  grpc::ServerUnaryReactor* LoadModel(grpc::CallbackServerContext* context,
                                      const v1::LoadModelRequest* request,
                                      v1::LoadModelResponse* response) override;
  grpc::ServerUnaryReactor* UnloadModel(grpc::CallbackServerContext* context,
                                        const v1::UnloadModelRequest* request,
                                        v1::UnloadModelResponse* response) override;

 private:
  struct Job {
    grpc::CallbackServerContext* context;
    grpc::ServerUnaryReactor* reactor;
    std::function<grpc::Status()> work;  // fills the response
  };
  // Queues `work` for the loader, which finishes the call with its status.
  grpc::ServerUnaryReactor* Enqueue(grpc::CallbackServerContext* context,
                                    std::function<grpc::Status()> work);
  void RunLoader();

  ModelRegistry& registry_;
  const std::size_t max_pending_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;  // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread loader_;  // last: starts once everything above exists
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_ADMIN_SERVICE_H_
