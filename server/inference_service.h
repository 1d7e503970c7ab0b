// gRPC adapter of tinyserve.v1.Inference (callback API): converts calls to
// the pipeline and registry and back; holds no logic of its own.
#ifndef TINYSERVE_SERVER_INFERENCE_SERVICE_H_
#define TINYSERVE_SERVER_INFERENCE_SERVICE_H_

#include "absl/status/status.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/classify_pipeline.h"
#include "server/device_manager.h"
#include "server/model_registry.h"
#include "tinyserve/v1/tinyserve.grpc.pb.h"

namespace tinyserve::server {

// Classify, Compare, GetModelMetadata and GetShadowMismatches take their
// request as bytes and parse it themselves (server/raw_request.h), so a request
// protobuf refuses (a name that is not UTF-8) gets INVALID_ARGUMENT with a
// message rather than gRPC's bare UNIMPLEMENTED.
// (Composed on the plain Service, as the generated CallbackService is: a raw
// mixin stacked on CallbackService would hide its typed methods.)
using InferenceServiceBase = v1::Inference::WithCallbackMethod_ListModels<
    v1::Inference::WithCallbackMethod_ListDevices<v1::Inference::WithRawCallbackMethod_Classify<
        v1::Inference::WithRawCallbackMethod_Compare<
            v1::Inference::WithRawCallbackMethod_GetModelMetadata<
                v1::Inference::WithRawCallbackMethod_GetShadowMismatches<
                    v1::Inference::Service>>>>>>;

class InferenceService final : public InferenceServiceBase {
 public:
  InferenceService(const ClassifyPipeline& pipeline, const ModelRegistry& registry,
                   const DeviceManager& devices)
      : pipeline_(pipeline), registry_(registry), devices_(devices) {}

  grpc::ServerUnaryReactor* Classify(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const v1::ListModelsRequest* request,
                                       v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* GetModelMetadata(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListDevices(grpc::CallbackServerContext* context,
                                        const v1::ListDevicesRequest* request,
                                        v1::ListDevicesResponse* response) override;
  grpc::ServerUnaryReactor* Compare(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetShadowMismatches(grpc::CallbackServerContext* context,
                                                const grpc::ByteBuffer* request,
                                                grpc::ByteBuffer* response) override;

 private:
  absl::Status ModelMetadata(const v1::GetModelMetadataRequest& request,
                             v1::ModelMetadata* response) const;
  absl::Status ShadowMismatches(const v1::GetShadowMismatchesRequest& request,
                                v1::GetShadowMismatchesResponse* response) const;

  const ClassifyPipeline& pipeline_;
  const ModelRegistry& registry_;
  const DeviceManager& devices_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_INFERENCE_SERVICE_H_
