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

// Requests arrive as bytes (server/raw_request.h), so a name that is not
// valid UTF-8 gets INVALID_ARGUMENT rather than gRPC's bare UNIMPLEMENTED.
class AdminService final
    : public v1::Admin::WithRawCallbackMethod_LoadModel<
          v1::Admin::WithRawCallbackMethod_UnloadModel<v1::Admin::CallbackService>> {
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
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UnloadModel(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

 private:
  struct Job {
    grpc::CallbackServerContext* context;
    std::function<absl::Status()> work;      // fills the response
    std::function<void(absl::Status)> done;  // ends the call
  };
  // Queues `work` for the loader, which ends the call with done(its status).
  void Enqueue(grpc::CallbackServerContext* context, std::function<absl::Status()> work,
               std::function<void(absl::Status)> done);
  void RunLoader();
  // One Admin call: parse the request, check its model name, then run
  // `work(request, response)` on the loader thread.
  template <typename Request, typename Response, typename Work>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request_bytes,
                                  grpc::ByteBuffer* response_bytes, Work work);

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
