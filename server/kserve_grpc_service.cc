#include "server/kserve_grpc_service.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/raw_request.h"
#include "server/request_names.h"

namespace tinyserve::server {
namespace {

using inference::InferParameter;
using inference::InferTensorContents;

CallContext ContextOf(grpc::CallbackServerContext* context) {
  CallContext call;
  call.deadline = context->deadline();
  call.cancelled = [context] { return context->IsCancelled(); };
  return call;
}

kserve::Parameters FromProto(const google::protobuf::Map<std::string, InferParameter>& in) {
  kserve::Parameters out;
  for (const auto& [key, value] : in) {
    switch (value.parameter_choice_case()) {
      case InferParameter::kBoolParam:
        out[key] = value.bool_param();
        break;
      case InferParameter::kInt64Param:
        out[key] = value.int64_param();
        break;
      case InferParameter::kStringParam:
        out[key] = value.string_param();
        break;
      case InferParameter::kDoubleParam:
        out[key] = value.double_param();
        break;
      case InferParameter::kUint64Param:
        if (value.uint64_param() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          out[key] = static_cast<int64_t>(value.uint64_param());
        } else {
          out[key] = static_cast<double>(value.uint64_param());
        }
        break;
      case InferParameter::PARAMETER_CHOICE_NOT_SET:
        break;
    }
  }
  return out;
}

void ToProto(const kserve::Parameters& in,
             google::protobuf::Map<std::string, InferParameter>* out) {
  for (const auto& [key, value] : in) {
    InferParameter& p = (*out)[key];
    if (const bool* b = std::get_if<bool>(&value)) p.set_bool_param(*b);
    if (const int64_t* i = std::get_if<int64_t>(&value)) p.set_int64_param(*i);
    if (const double* d = std::get_if<double>(&value)) p.set_double_param(*d);
    if (const std::string* s = std::get_if<std::string>(&value)) p.set_string_param(*s);
  }
}

template <typename T>
void AppendLittleEndian(T value, std::string& out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // the server runs little-endian (as the engine)
  out.append(bytes, sizeof(T));
}

// Integers of `values` as `T`, each range-checked.
template <typename T, typename Values>
absl::Status PackIntegers(const Values& values, const std::string& label, const char* datatype,
                          std::string& out) {
  for (int i = 0; i < values.size(); ++i) {
    const auto v = values.Get(i);
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": element ", i, " is ", v,
                                                     ", outside the range of ", datatype));
    }
    AppendLittleEndian(static_cast<T>(v), out);
  }
  return absl::OkStatus();
}

int ContentsCount(const InferTensorContents& c) {
  return c.bool_contents_size() + c.int_contents_size() + c.int64_contents_size() +
         c.uint_contents_size() + c.uint64_contents_size() + c.fp32_contents_size() +
         c.fp64_contents_size() + c.bytes_contents_size();
}

// Typed contents as little-endian bytes of `datatype`.
absl::Status PackContents(const InferTensorContents& c, const std::string& datatype,
                          const std::string& label, std::string& out) {
  int used = 0;
  absl::Status status;
  if (datatype == "INT8") {
    used = c.int_contents_size();
    status = PackIntegers<int8_t>(c.int_contents(), label, "INT8", out);
  } else if (datatype == "INT16") {
    used = c.int_contents_size();
    status = PackIntegers<int16_t>(c.int_contents(), label, "INT16", out);
  } else if (datatype == "INT32") {
    used = c.int_contents_size();
    status = PackIntegers<int32_t>(c.int_contents(), label, "INT32", out);
  } else if (datatype == "UINT8") {
    used = c.uint_contents_size();
    status = PackIntegers<uint8_t>(c.uint_contents(), label, "UINT8", out);
  } else if (datatype == "INT64") {
    used = c.int64_contents_size();
    status = PackIntegers<int64_t>(c.int64_contents(), label, "INT64", out);
  } else if (datatype == "FP32") {
    used = c.fp32_contents_size();
    for (float v : c.fp32_contents()) AppendLittleEndian(v, out);
  } else if (datatype == "BOOL") {
    used = c.bool_contents_size();
    for (bool v : c.bool_contents()) out.push_back(v ? 1 : 0);
  } else {
    // The core names the datatypes the model takes.
    return absl::OkStatus();
  }
  if (!status.ok()) return status;
  if (used != ContentsCount(c)) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": contents of datatype ", datatype, " go in ",
                     datatype == "FP32"   ? "fp32_contents"
                     : datatype == "BOOL" ? "bool_contents"
                     : datatype == "UINT8" ? "uint_contents"
                     : datatype == "INT64" ? "int64_contents"
                                           : "int_contents",
                     " only"));
  }
  return absl::OkStatus();
}

absl::Status FromProto(const inference::ModelInferRequest& in, kserve::InferRequest& out) {
  out.model_name = in.model_name();
  out.model_version = in.model_version();
  out.id = in.id();
  out.parameters = FromProto(in.parameters());
  const bool raw = in.raw_input_contents_size() > 0;
  if (raw && in.raw_input_contents_size() != in.inputs_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "raw_input_contents has ", in.raw_input_contents_size(), " entries for ",
        in.inputs_size(), " inputs: give one per input, in order, or none"));
  }
  for (int i = 0; i < in.inputs_size(); ++i) {
    const auto& input = in.inputs(i);
    if (absl::Status s = CheckRequestName("input name", input.name()); !s.ok()) return s;
    kserve::Tensor tensor;
    tensor.name = input.name();
    tensor.datatype = input.datatype();
    tensor.shape.assign(input.shape().begin(), input.shape().end());
    tensor.parameters = FromProto(input.parameters());
    const std::string label = absl::StrCat("input '", tensor.name, "'");
    if (raw) {
      if (input.has_contents() && ContentsCount(input.contents()) > 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            label, " has typed contents while the request uses raw_input_contents; use one"));
      }
      tensor.data = in.raw_input_contents(i);
    } else if (absl::Status s = PackContents(input.contents(), tensor.datatype, label, tensor.data);
               !s.ok()) {
      return s;
    }
    out.inputs.push_back(std::move(tensor));
  }
  for (const auto& output : in.outputs()) {
    out.outputs.push_back({output.name(), FromProto(output.parameters())});
  }
  return absl::OkStatus();
}

void ToProto(const kserve::InferResponse& in, inference::ModelInferResponse& out) {
  out.set_model_name(in.model_name);
  out.set_model_version(in.model_version);
  out.set_id(in.id);
  ToProto(in.parameters, out.mutable_parameters());
  for (const kserve::Tensor& tensor : in.outputs) {
    auto* output = out.add_outputs();
    output->set_name(tensor.name);
    output->set_datatype(tensor.datatype);
    for (int64_t d : tensor.shape) output->add_shape(d);
    ToProto(tensor.parameters, output->mutable_parameters());
    out.add_raw_output_contents(tensor.data);
  }
}

void ToProto(const std::vector<kserve::TensorMetadata>& in,
             google::protobuf::RepeatedPtrField<
                 inference::ModelMetadataResponse::TensorMetadata>* out) {
  for (const kserve::TensorMetadata& t : in) {
    auto* m = out->Add();
    m->set_name(t.name);
    m->set_datatype(t.datatype);
    for (int64_t d : t.shape) m->add_shape(d);
  }
}

inference::DataType ConfigDataType(const std::string& datatype) {
  inference::DataType type = inference::TYPE_INVALID;
  if (!inference::DataType_Parse(absl::StrCat("TYPE_", datatype), &type)) {
    return inference::TYPE_INVALID;
  }
  return type;
}

void ToProto(const kserve::Duration& in, inference::StatisticDuration* out) {
  out->set_count(in.count);
  out->set_ns(in.ns);
}

}  // namespace

grpc::ServerUnaryReactor* KServeGrpcService::ServerLive(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return RawUnary<inference::ServerLiveRequest, inference::ServerLiveResponse>(
      context, request, response,
      [this](const inference::ServerLiveRequest&, inference::ServerLiveResponse* out,
             std::function<void(absl::Status)> done) {
        out->set_live(core_.ServerLive());
        done(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::ServerReady(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return RawUnary<inference::ServerReadyRequest, inference::ServerReadyResponse>(
      context, request, response,
      [this](const inference::ServerReadyRequest&, inference::ServerReadyResponse* out,
             std::function<void(absl::Status)> done) {
        out->set_ready(core_.ServerReady());
        done(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::ModelReady(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return RawUnary<inference::ModelReadyRequest, inference::ModelReadyResponse>(
      context, request, response,
      [this](const inference::ModelReadyRequest& in, inference::ModelReadyResponse* out,
             std::function<void(absl::Status)> done) {
        auto ready = core_.ModelReady(in.name(), in.version());
        if (!ready.ok()) return done(ready.status());
        out->set_ready(*ready);
        done(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::ServerMetadata(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return RawUnary<inference::ServerMetadataRequest, inference::ServerMetadataResponse>(
      context, request, response,
      [this](const inference::ServerMetadataRequest&, inference::ServerMetadataResponse* out,
             std::function<void(absl::Status)> done) {
        const kserve::ServerMetadata metadata = core_.Server();
        out->set_name(metadata.name);
        out->set_version(metadata.version);
        for (const std::string& e : metadata.extensions) out->add_extensions(e);
        done(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::ModelMetadata(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return RawUnary<inference::ModelMetadataRequest, inference::ModelMetadataResponse>(
      context, request, response,
      [this](const inference::ModelMetadataRequest& in, inference::ModelMetadataResponse* out,
             std::function<void(absl::Status)> done) {
        auto metadata = core_.Metadata(in.name(), in.version());
        if (!metadata.ok()) return done(metadata.status());
        out->set_name(metadata->name);
        for (const std::string& v : metadata->versions) out->add_versions(v);
        out->set_platform(metadata->platform);
        ToProto(metadata->inputs, out->mutable_inputs());
        ToProto(metadata->outputs, out->mutable_outputs());
        done(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::ModelInfer(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return RawUnary<inference::ModelInferRequest, inference::ModelInferResponse>(
      context, request, response,
      [this, context](const inference::ModelInferRequest& in, inference::ModelInferResponse* out,
                      std::function<void(absl::Status)> done) {
        // The converted request lives until Infer returns (it copies what it
        // keeps); the response until `done`.
        kserve::InferRequest converted;
        if (absl::Status s = FromProto(in, converted); !s.ok()) return done(s);
        auto result = std::make_shared<kserve::InferResponse>();
        kserve::InferResponse* result_ptr = result.get();
        core_.Infer(converted, result_ptr, ContextOf(context),
                    [result = std::move(result), out, done = std::move(done)](absl::Status s) {
                      if (s.ok()) ToProto(*result, *out);
                      done(s);
                    });
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::ModelConfig(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return RawUnary<inference::ModelConfigRequest, inference::ModelConfigResponse>(
      context, request, response,
      [this](const inference::ModelConfigRequest& in, inference::ModelConfigResponse* out,
             std::function<void(absl::Status)> done) {
        auto config = core_.Config(in.name(), in.version());
        if (!config.ok()) return done(config.status());
        inference::ModelConfig* c = out->mutable_config();
        c->set_name(config->name);
        c->set_platform(config->platform);
        c->set_backend(config->backend);
        c->set_max_batch_size(config->max_batch_size);
        for (const kserve::TensorMetadata& t : config->inputs) {
          auto* input = c->add_input();
          input->set_name(t.name);
          input->set_data_type(ConfigDataType(t.datatype));
          for (int64_t d : t.shape) input->add_dims(d);
        }
        for (const kserve::TensorMetadata& t : config->outputs) {
          auto* output = c->add_output();
          output->set_name(t.name);
          output->set_data_type(ConfigDataType(t.datatype));
          for (int64_t d : t.shape) output->add_dims(d);
        }
        done(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::ModelStatistics(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return RawUnary<inference::ModelStatisticsRequest, inference::ModelStatisticsResponse>(
      context, request, response,
      [this](const inference::ModelStatisticsRequest& in, inference::ModelStatisticsResponse* out,
             std::function<void(absl::Status)> done) {
        auto stats = core_.Statistics(in.name(), in.version());
        if (!stats.ok()) return done(stats.status());
        for (const kserve::ModelStatistics& s : *stats) {
          auto* m = out->add_model_stats();
          m->set_name(s.name);
          m->set_version(s.version);
          m->set_last_inference(s.last_inference_ms);
          m->set_inference_count(s.inference_count);
          m->set_execution_count(s.execution_count);
          auto* i = m->mutable_inference_stats();
          ToProto(s.success, i->mutable_success());
          ToProto(s.fail, i->mutable_fail());
          ToProto(s.queue, i->mutable_queue());
          ToProto(s.compute_input, i->mutable_compute_input());
          ToProto(s.compute_infer, i->mutable_compute_infer());
          ToProto(s.compute_output, i->mutable_compute_output());
        }
        done(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::RepositoryIndex(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return RawUnary<inference::RepositoryIndexRequest, inference::RepositoryIndexResponse>(
      context, request, response,
      [this](const inference::RepositoryIndexRequest& in, inference::RepositoryIndexResponse* out,
             std::function<void(absl::Status)> done) {
        for (const kserve::RepositoryEntry& e : core_.RepositoryIndex(in.ready())) {
          auto* m = out->add_models();
          m->set_name(e.name);
          m->set_version(e.version);
          m->set_state(e.state);
          m->set_reason(e.reason);
        }
        done(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::RepositoryModelLoad(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return RawUnary<inference::RepositoryModelLoadRequest, inference::RepositoryModelLoadResponse>(
      context, request, response,
      [this, context](const inference::RepositoryModelLoadRequest& in,
                      inference::RepositoryModelLoadResponse*,
                      std::function<void(absl::Status)> done) {
        // Triton's load parameters replace the config or the model files;
        // tinyserve loads what its repository holds.
        if (!in.parameters().empty()) {
          return done(absl::InvalidArgumentError(
              "RepositoryModelLoad parameters (config or file overrides) are not supported"));
        }
        core_.Load(in.model_name(), ContextOf(context), std::move(done));
      });
}

grpc::ServerUnaryReactor* KServeGrpcService::RepositoryModelUnload(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return RawUnary<inference::RepositoryModelUnloadRequest,
                  inference::RepositoryModelUnloadResponse>(
      context, request, response,
      [this, context](const inference::RepositoryModelUnloadRequest& in,
                      inference::RepositoryModelUnloadResponse*,
                      std::function<void(absl::Status)> done) {
        // unload_dependents: tinyserve models have no dependents; ignored.
        core_.Unload(in.model_name(), ContextOf(context), std::move(done));
      });
}

}  // namespace tinyserve::server
