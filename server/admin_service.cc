#include "server/admin_service.h"

#include "server/grpc_status.h"

namespace tinyserve::server {

// Loading compiles a model on every device: it runs on the gRPC thread, which
// is acceptable for an administrative call that happens rarely.
grpc::ServerUnaryReactor* AdminService::LoadModel(grpc::CallbackServerContext* context,
                                                  const v1::LoadModelRequest* request,
                                                  v1::LoadModelResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto served = registry_.Load(request->model(), request->version());
  if (served.ok()) {
    response->set_version((*served)->version());
    for (const std::string& d : (*served)->device_names()) response->add_devices(d);
  }
  reactor->Finish(ToGrpcStatus(served.status()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::UnloadModel(grpc::CallbackServerContext* context,
                                                    const v1::UnloadModelRequest* request,
                                                    v1::UnloadModelResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto removed = registry_.Unload(request->model(), request->version());
  if (removed.ok()) {
    for (int64_t v : *removed) response->add_versions(v);
  }
  reactor->Finish(ToGrpcStatus(removed.status()));
  return reactor;
}

}  // namespace tinyserve::server
