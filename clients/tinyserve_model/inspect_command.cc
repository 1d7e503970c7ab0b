// tinyserve-model inspect: what a model is made of and what it costs.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/tinyserve_model/commands.h"
#include "clients/tinyserve_model/xs3_report.h"
#include "devices/host/host_executable.h"
#include "engine/model_stats.h"
#include "nlohmann/json.hpp"

namespace tinyserve::model_tool {
namespace {

using nlohmann::json;

json TensorJson(int index, const TensorInfo& t) {
  json j = {{"index", index},       {"name", t.name},
            {"dtype", std::string(DataTypeName(t.type))},
            {"shape", t.shape},     {"bytes", t.bytes},
            {"constant", t.is_constant()}};
  if (!t.quantization.empty()) {
    j["scale"] = t.quantization.scales;
    j["zero_point"] = t.quantization.zero_points;
    if (t.quantization.per_channel()) {
      j["quantized_dimension"] = t.quantization.quantized_dimension;
    }
  }
  return j;
}

std::string Shapes(const Model& model, const std::vector<int>& tensors) {
  std::vector<std::string> parts;
  for (int t : tensors) {
    parts.push_back(t == kOptionalTensor ? "-" : TensorTypeAndShape(model.tensor(t)));
  }
  return absl::StrJoin(parts, " ");
}

std::string QuantText(const Quantization& q) {
  if (q.empty()) return "-";
  if (q.per_channel()) {
    return absl::StrCat("per-channel x", q.scales.size(), " (dim ", q.quantized_dimension, ")");
  }
  return absl::StrFormat("scale=%.9g zp=%d", q.scale(), q.zero_point());
}

// Converter-generated names can run to hundreds of characters.
std::string Abbreviate(const std::string& name) {
  constexpr size_t kMax = 64;
  return name.size() <= kMax ? name : name.substr(0, kMax - 3) + "...";
}

}  // namespace

int Inspect(const InspectArgs& args) {
  auto loaded = LoadForDevice(args.model, args.device);
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  const auto* xs3_executable = AsXs3(*loaded->executable);
  if (args.profile && !xs3_executable) {
    return Fail("--profile needs --device xs3 (device '" + args.device + "' has no cycle model)");
  }
  // On host, which kernel each op was bound to: its SIMD loops or the reference.
  const auto* host_executable = dynamic_cast<const HostExecutable*>(loaded->executable.get());
  const Model& model = *loaded->model;
  const ModelStats stats = ComputeModelStats(model);
  const size_t arena = loaded->executable->arena_bytes();
  const auto& graph = model.graph();

  if (args.json) {
    json ops = json::array();
    for (const Operator& op : model.operators()) {
      ops.push_back({{"index", op.index},
                     {"op", OpTypeName(op.type)},
                     {"version", op.version},
                     {"inputs", op.inputs},
                     {"outputs", op.outputs},
                     {"input_shapes", Shapes(model, op.inputs)},
                     {"output_shapes", Shapes(model, op.outputs)},
                     {"macs", stats.op_macs[op.index]}});
      if (host_executable) ops.back()["kernel"] = host_executable->op_kernels()[op.index];
    }
    json tensors = json::array();
    for (size_t t = 0; t < graph.tensors.size(); ++t) {
      tensors.push_back(TensorJson(static_cast<int>(t), graph.tensors[t]));
    }
    json doc = {{"model", model.name()},
                      {"path", args.model},
                      {"file_bytes", model.file_bytes()},
                      {"device", args.device},
                      {"inputs", graph.inputs},
                      {"outputs", graph.outputs},
                      {"operators", ops},
                      {"tensors", tensors},
                      {"total_macs", stats.total_macs},
                      {"weight_bytes", stats.weight_bytes},
                      {"arena_bytes", arena}};
    if (xs3_executable) {
      doc["xs3"] = Xs3ReportJson(*xs3_executable);
      if (args.profile) doc["xs3"]["profile"] = Xs3ProfileJson(*xs3_executable);
    }
    std::printf("%s\n", doc.dump(2).c_str());
    return 0;
  }

  std::printf("model %s (%s, %zu bytes)\n", model.name().c_str(), args.model.c_str(),
              model.file_bytes());
  for (int i = 0; i < model.num_inputs(); ++i) {
    std::printf("input %d:  tensor %d '%s' %s %s\n", i, graph.inputs[i],
                model.input(i).name.c_str(), TensorTypeAndShape(model.input(i)).c_str(),
                QuantText(model.input(i).quantization).c_str());
  }
  for (int i = 0; i < model.num_outputs(); ++i) {
    std::printf("output %d: tensor %d '%s' %s %s\n", i, graph.outputs[i],
                model.output(i).name.c_str(), TensorTypeAndShape(model.output(i)).c_str(),
                QuantText(model.output(i).quantization).c_str());
  }
  std::printf("\noperators (%zu):\n", model.operators().size());
  std::printf("  %3s  %-18s %3s  %12s  %s%s\n", "#", "op", "ver", "MACs",
              host_executable ? "kernel            " : "", "inputs -> outputs");
  for (const Operator& op : model.operators()) {
    const std::string kernel =
        host_executable ? absl::StrFormat("%-18s", host_executable->op_kernels()[op.index]) : "";
    std::printf("  %3d  %-18s %3d  %12lld  %s%s -> %s\n", op.index, OpTypeName(op.type).c_str(),
                op.version, static_cast<long long>(stats.op_macs[op.index]), kernel.c_str(),
                Shapes(model, op.inputs).c_str(), Shapes(model, op.outputs).c_str());
  }
  std::printf("\ntensors (%zu):\n", graph.tensors.size());
  std::printf("  %3s  %-5s %-22s %-32s %s\n", "#", "kind", "type", "quantization", "name");
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    const TensorInfo& info = graph.tensors[t];
    std::printf("  %3zu  %-5s %-22s %-32s %s\n", t, info.is_constant() ? "const" : "act",
                TensorTypeAndShape(info).c_str(), QuantText(info.quantization).c_str(),
                Abbreviate(info.name).c_str());
  }
  std::printf("\ntotal MACs:   %lld\nweight bytes: %lld\narena bytes:  %zu (device %s)\n",
              static_cast<long long>(stats.total_macs),
              static_cast<long long>(stats.weight_bytes), arena, args.device.c_str());
  if (xs3_executable) {
    std::printf("\n%s", Xs3ReportText(*xs3_executable).c_str());
    if (args.profile) std::printf("\n%s", xs3_executable->report().ProfileText().c_str());
  }
  return 0;
}

}  // namespace tinyserve::model_tool
