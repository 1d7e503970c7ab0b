#include "server/inference_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "engine/model_stats.h"
#include "server/grpc_status.h"
#include "server/proto_conversion.h"

namespace tinyserve::server {

grpc::ServerUnaryReactor* InferenceService::Classify(grpc::CallbackServerContext* context,
                                                     const v1::ClassifyRequest* request,
                                                     v1::ClassifyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CallContext call;
  call.deadline = context->deadline();
  call.cancelled = [context] { return context->IsCancelled(); };
  pipeline_.Classify(*request, response, std::move(call),
                     [reactor](absl::Status status) { reactor->Finish(ToGrpcStatus(status)); });
  return reactor;
}

grpc::ServerUnaryReactor* InferenceService::Compare(grpc::CallbackServerContext* context,
                                                    const v1::CompareRequest* request,
                                                    v1::CompareResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CallContext call;
  call.deadline = context->deadline();
  call.cancelled = [context] { return context->IsCancelled(); };
  pipeline_.Compare(*request, response, std::move(call),
                    [reactor](absl::Status status) { reactor->Finish(ToGrpcStatus(status)); });
  return reactor;
}

grpc::ServerUnaryReactor* InferenceService::GetShadowMismatches(
    grpc::CallbackServerContext* context, const v1::GetShadowMismatchesRequest* request,
    v1::GetShadowMismatchesResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto finish = [reactor](absl::Status status) {
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  };
  if (request->limit() < 0) {
    return finish(absl::InvalidArgumentError(
        absl::StrCat("limit must not be negative, got ", request->limit())));
  }
  // Every loaded version keeps its own shadow record; the answer merges them.
  std::vector<std::shared_ptr<const ServedModel>> versions;
  for (const auto& served : registry_.Snapshot()) {
    if (served->name() == request->model()) versions.push_back(served);
  }
  if (versions.empty()) {
    return finish(absl::NotFoundError(absl::StrCat("model '", request->model(), "' is not loaded")));
  }
  std::vector<v1::ShadowMismatch> mismatches;
  bool configured = false;
  for (const auto& served : versions) {
    const ShadowTraffic* shadow = served->shadow();
    if (shadow == nullptr) continue;
    configured = true;
    response->set_sampled(response->sampled() + shadow->sampled());
    response->set_mismatched(response->mismatched() + shadow->mismatched());
    for (v1::ShadowMismatch& m : shadow->Mismatches()) mismatches.push_back(std::move(m));
  }
  if (!configured) {
    return finish(absl::FailedPreconditionError(absl::StrCat(
        "model '", request->model(),
        "' has no shadow traffic configured (config.pbtxt: shadow { device: ... })")));
  }
  std::stable_sort(mismatches.begin(), mismatches.end(),
                   [](const v1::ShadowMismatch& a, const v1::ShadowMismatch& b) {
                     return a.unix_micros() > b.unix_micros();
                   });
  if (request->limit() > 0 && mismatches.size() > static_cast<size_t>(request->limit())) {
    mismatches.resize(static_cast<size_t>(request->limit()));
  }
  for (v1::ShadowMismatch& m : mismatches) *response->add_mismatches() = std::move(m);
  return finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::ListModels(grpc::CallbackServerContext* context,
                                                       const v1::ListModelsRequest*,
                                                       v1::ListModelsResponse* response) {
  std::map<std::string, v1::ModelSummary*> by_name;
  for (const auto& served : registry_.Snapshot()) {
    v1::ModelSummary*& summary = by_name[served->name()];
    if (summary == nullptr) {
      summary = response->add_models();
      summary->set_name(served->name());
    }
    // Snapshot is ordered by version: the last one seen is the one served by default.
    summary->add_versions(served->version());
    summary->set_kind(served->kind());
    summary->set_default_device(served->default_device());
    summary->set_description(served->config().description());
  }
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* InferenceService::GetModelMetadata(
    grpc::CallbackServerContext* context, const v1::GetModelMetadataRequest* request,
    v1::ModelMetadata* response) {
  auto* reactor = context->DefaultReactor();
  auto served = registry_.Resolve(request->model(), request->version());
  if (!served.ok()) {
    reactor->Finish(ToGrpcStatus(served.status()));
    return reactor;
  }
  const ServedModel& s = **served;
  const Model& model = s.model();
  response->set_name(s.name());
  response->set_version(s.version());
  for (int64_t v : registry_.LoadedVersions(s.name())) response->add_versions(v);
  *response->mutable_config() = s.config();
  response->mutable_config()->set_kind(s.kind());
  response->mutable_config()->set_default_device(s.default_device());
  for (int i = 0; i < model.num_inputs(); ++i) FillTensorSpec(model.input(i), response->add_inputs());
  for (int i = 0; i < model.num_outputs(); ++i) {
    FillTensorSpec(model.output(i), response->add_outputs());
  }
  for (const std::string& label : s.labels()) response->add_labels(label);
  const ModelStats stats = ComputeModelStats(model);
  for (const Operator& op : model.operators()) {
    v1::OperatorInfo* info = response->add_operators();
    info->set_index(op.index);
    info->set_op(OpTypeName(op.type));
    info->set_version(op.version);
    info->set_macs(stats.op_macs[op.index]);
  }
  response->set_total_macs(stats.total_macs);
  response->set_weight_bytes(stats.weight_bytes);
  for (const std::string& device : s.device_names()) {
    v1::DeviceArena* arena = response->add_devices();
    arena->set_device(device);
    arena->set_arena_bytes(
        static_cast<int64_t>(s.binding(device)->sessions->executable().arena_bytes()));
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* InferenceService::ListDevices(grpc::CallbackServerContext* context,
                                                        const v1::ListDevicesRequest*,
                                                        v1::ListDevicesResponse* response) {
  for (const RunningDevice* running : devices_.devices()) {
    v1::DeviceStatus* d = response->add_devices();
    d->set_name(running->info.name);
    d->set_kind(running->info.kind);
    d->set_description(running->info.description);
    const DeviceHealth health = running->health();
    switch (health.state) {
      case DeviceState::kUp:
        d->set_state(v1::DeviceStatus::UP);
        break;
      case DeviceState::kDown:
        d->set_state(v1::DeviceStatus::DOWN);
        break;
      case DeviceState::kRecovering:
        d->set_state(v1::DeviceStatus::RECOVERING);
        break;
    }
    d->set_state_reason(health.reason);
    for (const std::string& c : running->info.capabilities) d->add_capabilities(c);
    d->set_queue_depth(running->scheduler->depth());
    d->set_queue_capacity(running->scheduler->capacity());
  }
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace tinyserve::server
