// gRPC adapter of KServe v2 (inference.GRPCInferenceService, Triton's wire
// form): converts messages to and from kserve::Core, which decides everything
// else. Requests arrive as bytes (server/raw_request.h), so a string that is
// not valid UTF-8 gets INVALID_ARGUMENT rather than gRPC's bare UNIMPLEMENTED.
#ifndef TINYSERVE_SERVER_KSERVE_GRPC_SERVICE_H_
#define TINYSERVE_SERVER_KSERVE_GRPC_SERVICE_H_

#include "inference/grpc_service.grpc.pb.h"
#include "server/kserve_core.h"

namespace tinyserve::server {

namespace kserve_grpc_detail {
using S = inference::GRPCInferenceService;
// Every method raw, over the callback service.
using Base = S::WithRawCallbackMethod_ServerLive<S::WithRawCallbackMethod_ServerReady<
    S::WithRawCallbackMethod_ModelReady<S::WithRawCallbackMethod_ServerMetadata<
        S::WithRawCallbackMethod_ModelMetadata<S::WithRawCallbackMethod_ModelInfer<
            S::WithRawCallbackMethod_ModelConfig<S::WithRawCallbackMethod_ModelStatistics<
                S::WithRawCallbackMethod_RepositoryIndex<
                    S::WithRawCallbackMethod_RepositoryModelLoad<
                        S::WithRawCallbackMethod_RepositoryModelUnload<
                            S::CallbackService>>>>>>>>>>>;
}  // namespace kserve_grpc_detail

class KServeGrpcService final : public kserve_grpc_detail::Base {
 public:
  explicit KServeGrpcService(kserve::Core& core) : core_(core) {}
  KServeGrpcService(const KServeGrpcService&) = delete;
  KServeGrpcService& operator=(const KServeGrpcService&) = delete;

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ModelConfig(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ModelStatistics(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RepositoryIndex(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RepositoryModelLoad(grpc::CallbackServerContext* context,
                                                const grpc::ByteBuffer* request,
                                                grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RepositoryModelUnload(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response) override;

 private:
  kserve::Core& core_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_KSERVE_GRPC_SERVICE_H_
