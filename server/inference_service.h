// gRPC adapter of tinyserve.v1.Inference (callback API): converts calls to
// the pipeline and registry and back; holds no logic of its own.
#ifndef TINYSERVE_SERVER_INFERENCE_SERVICE_H_
#define TINYSERVE_SERVER_INFERENCE_SERVICE_H_

#include "server/classify_pipeline.h"
#include "server/device_manager.h"
#include "server/model_registry.h"
#include "tinyserve/v1/tinyserve.grpc.pb.h"

namespace tinyserve::server {

class InferenceService final : public v1::Inference::CallbackService {
 public:
  InferenceService(const ClassifyPipeline& pipeline, const ModelRegistry& registry,
                   const DeviceManager& devices)
      : pipeline_(pipeline), registry_(registry), devices_(devices) {}

  grpc::ServerUnaryReactor* Classify(grpc::CallbackServerContext* context,
                                     const v1::ClassifyRequest* request,
                                     v1::ClassifyResponse* response) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const v1::ListModelsRequest* request,
                                       v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* GetModelMetadata(grpc::CallbackServerContext* context,
                                             const v1::GetModelMetadataRequest* request,
                                             v1::ModelMetadata* response) override;
  grpc::ServerUnaryReactor* ListDevices(grpc::CallbackServerContext* context,
                                        const v1::ListDevicesRequest* request,
                                        v1::ListDevicesResponse* response) override;
  grpc::ServerUnaryReactor* Compare(grpc::CallbackServerContext* context,
                                    const v1::CompareRequest* request,
                                    v1::CompareResponse* response) override;
  grpc::ServerUnaryReactor* GetShadowMismatches(grpc::CallbackServerContext* context,
                                                const v1::GetShadowMismatchesRequest* request,
                                                v1::GetShadowMismatchesResponse* response) override;

 private:
  const ClassifyPipeline& pipeline_;
  const ModelRegistry& registry_;
  const DeviceManager& devices_;
};

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_INFERENCE_SERVICE_H_
