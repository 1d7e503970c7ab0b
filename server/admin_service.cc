#include "server/admin_service.h"

#include <utility>

#include "server/raw_request.h"
#include "server/request_names.h"

namespace tinyserve::server {

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
        loader_.Enqueue([context] { return context->IsCancelled(); },
                        [&request, response, work] { return work(request, *response); },
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
