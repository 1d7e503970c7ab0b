// gRPC adapter of tinyserve.v1.Admin: model lifecycle through the registry.
#ifndef TINYSERVE_SERVER_ADMIN_SERVICE_H_
#define TINYSERVE_SERVER_ADMIN_SERVICE_H_

#include "server/model_registry.h"
#include "tinyserve/v1/tinyserve.grpc.pb.h"

namespace tinyserve::server {

class AdminService final : public v1::Admin::CallbackService {
 public:
  explicit AdminService(ModelRegistry& registry) : registry_(registry) {}

  grpc::ServerUnaryReactor* LoadModel(grpc::CallbackServerContext* context,
                                      const v1::LoadModelRequest* request,
                                      v1::LoadModelResponse* response) override;
  grpc::ServerUnaryReactor* UnloadModel(grpc::CallbackServerContext* context,
                                        const v1::UnloadModelRequest* request,
                                        v1::UnloadModelResponse* response) override;

 private:
  ModelRegistry& registry_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_ADMIN_SERVICE_H_
