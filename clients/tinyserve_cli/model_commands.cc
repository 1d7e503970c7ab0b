// tinyserve-cli models / metadata / devices / load / unload.
#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "clients/tinyserve_cli/commands.h"

namespace tinyserve::cli {

int ListModels(const Connection& c, bool json) {
  v1::Inference::Stub stub(c.channel);
  v1::ListModelsResponse response;
  const grpc::Status status = stub.ListModels(c.NewContext().get(), {}, &response);
  if (!status.ok()) return FailCall(c, status);
  if (json) {
    PrintJson(response);
    return 0;
  }
  std::printf("%-24s %-10s %-12s %-8s %s\n", "model", "versions", "kind", "device", "description");
  for (const auto& m : response.models()) {
    std::printf("%-24s %-10s %-12s %-8s %s\n", m.name().c_str(),
                absl::StrJoin(m.versions(), ",").c_str(), v1::ModelKind_Name(m.kind()).c_str(),
                m.default_device().c_str(), m.description().c_str());
  }
  return 0;
}

namespace {

std::string Spec(const v1::TensorSpec& t) {
  std::string quant;
  if (t.scale_size() == 1) {
    quant = absl::StrCat(" scale ", t.scale(0), " zero point ", t.zero_point(0));
  } else if (t.scale_size() > 1) {
    quant = absl::StrCat(" per-channel x", t.scale_size());
  }
  return absl::StrCat("'", t.name(), "' ", v1::DataType_Name(t.dtype()), "[",
                      absl::StrJoin(t.shape(), ","), "]", quant);
}

}  // namespace

int Metadata(const Connection& c, const std::string& model, int64_t version, bool json) {
  v1::Inference::Stub stub(c.channel);
  v1::ModelMetadata m;
  const grpc::Status status = GetMetadata(c, stub, model, version, &m);
  if (!status.ok()) return FailCall(c, status);
  if (json) {
    PrintJson(m);
    return 0;
  }
  std::printf("%s v%lld (loaded versions %s), %s, default device %s\n", m.name().c_str(),
              static_cast<long long>(m.version()), absl::StrJoin(m.versions(), ",").c_str(),
              v1::ModelKind_Name(m.config().kind()).c_str(), m.config().default_device().c_str());
  for (const auto& t : m.inputs()) std::printf("  input   %s\n", Spec(t).c_str());
  for (const auto& t : m.outputs()) std::printf("  output  %s\n", Spec(t).c_str());
  if (m.labels_size() > 0) {
    std::printf("  labels  %s\n", absl::StrJoin(m.labels(), ", ").c_str());
  }
  std::printf("  %d operators, %lld MACs, %lld weight bytes\n", m.operators_size(),
              static_cast<long long>(m.total_macs()), static_cast<long long>(m.weight_bytes()));
  for (const auto& d : m.devices()) {
    std::printf("  runs on %-8s arena %lld bytes\n", d.device().c_str(),
                static_cast<long long>(d.arena_bytes()));
  }
  return 0;
}

int ListDevices(const Connection& c, bool json) {
  v1::Inference::Stub stub(c.channel);
  v1::ListDevicesResponse response;
  const grpc::Status status = stub.ListDevices(c.NewContext().get(), {}, &response);
  if (!status.ok()) return FailCall(c, status);
  if (json) {
    PrintJson(response);
    return 0;
  }
  // Board names ("xcore@1-2.3") are longer than the fixed devices'.
  int name_width = 8;
  for (const auto& d : response.devices()) {
    name_width = std::max(name_width, static_cast<int>(d.name().size()));
  }
  std::printf("%-*s %-16s %-10s %-7s %s\n", name_width, "device", "kind", "state", "queue",
              "description");
  for (const auto& d : response.devices()) {
    std::string state = absl::AsciiStrToLower(v1::DeviceStatus::State_Name(d.state()));
    std::printf("%-*s %-16s %-10s %3d/%-3d %s\n", name_width, d.name().c_str(), d.kind().c_str(),
                state.c_str(), d.queue_depth(), d.queue_capacity(), d.description().c_str());
    // Why a device is not up, on its own line so the table stays readable.
    if (!d.state_reason().empty()) {
      std::printf("%-*s %s\n", name_width, "", d.state_reason().c_str());
    }
  }
  return 0;
}

int Load(const Connection& c, const std::string& model, int64_t version, bool json) {
  v1::Admin::Stub stub(c.channel);
  v1::LoadModelRequest request;
  request.set_model(model);
  request.set_version(version);
  v1::LoadModelResponse response;
  const grpc::Status status = stub.LoadModel(c.NewContext().get(), request, &response);
  if (!status.ok()) return FailCall(c, status);
  if (json) {
    PrintJson(response);
  } else {
    std::printf("loaded %s v%lld on %s\n", model.c_str(), static_cast<long long>(response.version()),
                absl::StrJoin(response.devices(), ", ").c_str());
  }
  return 0;
}

int Unload(const Connection& c, const std::string& model, int64_t version, bool json) {
  v1::Admin::Stub stub(c.channel);
  v1::UnloadModelRequest request;
  request.set_model(model);
  request.set_version(version);
  v1::UnloadModelResponse response;
  const grpc::Status status = stub.UnloadModel(c.NewContext().get(), request, &response);
  if (!status.ok()) return FailCall(c, status);
  if (json) {
    PrintJson(response);
  } else {
    std::printf("unloaded %s version(s) %s\n", model.c_str(),
                absl::StrJoin(response.versions(), ",").c_str());
  }
  return 0;
}

}  // namespace tinyserve::cli
