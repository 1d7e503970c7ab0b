// gRPC adapter of tinyserve.v1.Admin: model lifecycle through the registry,
// run on the server's ModelLoader thread (never on a gRPC callback thread).
#ifndef TINYSERVE_SERVER_ADMIN_SERVICE_H_
#define TINYSERVE_SERVER_ADMIN_SERVICE_H_

#include "server/model_loader.h"
#include "server/model_registry.h"
#include "tinyserve/v1/tinyserve.grpc.pb.h"

namespace tinyserve::server {

// Requests arrive as bytes (server/raw_request.h), so a name that is not
// valid UTF-8 gets INVALID_ARGUMENT rather than gRPC's bare UNIMPLEMENTED.
class AdminService final
    : public v1::Admin::WithRawCallbackMethod_LoadModel<
          v1::Admin::WithRawCallbackMethod_UnloadModel<v1::Admin::CallbackService>> {
 public:
  AdminService(ModelRegistry& registry, ModelLoader& loader)
      : registry_(registry), loader_(loader) {}
  AdminService(const AdminService&) = delete;
  AdminService& operator=(const AdminService&) = delete;

  grpc::ServerUnaryReactor* LoadModel(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UnloadModel(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

 private:
  // One Admin call: parse the request, check its model name, then run
  // `work(request, response)` on the loader thread.
  template <typename Request, typename Response, typename Work>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request_bytes,
                                  grpc::ByteBuffer* response_bytes, Work work);

  ModelRegistry& registry_;
  ModelLoader& loader_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_ADMIN_SERVICE_H_
