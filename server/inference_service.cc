#include "server/inference_service.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/model_stats.h"
#include "server/grpc_status.h"
#include "server/proto_conversion.h"
#include "server/raw_request.h"
#include "server/request_names.h"
#include "server/v1_conversion.h"

namespace tinyserve::server {

namespace {

CallContext ContextOf(grpc::CallbackServerContext* context) {
  CallContext call;
  call.deadline = context->deadline();
  call.cancelled = [context] { return context->IsCancelled(); };
  return call;
}

}  // namespace

grpc::ServerUnaryReactor* InferenceService::Classify(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return RawUnary<v1::ClassifyRequest, v1::ClassifyResponse>(
      context, request, response,
      [this, context](const v1::ClassifyRequest& request, v1::ClassifyResponse* response,
                      std::function<void(absl::Status)> done) {
        auto result = std::make_shared<InferResult>();
        pipeline_.Classify(FromV1(request), result.get(), ContextOf(context),
                           [result, response, done = std::move(done)](absl::Status status) {
                             if (status.ok()) ToV1(*result, response);
                             done(std::move(status));
                           });
      });
}

grpc::ServerUnaryReactor* InferenceService::Compare(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return RawUnary<v1::CompareRequest, v1::CompareResponse>(
      context, request, response,
      [this, context](const v1::CompareRequest& request, v1::CompareResponse* response,
                      std::function<void(absl::Status)> done) {
        auto result = std::make_shared<CompareResult>();
        pipeline_.Compare(FromV1(request), result.get(), ContextOf(context),
                          [result, response, done = std::move(done)](absl::Status status) {
                            if (status.ok()) ToV1(*result, response);
                            done(std::move(status));
                          });
      });
}

grpc::ServerUnaryReactor* InferenceService::GetShadowMismatches(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return RawUnary<v1::GetShadowMismatchesRequest, v1::GetShadowMismatchesResponse>(
      context, request, response,
      [this](const v1::GetShadowMismatchesRequest& request,
             v1::GetShadowMismatchesResponse* response, std::function<void(absl::Status)> done) {
        done(ShadowMismatches(request, response));
      });
}

grpc::ServerUnaryReactor* InferenceService::GetModelMetadata(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return RawUnary<v1::GetModelMetadataRequest, v1::ModelMetadata>(
      context, request, response,
      [this](const v1::GetModelMetadataRequest& request, v1::ModelMetadata* response,
             std::function<void(absl::Status)> done) { done(ModelMetadata(request, response)); });
}

absl::Status InferenceService::ShadowMismatches(const v1::GetShadowMismatchesRequest& request,
                                                v1::GetShadowMismatchesResponse* response) const {
  if (absl::Status names = CheckRequestNames(request); !names.ok()) return names;
  if (request.limit() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must not be negative, got ", request.limit()));
  }
  // Every loaded version keeps its own shadow record; the answer merges them.
  std::vector<std::shared_ptr<const ServedModel>> versions;
  for (const auto& served : registry_.Snapshot()) {
    if (served->name() == request.model()) versions.push_back(served);
  }
  if (versions.empty()) {
    return absl::NotFoundError(absl::StrCat("model '", request.model(), "' is not loaded"));
  }
  std::vector<ShadowMismatchRecord> mismatches;
  bool configured = false;
  for (const auto& served : versions) {
    const ShadowTraffic* shadow = served->shadow();
    if (shadow == nullptr) continue;
    configured = true;
    response->set_sampled(response->sampled() + shadow->sampled());
    response->set_mismatched(response->mismatched() + shadow->mismatched());
    for (ShadowMismatchRecord& m : shadow->Mismatches()) mismatches.push_back(std::move(m));
  }
  if (!configured) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model '", request.model(),
        "' has no shadow traffic configured (config.pbtxt: shadow { device: ... })"));
  }
  std::stable_sort(mismatches.begin(), mismatches.end(),
                   [](const ShadowMismatchRecord& a, const ShadowMismatchRecord& b) {
                     return a.unix_micros > b.unix_micros;
                   });
  if (request.limit() > 0 && mismatches.size() > static_cast<size_t>(request.limit())) {
    mismatches.resize(static_cast<size_t>(request.limit()));
  }
  for (const ShadowMismatchRecord& m : mismatches) *response->add_mismatches() = ToV1(m);
  MakeStringsValidUtf8(*response);
  return absl::OkStatus();
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
  // One model's bad string must not fail the listing of every model.
  MakeStringsValidUtf8(*response);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

absl::Status InferenceService::ModelMetadata(const v1::GetModelMetadataRequest& request,
                                             v1::ModelMetadata* response) const {
  if (absl::Status names = CheckRequestNames(request); !names.ok()) return names;
  auto served = registry_.Resolve(request.model(), request.version());
  if (!served.ok()) return served.status();
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
  // Labels, config strings and tensor names come from files: a bad byte in
  // one must not make the model's metadata unreadable.
  MakeStringsValidUtf8(*response);
  return absl::OkStatus();
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
  // Descriptions and reasons may hold text a board reported.
  MakeStringsValidUtf8(*response);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace tinyserve::server
