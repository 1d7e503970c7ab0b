#include "server/kserve_core.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/request_names.h"

#ifndef TINYSERVE_VERSION
#define TINYSERVE_VERSION "unknown"
#endif

namespace tinyserve::server::kserve {
namespace {

// "" -> 0 (the highest loaded); otherwise a positive decimal version.
absl::StatusOr<int64_t> ParseVersion(const std::string& text) {
  if (text.empty()) return 0;
  int64_t version = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, version);
  if (ec != std::errc() || ptr != end || version <= 0) {
    std::string shown = text.substr(0, 32);
    if (absl::Status name = CheckRequestName("model version", shown); !name.ok()) shown = "?";
    return absl::InvalidArgumentError(absl::StrCat(
        "model version must be empty or a positive decimal integer, got '", shown, "'"));
  }
  return version;
}

absl::Status CheckModelName(const std::string& name) {
  if (absl::Status s = CheckRequestName("model name", name); !s.ok()) return s;
  if (name.empty()) return absl::InvalidArgumentError("model name is empty");
  return absl::OkStatus();
}

// The loaded version `version` ("" the highest) of `name`, names checked.
absl::StatusOr<std::shared_ptr<const ServedModel>> ResolveModel(const ModelRegistry& registry,
                                                                const std::string& name,
                                                                const std::string& version) {
  if (absl::Status s = CheckModelName(name); !s.ok()) return s;
  auto number = ParseVersion(version);
  if (!number.ok()) return number.status();
  return registry.Resolve(name, *number);
}

std::vector<int64_t> Shape(const TensorInfo& info) {
  return std::vector<int64_t>(info.shape.begin(), info.shape.end());
}

std::vector<TensorMetadata> Tensors(const Model& model, bool inputs) {
  std::vector<TensorMetadata> out;
  const int n = inputs ? model.num_inputs() : model.num_outputs();
  for (int i = 0; i < n; ++i) {
    const TensorInfo& info = inputs ? model.input(i) : model.output(i);
    out.push_back({info.name, DatatypeName(info.type), Shape(info)});
  }
  return out;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ","), "]");
}

const char* KindName(v1::ModelKind kind) {
  switch (kind) {
    case v1::REGRESSOR:
      return "REGRESSOR";
    case v1::AUTOENCODER:
      return "AUTOENCODER";
    default:
      return "CLASSIFIER";
  }
}

// A parameter of `parameters` as an integer (int64, or a double holding
// one: JSON clients may send either); nullopt when absent.
absl::StatusOr<std::optional<int64_t>> IntParameter(const Parameters& parameters,
                                                    const std::string& key) {
  auto it = parameters.find(key);
  if (it == parameters.end()) return std::optional<int64_t>();
  if (const int64_t* i = std::get_if<int64_t>(&it->second)) return std::optional<int64_t>(*i);
  if (const double* d = std::get_if<double>(&it->second)) {
    if (std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < 1e15) {
      return std::optional<int64_t>(static_cast<int64_t>(*d));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("parameter '", key, "' must be an integer"));
}

absl::StatusOr<std::optional<std::string>> StringParameter(const Parameters& parameters,
                                                           const std::string& key) {
  auto it = parameters.find(key);
  if (it == parameters.end()) return std::optional<std::string>();
  if (const std::string* s = std::get_if<std::string>(&it->second)) {
    return std::optional<std::string>(*s);
  }
  return absl::InvalidArgumentError(absl::StrCat("parameter '", key, "' must be a string"));
}

// The request's own parameters into `out`: device, top_k, non_finite.
absl::Status ApplyParameters(const Parameters& parameters, server::InferRequest& out) {
  auto device = StringParameter(parameters, "device");
  if (!device.ok()) return device.status();
  if (device->has_value()) {
    if (absl::Status s = CheckRequestName("device name", **device); !s.ok()) return s;
    out.device = **device;
  }
  auto top_k = IntParameter(parameters, "top_k");
  if (!top_k.ok()) return top_k.status();
  if (top_k->has_value()) {
    if (**top_k < 0 || **top_k > 1'000'000) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter 'top_k' must be 0 (the model's default) or positive, got ",
                       **top_k));
    }
    out.top_k = static_cast<int>(**top_k);
  }
  auto non_finite = StringParameter(parameters, "non_finite");
  if (!non_finite.ok()) return non_finite.status();
  if (non_finite->has_value()) {
    if (**non_finite == "reject") {
      out.non_finite = NonFinitePolicy::kReject;
    } else if (**non_finite == "quantize") {
      out.non_finite = NonFinitePolicy::kQuantize;
    } else {
      return absl::InvalidArgumentError("parameter 'non_finite' must be 'reject' or 'quantize'");
    }
  }
  return absl::OkStatus();
}

// What one requested output asks for: the tensor or `classes` of its top-k.
struct OutputPlan {
  std::string name;
  int index = 0;        // model output
  int classes = 0;      // > 0: the classification extension with this count
};

// Everything an Infer call keeps until its `done`.
struct InferCall {
  std::string model_name, id;  // of the v2 request, which may be gone by `done`
  server::InferRequest request;
  std::vector<std::vector<float>> float_inputs;  // FP32 tensors, decoded
  std::vector<OutputPlan> outputs;
  server::InferResult result;
};

// Checks request tensor `tensor` against model input `info` and points
// `view` at its data (FP32 decoded into `floats`).
absl::Status BindInput(const Tensor& tensor, const TensorInfo& info, InputTensorView& view,
                       std::vector<float>& floats) {
  const std::string label = absl::StrCat("input '", tensor.name, "'");
  const std::string model_type = DatatypeName(info.type);
  const bool is_float = tensor.datatype == "FP32" && info.type != DataType::kFloat32;
  if (tensor.datatype != model_type && !is_float) {
    std::string shown = tensor.datatype.substr(0, 16);
    if (!CheckRequestName("datatype", shown).ok()) shown = "?";
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": datatype '", shown, "' is not accepted; the model takes ",
                     model_type, (info.type == DataType::kFloat32 ? "" : " or FP32 (quantized)")));
  }
  const std::vector<int64_t> expected = Shape(info);
  if (tensor.shape != expected) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": shape ", ShapeText(tensor.shape),
                                                   " does not match the model's ",
                                                   ShapeText(expected)));
  }
  const size_t element_size = DatatypeSize(tensor.datatype);
  const size_t want = static_cast<size_t>(info.num_elements()) * element_size;
  if (tensor.data.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": ", tensor.data.size(), " bytes of data, expected ", want, " (",
                     info.num_elements(), " ", tensor.datatype, " elements)"));
  }
  view.name = tensor.name;
  view.label = label;
  view.shape = tensor.shape;
  view.is_float = is_float;
  if (is_float) {
    floats.resize(static_cast<size_t>(info.num_elements()));
    std::memcpy(floats.data(), tensor.data.data(), tensor.data.size());  // little-endian host
    view.values = absl::MakeConstSpan(floats);
  } else {
    view.raw = tensor.data;
  }
  return absl::OkStatus();
}

// Classifications as Triton formats them: "<value>:<index>[:<label>]", the
// value being the output element in the output's own type.
Tensor ClassificationTensor(const std::string& name, const std::vector<ClassResult>& classes,
                            int count, bool float_output) {
  Tensor out;
  out.name = name;
  out.datatype = "BYTES";
  const int n = std::min<int>(count, static_cast<int>(classes.size()));
  out.shape = {n};
  for (int i = 0; i < n; ++i) {
    const ClassResult& c = classes[static_cast<size_t>(i)];
    std::string text = float_output ? absl::StrCat(c.score) : absl::StrCat(c.raw);
    absl::StrAppend(&text, ":", c.index);
    if (!c.label.empty()) absl::StrAppend(&text, ":", c.label);
    const auto size = static_cast<uint32_t>(text.size());
    for (int b = 0; b < 4; ++b) out.data.push_back(static_cast<char>((size >> (8 * b)) & 0xff));
    out.data += text;
  }
  return out;
}

// The per-request metrics block, one flat map (docs/kserve.md lists the names).
Parameters FiguresParameters(const InferResult& result) {
  const RequestFigures& f = result.figures;
  Parameters p;
  p["tinyserve.device"] = f.device;
  p["tinyserve.device_kind"] = f.device_kind;
  p["tinyserve.model_kind"] = std::string(KindName(result.kind));
  p["tinyserve.queue_us"] = f.stages.queue * 1e6;
  p["tinyserve.quantize_us"] = f.stages.quantize * 1e6;
  p["tinyserve.device_us"] = f.stages.device * 1e6;
  p["tinyserve.postprocess_us"] = f.stages.postprocess * 1e6;
  p["tinyserve.total_us"] = f.stages.total * 1e6;
  if (f.device_cycles) p["tinyserve.device_cycles"] = *f.device_cycles;
  if (f.estimated_chip_us) p["tinyserve.estimated_chip_us"] = *f.estimated_chip_us;
  if (f.device_saturation_events) {
    p["tinyserve.device_saturation_events"] = *f.device_saturation_events;
  }
  p["tinyserve.input_scale"] = static_cast<double>(f.input_scale);
  p["tinyserve.input_zero_point"] = f.input_zero_point;
  p["tinyserve.output_at_rails"] = f.output_at_rails;
  if (f.float_input) {
    // An exact quantization has infinite SQNR: left out (JSON has no infinity).
    if (f.input_sqnr_db && std::isfinite(*f.input_sqnr_db)) {
      p["tinyserve.input_sqnr_db"] = *f.input_sqnr_db;
    }
    p["tinyserve.input_clipped"] = f.input_clipped;
    p["tinyserve.input_non_finite"] = f.input_non_finite;
  }
  if (result.score) p["tinyserve.score"] = *result.score;
  if (f.link) {
    p["tinyserve.link_bytes_out"] = f.link->bytes_out;
    p["tinyserve.link_bytes_in"] = f.link->bytes_in;
    p["tinyserve.link_host_to_board_us"] = static_cast<double>(f.link->host_to_board_ns) * 1e-3;
    p["tinyserve.link_on_board_us"] = static_cast<double>(f.link->on_board_ns) * 1e-3;
    p["tinyserve.link_board_to_host_us"] = static_cast<double>(f.link->board_to_host_ns) * 1e-3;
  }
  return p;
}

void FillResponse(const InferCall& call, InferResponse& response) {
  const InferResult& result = call.result;
  response.model_name = call.model_name;
  response.model_version = absl::StrCat(result.version != 0 ? result.version
                                                             : call.request.version);
  response.id = call.id;
  response.parameters = FiguresParameters(result);
  for (const OutputPlan& plan : call.outputs) {
    if (plan.index < 0 || static_cast<size_t>(plan.index) >= result.outputs.size()) continue;
    const OutputTensorResult& output = result.outputs[static_cast<size_t>(plan.index)];
    if (plan.classes > 0) {
      response.outputs.push_back(ClassificationTensor(
          plan.name, result.classes, plan.classes, output.info.type == DataType::kFloat32));
      continue;
    }
    Tensor tensor;
    tensor.name = output.info.name;
    tensor.datatype = DatatypeName(output.info.type);
    tensor.shape = Shape(output.info);
    tensor.data.assign(output.raw.begin(), output.raw.end());
    response.outputs.push_back(std::move(tensor));
  }
}

}  // namespace

std::string DatatypeName(DataType type) {
  switch (type) {
    case DataType::kFloat32:
      return "FP32";
    case DataType::kInt32:
      return "INT32";
    case DataType::kUInt8:
      return "UINT8";
    case DataType::kInt64:
      return "INT64";
    case DataType::kBool:
      return "BOOL";
    case DataType::kInt16:
      return "INT16";
    case DataType::kInt8:
      return "INT8";
  }
  return "INVALID";
}

size_t DatatypeSize(const std::string& datatype) {
  static const std::map<std::string, size_t> kSizes = {
      {"BOOL", 1},   {"UINT8", 1}, {"INT8", 1},  {"UINT16", 2}, {"INT16", 2}, {"FP16", 2},
      {"BF16", 2},   {"UINT32", 4}, {"INT32", 4}, {"FP32", 4},  {"UINT64", 8}, {"INT64", 8},
      {"FP64", 8}};
  auto it = kSizes.find(datatype);
  return it == kSizes.end() ? 0 : it->second;
}

Core::Core(ModelRegistry& registry, const ClassifyPipeline& pipeline, ModelLoader& loader,
           std::function<bool()> ready, const ModelRepository* repository,
           ServerMetrics* metrics)
    : registry_(registry),
      pipeline_(pipeline),
      loader_(loader),
      ready_(std::move(ready)),
      repository_(repository),
      metrics_(metrics) {}

bool Core::ServerLive() const { return true; }
bool Core::ServerReady() const { return ready_(); }

bool Core::OnDisk(const std::string& name) const {
  if (repository_ == nullptr) return false;
  auto models = repository_->ListModels();
  return models.ok() && std::find(models->begin(), models->end(), name) != models->end();
}

absl::StatusOr<bool> Core::ModelReady(const std::string& name, const std::string& version) const {
  if (absl::Status s = CheckModelName(name); !s.ok()) return s;
  auto number = ParseVersion(version);
  if (!number.ok()) return number.status();
  const std::vector<int64_t> loaded = registry_.LoadedVersions(name);
  if (loaded.empty() && !OnDisk(name)) {
    return absl::NotFoundError(absl::StrCat("model '", name, "' is not in the repository"));
  }
  if (*number == 0) return !loaded.empty();
  return std::find(loaded.begin(), loaded.end(), *number) != loaded.end();
}

ServerMetadata Core::Server() const {
  return {"tinyserve",
          TINYSERVE_VERSION,
          {"classification", "model_repository", "model_configuration", "statistics",
           "parameters", "binary_tensor_data"}};
}

absl::StatusOr<ModelMetadata> Core::Metadata(const std::string& name,
                                             const std::string& version) const {
  auto served = ResolveModel(registry_, name, version);
  if (!served.ok()) return served.status();
  ModelMetadata out;
  out.name = name;
  for (int64_t v : registry_.LoadedVersions(name)) out.versions.push_back(absl::StrCat(v));
  out.platform = kPlatform;
  out.inputs = Tensors((*served)->model(), /*inputs=*/true);
  out.outputs = Tensors((*served)->model(), /*inputs=*/false);
  return out;
}

absl::StatusOr<ModelConfig> Core::Config(const std::string& name,
                                         const std::string& version) const {
  auto served = ResolveModel(registry_, name, version);
  if (!served.ok()) return served.status();
  ModelConfig out;
  out.name = name;
  out.platform = kPlatform;
  out.backend = kBackend;
  out.max_batch_size = 0;
  out.inputs = Tensors((*served)->model(), /*inputs=*/true);
  out.outputs = Tensors((*served)->model(), /*inputs=*/false);
  return out;
}

absl::StatusOr<std::vector<ModelStatistics>> Core::Statistics(const std::string& name,
                                                              const std::string& version) const {
  if (absl::Status s = CheckRequestName("model name", name); !s.ok()) return s;
  auto number = ParseVersion(version);
  if (!number.ok()) return number.status();
  if (name.empty() && *number != 0) {
    return absl::InvalidArgumentError("a model version needs a model name");
  }
  std::vector<std::shared_ptr<const ServedModel>> versions;
  if (!name.empty()) {
    // The named version, or every loaded version of the model.
    if (*number != 0) {
      auto served = registry_.Resolve(name, *number);
      if (!served.ok()) return served.status();
      versions.push_back(*served);
    } else {
      for (const auto& served : registry_.Snapshot()) {
        if (served->name() == name) versions.push_back(served);
      }
      if (versions.empty()) {
        return absl::NotFoundError(absl::StrCat("model '", name, "' is not loaded"));
      }
    }
  } else {
    versions = registry_.Snapshot();
  }
  std::vector<ModelStatistics> out;
  for (const auto& served : versions) {
    ModelStatistics stats;
    stats.name = served->name();
    stats.version = absl::StrCat(served->version());
    for (const std::string& device : served->device_names()) {
      const DeviceBinding* binding = served->binding(device);
      if (binding == nullptr || binding->metrics == nullptr) continue;
      const RequestTotals t = binding->metrics->totals();
      stats.success.count += t.success;
      stats.success.ns += t.success_ns;
      stats.fail.count += t.fail;
      stats.fail.ns += t.fail_ns;
      stats.queue.ns += t.queue_ns;
      stats.compute_input.ns += t.quantize_ns;
      stats.compute_infer.ns += t.device_ns;
      stats.compute_output.ns += t.postprocess_ns;
      stats.last_inference_ms = std::max(stats.last_inference_ms, t.last_unix_ms);
    }
    // One inference per execution (no batching); the stages count successes.
    stats.inference_count = stats.execution_count = stats.success.count;
    stats.queue.count = stats.compute_input.count = stats.compute_infer.count =
        stats.compute_output.count = stats.success.count;
    out.push_back(std::move(stats));
  }
  return out;
}

std::vector<RepositoryEntry> Core::RepositoryIndex(bool ready_only) const {
  std::vector<RepositoryEntry> out;
  std::set<std::string> loaded;
  for (const auto& served : registry_.Snapshot()) {
    loaded.insert(served->name());
    out.push_back({served->name(), absl::StrCat(served->version()), "READY", ""});
  }
  if (!ready_only && repository_ != nullptr) {
    if (auto models = repository_->ListModels(); models.ok()) {
      for (const std::string& name : *models) {
        if (loaded.count(name) == 0) out.push_back({name, "", "UNAVAILABLE", "not loaded"});
      }
    }
    // Versions of one model keep their order.
    std::stable_sort(out.begin(), out.end(),
                     [](const RepositoryEntry& a, const RepositoryEntry& b) {
                       return a.name < b.name;
                     });
  }
  return out;
}

void Core::Load(const std::string& name, CallContext call,
                std::function<void(absl::Status)> done) {
  if (absl::Status s = CheckModelName(name); !s.ok()) return done(s);
  loader_.Enqueue(std::move(call.cancelled),
                  [this, name] { return registry_.Load(name, 0).status(); }, std::move(done));
}

void Core::Unload(const std::string& name, CallContext call,
                  std::function<void(absl::Status)> done) {
  if (absl::Status s = CheckModelName(name); !s.ok()) return done(s);
  loader_.Enqueue(std::move(call.cancelled),
                  [this, name] { return registry_.Unload(name, 0).status(); }, std::move(done));
}

void Core::Infer(const InferRequest& request, InferResponse* response, CallContext call_context,
                 std::function<void(absl::Status)> finished) const {
  // Refusals below never reach the pipeline, which counts everything else.
  auto done = [this, &finished](absl::Status status) {
    if (metrics_ != nullptr && !status.ok()) metrics_->RecordUnresolved(status.code());
    finished(std::move(status));
  };
  auto served = ResolveModel(registry_, request.model_name, request.model_version);
  if (!served.ok()) return done(served.status());
  const Model& model = (*served)->model();
  auto call = std::make_shared<InferCall>();
  call->model_name = request.model_name;
  call->id = request.id;
  server::InferRequest& run = call->request;
  run.model = request.model_name;
  run.version = (*served)->version();
  if (absl::Status s = ApplyParameters(request.parameters, run); !s.ok()) return done(s);

  // Inputs: by name, each model input exactly once.
  std::set<std::string> seen;
  call->float_inputs.resize(request.inputs.size());
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const Tensor& tensor = request.inputs[i];
    if (absl::Status s = CheckRequestName("input name", tensor.name); !s.ok()) return done(s);
    int index = -1;
    for (int m = 0; m < model.num_inputs(); ++m) {
      if (model.input(m).name == tensor.name) index = m;
    }
    if (index < 0) {
      return done(absl::InvalidArgumentError(
          absl::StrCat("model '", request.model_name, "' has no input '", tensor.name,
                       "'; its inputs: ",
                       absl::StrJoin(Tensors(model, true), ", ",
                                     [](std::string* out, const TensorMetadata& t) {
                                       out->append(t.name);
                                     }))));
    }
    if (!seen.insert(tensor.name).second) {
      return done(absl::InvalidArgumentError(
          absl::StrCat("input '", tensor.name, "' is given more than once")));
    }
    InputTensorView view;
    if (absl::Status s = BindInput(tensor, model.input(index), view, call->float_inputs[i]);
        !s.ok()) {
      return done(s);
    }
    run.inputs.push_back(std::move(view));
  }
  for (int m = 0; m < model.num_inputs(); ++m) {
    if (seen.count(model.input(m).name) == 0) {
      return done(absl::InvalidArgumentError(
          absl::StrCat("input '", model.input(m).name, "' is missing")));
    }
  }

  // Outputs: every one, or those requested (by name, once each).
  auto output_index = [&model](const std::string& name) {
    for (int o = 0; o < model.num_outputs(); ++o) {
      if (model.output(o).name == name) return o;
    }
    return -1;
  };
  if (request.outputs.empty()) {
    for (int o = 0; o < model.num_outputs(); ++o) {
      call->outputs.push_back({model.output(o).name, o, 0});
    }
  }
  std::set<std::string> requested;
  for (const RequestedOutput& wanted : request.outputs) {
    if (absl::Status s = CheckRequestName("output name", wanted.name); !s.ok()) return done(s);
    const int index = output_index(wanted.name);
    if (index < 0) {
      return done(absl::InvalidArgumentError(absl::StrCat(
          "model '", request.model_name, "' has no output '", wanted.name, "'")));
    }
    if (!requested.insert(wanted.name).second) {
      return done(absl::InvalidArgumentError(
          absl::StrCat("output '", wanted.name, "' is requested more than once")));
    }
    auto classes = IntParameter(wanted.parameters, "classification");
    if (!classes.ok()) return done(classes.status());
    OutputPlan plan{wanted.name, index, 0};
    if (classes->has_value()) {
      if (**classes <= 0 || **classes > 1'000'000) {
        return done(absl::InvalidArgumentError(absl::StrCat(
            "output '", wanted.name, "': classification must be a positive count, got ",
            **classes)));
      }
      if ((*served)->kind() != v1::CLASSIFIER || index != 0) {
        return done(absl::InvalidArgumentError(absl::StrCat(
            "output '", wanted.name,
            "': classification is only available on output 0 of a CLASSIFIER model")));
      }
      plan.classes = static_cast<int>(**classes);
      run.top_k = std::max(run.top_k, plan.classes);
    }
    call->outputs.push_back(std::move(plan));
  }

  InferCall& c = *call;
  pipeline_.Classify(c.request, &c.result, std::move(call_context),
                     [call = std::move(call), response,
                      done = std::move(finished)](absl::Status status) {
                       if (status.ok()) FillResponse(*call, *response);
                       done(status);
                     });
}

}  // namespace tinyserve::server::kserve
