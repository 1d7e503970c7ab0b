// KServe v2 over gRPC (inference.GRPCInferenceService) end to end: a C++
// client of our generated stubs against a real tinyserve process. Discovery,
// ModelInfer bit-exact with the oracle (raw and typed), FP32 quantized as
// tinyserve.v1 Classify does, parameters, the classification extension, every
// error path, statistics, and the repository calls.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "inference/grpc_service.grpc.pb.h"
#include "tests/server/server_process.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

using inference::GRPCInferenceService;
using inference::ModelInferRequest;
using inference::ModelInferResponse;

std::unique_ptr<GRPCInferenceService::Stub> V2Stub(const ServerProcess& server) {
  return GRPCInferenceService::NewStub(server.channel());
}

// One unary call with a deadline, so no call can hang a test.
template <typename Method, typename Request, typename Response>
grpc::Status Call(GRPCInferenceService::Stub& stub, Method method, const Request& request,
                  Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
  return (stub.*method)(&context, request, response);
}

std::string V2Datatype(v1::DataType type) {
  switch (type) {
    case v1::INT8:
      return "INT8";
    case v1::UINT8:
      return "UINT8";
    case v1::INT16:
      return "INT16";
    case v1::INT32:
      return "INT32";
    case v1::FLOAT32:
      return "FP32";
    case v1::INT64:
      return "INT64";
    case v1::BOOL:
      return "BOOL";
    default:
      return "?";
  }
}

v1::ModelMetadata V1Metadata(ServerProcess& server, const std::string& model) {
  v1::ModelMetadata metadata;
  const grpc::Status status = GetModelMetadata(server.inference(), model, 0, &metadata);
  EXPECT_TRUE(status.ok()) << model << ": " << status.error_message();
  return metadata;
}

// A request with one input of the model's first input as raw bytes.
ModelInferRequest RawInfer(const std::string& model, const v1::TensorSpec& input,
                           const std::vector<uint8_t>& bytes, const std::string& datatype = "") {
  ModelInferRequest request;
  request.set_model_name(model);
  auto* in = request.add_inputs();
  in->set_name(input.name());
  in->set_datatype(datatype.empty() ? V2Datatype(input.dtype()) : datatype);
  for (int32_t d : input.shape()) in->add_shape(d);
  request.add_raw_input_contents(std::string(bytes.begin(), bytes.end()));
  return request;
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// The BYTES tensor's strings (each a 4-byte little-endian length, then the bytes).
std::vector<std::string> BytesElements(const std::string& raw) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at + 4 <= raw.size()) {
    uint32_t n = 0;
    std::memcpy(&n, raw.data() + at, 4);
    at += 4;
    if (at + n > raw.size()) break;
    out.push_back(raw.substr(at, n));
    at += n;
  }
  EXPECT_EQ(at, raw.size()) << "BYTES tensor not fully consumed";
  return out;
}

class KServeGrpcTest : public SharedServerTest<KServeGrpcTest> {
 protected:
  static void SetUpTestSuite() {
    ServerConfig c;
    c.args = {"--devices", "ref,host"};
    StartServer(c);
  }
  void SetUp() override {
    SharedServerTest::SetUp();
    stub_ = V2Stub(*server_);
  }

  grpc::Status Infer(const ModelInferRequest& request, ModelInferResponse* response) {
    return Call(*stub_, &GRPCInferenceService::Stub::ModelInfer, request, response);
  }
  // Infer that must fail with `code`, its message containing `needle`.
  void ExpectInferError(const ModelInferRequest& request, grpc::StatusCode code,
                        const std::string& needle) {
    ModelInferResponse response;
    const grpc::Status status = Infer(request, &response);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_NE(status.error_message().find(needle), std::string::npos)
        << "message '" << status.error_message() << "' lacks '" << needle << "'";
  }

  std::unique_ptr<GRPCInferenceService::Stub> stub_;
};

TEST_F(KServeGrpcTest, LiveReadyAndServerMetadata) {
  inference::ServerLiveResponse live;
  ASSERT_TRUE(Call(*stub_, &GRPCInferenceService::Stub::ServerLive,
                   inference::ServerLiveRequest(), &live).ok());
  EXPECT_TRUE(live.live());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(Call(*stub_, &GRPCInferenceService::Stub::ServerReady,
                   inference::ServerReadyRequest(), &ready).ok());
  EXPECT_TRUE(ready.ready());
  inference::ServerMetadataResponse metadata;
  ASSERT_TRUE(Call(*stub_, &GRPCInferenceService::Stub::ServerMetadata,
                   inference::ServerMetadataRequest(), &metadata).ok());
  EXPECT_EQ(metadata.name(), "tinyserve");
  EXPECT_FALSE(metadata.version().empty());
  EXPECT_NE(metadata.version(), "unknown");  // the project version was compiled in
  const std::set<std::string> extensions(metadata.extensions().begin(),
                                         metadata.extensions().end());
  for (const char* e : {"classification", "model_repository", "model_configuration",
                        "statistics", "parameters"}) {
    EXPECT_TRUE(extensions.count(e)) << e;
  }
}

TEST_F(KServeGrpcTest, ModelReady) {
  auto ready = [&](const std::string& name, const std::string& version,
                   inference::ModelReadyResponse* response) {
    inference::ModelReadyRequest request;
    request.set_name(name);
    request.set_version(version);
    return Call(*stub_, &GRPCInferenceService::Stub::ModelReady, request, response);
  };
  inference::ModelReadyResponse response;
  ASSERT_TRUE(ready("hello_world_int8", "", &response).ok());
  EXPECT_TRUE(response.ready());
  ASSERT_TRUE(ready("hello_world_int8", "1", &response).ok());
  EXPECT_TRUE(response.ready());
  ASSERT_TRUE(ready("hello_world_int8", "7", &response).ok());
  EXPECT_FALSE(response.ready());
  EXPECT_EQ(ready("no_such_model", "", &response).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ready("hello_world_int8", "x1", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ready("", "", &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(KServeGrpcTest, ModelMetadataAndConfigOfEveryBundledModel) {
  for (const std::string& model : BundledModelNames()) {
    SCOPED_TRACE(model);
    const v1::ModelMetadata v1 = V1Metadata(*server_, model);
    inference::ModelMetadataRequest request;
    request.set_name(model);
    inference::ModelMetadataResponse metadata;
    const grpc::Status status =
        Call(*stub_, &GRPCInferenceService::Stub::ModelMetadata, request, &metadata);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(metadata.name(), model);
    ASSERT_EQ(metadata.versions_size(), 1);
    EXPECT_EQ(metadata.versions(0), "1");
    EXPECT_EQ(metadata.platform(), "tflite_int8");
    auto same = [](const auto& v2, const auto& v1s) {
      ASSERT_EQ(v2.size(), v1s.size());
      for (int i = 0; i < v2.size(); ++i) {
        EXPECT_EQ(v2[i].name(), v1s[i].name());
        EXPECT_EQ(v2[i].datatype(), V2Datatype(v1s[i].dtype()));
        EXPECT_EQ(std::vector<int64_t>(v2[i].shape().begin(), v2[i].shape().end()),
                  std::vector<int64_t>(v1s[i].shape().begin(), v1s[i].shape().end()));
      }
    };
    same(metadata.inputs(), v1.inputs());
    same(metadata.outputs(), v1.outputs());

    inference::ModelConfigRequest config_request;
    config_request.set_name(model);
    inference::ModelConfigResponse config;
    ASSERT_TRUE(
        Call(*stub_, &GRPCInferenceService::Stub::ModelConfig, config_request, &config).ok());
    const inference::ModelConfig& c = config.config();
    EXPECT_EQ(c.name(), model);
    EXPECT_EQ(c.platform(), "tflite_int8");
    EXPECT_EQ(c.backend(), "tinyserve");
    EXPECT_EQ(c.max_batch_size(), 0);
    ASSERT_EQ(c.input_size(), v1.inputs_size());
    ASSERT_EQ(c.output_size(), v1.outputs_size());
    for (int i = 0; i < c.input_size(); ++i) {
      EXPECT_EQ(c.input(i).name(), v1.inputs(i).name());
      EXPECT_EQ(inference::DataType_Name(c.input(i).data_type()),
                "TYPE_" + V2Datatype(v1.inputs(i).dtype()));
      EXPECT_EQ(std::vector<int64_t>(c.input(i).dims().begin(), c.input(i).dims().end()),
                std::vector<int64_t>(v1.inputs(i).shape().begin(), v1.inputs(i).shape().end()));
    }
    for (int i = 0; i < c.output_size(); ++i) {
      EXPECT_EQ(c.output(i).name(), v1.outputs(i).name());
      EXPECT_EQ(inference::DataType_Name(c.output(i).data_type()),
                "TYPE_" + V2Datatype(v1.outputs(i).dtype()));
    }
  }
  inference::ModelMetadataRequest unknown;
  unknown.set_name("no_such_model");
  inference::ModelMetadataResponse metadata;
  EXPECT_EQ(Call(*stub_, &GRPCInferenceService::Stub::ModelMetadata, unknown, &metadata)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  unknown.set_name("hello_world_int8");
  unknown.set_version("9");
  EXPECT_EQ(Call(*stub_, &GRPCInferenceService::Stub::ModelMetadata, unknown, &metadata)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  inference::ModelConfigRequest config_unknown;
  config_unknown.set_name("no_such_model");
  inference::ModelConfigResponse config;
  EXPECT_EQ(Call(*stub_, &GRPCInferenceService::Stub::ModelConfig, config_unknown, &config)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Every bundled model, every oracle vector, raw_input_contents: the outputs
// are TensorFlow Lite Micro's bit for bit; a few vectors again as typed contents.
TEST_F(KServeGrpcTest, InferMatchesTheOracleRawAndTyped) {
  int models_checked = 0;
  for (const std::string& model : BundledModelNames()) {
    SCOPED_TRACE(model);
    const auto oracle = LoadOracleOrSkip(model);
    if (!oracle) continue;
    ++models_checked;
    const v1::ModelMetadata v1 = V1Metadata(*server_, model);
    ASSERT_EQ(v1.inputs_size(), 1);
    const v1::TensorSpec& input = v1.inputs(0);
    int typed = 0;
    for (const OracleRun& v : oracle->vectors) {
      SCOPED_TRACE(v.id);
      ModelInferRequest request = RawInfer(model, input, v.input);
      request.set_id(v.id);
      ModelInferResponse response;
      grpc::Status status = Infer(request, &response);
      ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
      EXPECT_EQ(response.model_name(), model);
      EXPECT_EQ(response.model_version(), "1");
      EXPECT_EQ(response.id(), v.id);
      ASSERT_EQ(response.outputs_size(), v1.outputs_size());
      ASSERT_EQ(response.raw_output_contents_size(), response.outputs_size());
      EXPECT_EQ(response.outputs(0).name(), v1.outputs(0).name());
      EXPECT_EQ(response.outputs(0).datatype(), V2Datatype(v1.outputs(0).dtype()));
      EXPECT_EQ(std::vector<int64_t>(response.outputs(0).shape().begin(),
                                     response.outputs(0).shape().end()),
                std::vector<int64_t>(v1.outputs(0).shape().begin(), v1.outputs(0).shape().end()));
      ASSERT_EQ(Bytes(response.raw_output_contents(0)), v.output)
          << "outputs differ from TensorFlow Lite Micro's";

      if (typed++ >= 3) continue;
      // The same input as typed contents (int8 values in int_contents).
      ASSERT_EQ(input.dtype(), v1::INT8);
      ModelInferRequest typed_request = request;
      typed_request.clear_raw_input_contents();
      auto* contents = typed_request.mutable_inputs(0)->mutable_contents();
      for (uint8_t b : v.input) contents->add_int_contents(static_cast<int8_t>(b));
      ModelInferResponse typed_response;
      status = Infer(typed_request, &typed_response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_EQ(typed_response.raw_output_contents_size(), typed_response.outputs_size());
      EXPECT_EQ(Bytes(typed_response.raw_output_contents(0)), v.output);
    }
  }
  if (models_checked == 0) GTEST_SKIP() << "no oracle for any bundled model";
}

// FP32 input is quantized exactly as v1 Classify's float_input: same values,
// same outputs and the same quantization figures.
TEST_F(KServeGrpcTest, Fp32InputIsQuantizedLikeClassify) {
  for (const std::string& model : {std::string("hello_world_int8"), std::string("vww_96_int8")}) {
    SCOPED_TRACE(model);
    const v1::ModelMetadata v1 = V1Metadata(*server_, model);
    const v1::TensorSpec& input = v1.inputs(0);
    int64_t elements = 1;
    for (int32_t d : input.shape()) elements *= d;
    std::vector<float> values(static_cast<size_t>(elements));
    for (size_t i = 0; i < values.size(); ++i) {
      values[i] = static_cast<float>((i * 37) % 101) / 97.0f - 0.3f;  // some clip, most not
    }
    v1::ClassifyRequest classify;
    classify.set_model(model);
    for (float x : values) classify.mutable_float_input()->add_values(x);
    v1::ClassifyResponse expected;
    const grpc::Status v1_status = Classify(server_->inference(), classify, &expected);
    ASSERT_TRUE(v1_status.ok()) << v1_status.error_message();

    ModelInferRequest request;
    request.set_model_name(model);
    auto* in = request.add_inputs();
    in->set_name(input.name());
    in->set_datatype("FP32");
    for (int32_t d : input.shape()) in->add_shape(d);
    for (float x : values) in->mutable_contents()->add_fp32_contents(x);
    ModelInferResponse typed;
    grpc::Status status = Infer(request, &typed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(typed.raw_output_contents_size(), 1);
    EXPECT_EQ(typed.raw_output_contents(0), expected.outputs(0).raw());

    // The same floats as raw little-endian bytes.
    request.mutable_inputs(0)->clear_contents();
    std::string raw(values.size() * sizeof(float), '\0');
    std::memcpy(raw.data(), values.data(), raw.size());
    request.add_raw_input_contents(raw);
    ModelInferResponse raw_response;
    status = Infer(request, &raw_response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(raw_response.raw_output_contents(0), expected.outputs(0).raw());
    const auto& p = raw_response.parameters();
    ASSERT_TRUE(p.count("tinyserve.input_clipped"));
    EXPECT_EQ(p.at("tinyserve.input_clipped").int64_param(),
              expected.metrics().quantization().input_clipped());
  }
}

TEST_F(KServeGrpcTest, ParametersClassificationAndMetricsBlock) {
  const std::string model = "vww_96_int8";
  const v1::ModelMetadata v1 = V1Metadata(*server_, model);
  std::vector<uint8_t> zeros(static_cast<size_t>(96 * 96 * 3), 0);
  ModelInferRequest request = RawInfer(model, v1.inputs(0), zeros);
  (*request.mutable_parameters())["device"].set_string_param("host");
  (*request.mutable_parameters())["sequence_id"].set_int64_param(0);  // ignored
  auto* out = request.add_outputs();
  out->set_name(v1.outputs(0).name());
  (*out->mutable_parameters())["classification"].set_int64_param(2);
  ModelInferResponse response;
  grpc::Status status = Infer(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).datatype(), "BYTES");
  EXPECT_EQ(std::vector<int64_t>(response.outputs(0).shape().begin(),
                                 response.outputs(0).shape().end()),
            std::vector<int64_t>{2});
  const std::vector<std::string> classes = BytesElements(response.raw_output_contents(0));

  // The same top-2 from v1 Classify: "<raw value>:<index>:<label>".
  v1::ClassifyResponse expected;
  ASSERT_TRUE(
      Classify(server_->inference(), RawRequest(model, zeros, "host", 0, 2), &expected).ok());
  ASSERT_EQ(classes.size(), static_cast<size_t>(expected.classes_size()));
  for (size_t i = 0; i < classes.size(); ++i) {
    const v1::ClassScore& c = expected.classes(static_cast<int>(i));
    EXPECT_EQ(classes[i], std::to_string(c.raw()) + ":" + std::to_string(c.index()) + ":" +
                              c.label());
  }
  const auto& p = response.parameters();
  for (const char* key : {"tinyserve.device", "tinyserve.device_kind", "tinyserve.queue_us",
                          "tinyserve.quantize_us", "tinyserve.device_us",
                          "tinyserve.postprocess_us", "tinyserve.total_us",
                          "tinyserve.model_kind", "tinyserve.input_scale",
                          "tinyserve.input_zero_point", "tinyserve.output_at_rails"}) {
    EXPECT_TRUE(p.count(key)) << key;
  }
  EXPECT_EQ(p.at("tinyserve.device").string_param(), "host");
  EXPECT_EQ(p.at("tinyserve.model_kind").string_param(), "CLASSIFIER");
  EXPECT_GT(p.at("tinyserve.total_us").double_param(), 0);
  EXPECT_GE(p.at("tinyserve.total_us").double_param(), p.at("tinyserve.device_us").double_param());
  EXPECT_FALSE(p.count("tinyserve.input_sqnr_db"));  // raw input

  // top_k alone: the tensor comes back whole, classification off.
  ModelInferRequest plain = RawInfer(model, v1.inputs(0), zeros);
  (*plain.mutable_parameters())["top_k"].set_int64_param(1);
  (*plain.mutable_parameters())["device"].set_string_param("ref");
  ASSERT_TRUE(Infer(plain, &response).ok());
  EXPECT_EQ(response.outputs(0).datatype(), V2Datatype(v1.outputs(0).dtype()));
  EXPECT_EQ(response.parameters().at("tinyserve.device").string_param(), "ref");

  // A regressor reports its score.
  const v1::ModelMetadata hello = V1Metadata(*server_, "hello_world_int8");
  ASSERT_TRUE(Infer(RawInfer("hello_world_int8", hello.inputs(0), {0}), &response).ok());
  EXPECT_EQ(response.parameters().at("tinyserve.model_kind").string_param(), "REGRESSOR");
  EXPECT_TRUE(response.parameters().count("tinyserve.score"));
}

TEST_F(KServeGrpcTest, ErrorPaths) {
  const std::string model = "hello_world_int8";
  const v1::ModelMetadata v1 = V1Metadata(*server_, model);
  const v1::TensorSpec& input = v1.inputs(0);
  const ModelInferRequest good = RawInfer(model, input, {0});
  using grpc::StatusCode;

  ModelInferRequest r = good;
  r.set_model_name("no_such_model");
  ExpectInferError(r, StatusCode::NOT_FOUND, "no_such_model");
  r = good;
  r.set_model_version("9");
  ExpectInferError(r, StatusCode::NOT_FOUND, "");
  r = good;
  r.set_model_version("one");
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "version");
  r = good;
  r.set_model_name("");
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "model name");
  r = good;
  r.mutable_inputs(0)->set_datatype("UINT8");
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "datatype 'UINT8'");
  r = good;
  r.mutable_inputs(0)->add_shape(1);
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "shape");
  r = good;
  r.set_raw_input_contents(0, std::string(2, '\0'));
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "2 bytes");
  r = good;
  r.mutable_inputs(0)->set_name("nope");
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "no input 'nope'");
  r = good;
  r.clear_inputs();
  r.clear_raw_input_contents();
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "is missing");
  r = good;
  *r.add_inputs() = r.inputs(0);
  r.add_raw_input_contents(r.raw_input_contents(0));
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "more than once");
  r = good;
  r.mutable_inputs(0)->mutable_contents()->add_int_contents(0);
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "raw_input_contents");
  r = good;
  r.add_raw_input_contents(std::string(1, '\0'));
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "raw_input_contents has 2 entries");
  r = good;
  r.clear_raw_input_contents();
  r.mutable_inputs(0)->mutable_contents()->add_int_contents(128);
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "outside the range of INT8");
  r = good;
  r.clear_raw_input_contents();
  r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(0.5f);
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "int_contents");
  r = good;
  r.add_outputs()->set_name("nope");
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "no output 'nope'");
  r = good;
  (*r.add_outputs()->mutable_parameters())["classification"].set_int64_param(1);
  r.mutable_outputs(0)->set_name(v1.outputs(0).name());
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "classification");
  r = good;
  (*r.mutable_parameters())["device"].set_string_param("nosuch");
  ExpectInferError(r, StatusCode::NOT_FOUND, "nosuch");
  r = good;
  (*r.mutable_parameters())["top_k"].set_int64_param(-1);
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "top_k");
  r = good;
  (*r.mutable_parameters())["non_finite"].set_string_param("maybe");
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "non_finite");
  r = good;
  r.mutable_inputs(0)->set_name(std::string("\xff\xfe", 2));  // not UTF-8
  ExpectInferError(r, StatusCode::INVALID_ARGUMENT, "");
  ExpectStillServes();
}

// A server of its own: statistics count exactly its requests, and the
// repository calls change what is loaded.
class KServeRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InstallBundledModel(repo_.path(), "hello_world_int8");
    InstallBundledModel(repo_.path(), "vww_96_int8");
    ServerConfig c;
    c.model_repository = repo_.path();
    c.args = {"--devices", "ref"};
    auto server = ServerProcess::Start(c);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = V2Stub(*server_);
  }
  std::map<std::string, inference::RepositoryIndexResponse::ModelIndex> Index(bool ready) {
    inference::RepositoryIndexRequest request;
    request.set_ready(ready);
    inference::RepositoryIndexResponse response;
    const grpc::Status status =
        Call(*stub_, &GRPCInferenceService::Stub::RepositoryIndex, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<std::string, inference::RepositoryIndexResponse::ModelIndex> out;
    for (const auto& m : response.models()) out[m.name()] = m;
    return out;
  }

  TempDir repo_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<GRPCInferenceService::Stub> stub_;
};

TEST_F(KServeRepositoryTest, StatisticsCountTheRequestsOfBothProtocols) {
  const v1::ModelMetadata v1 = V1Metadata(*server_, "hello_world_int8");
  for (int i = 0; i < 3; ++i) {
    ModelInferResponse response;
    ASSERT_TRUE(Call(*stub_, &GRPCInferenceService::Stub::ModelInfer,
                     RawInfer("hello_world_int8", v1.inputs(0), {static_cast<uint8_t>(i)}),
                     &response)
                    .ok());
  }
  v1::ClassifyResponse classified;
  ASSERT_TRUE(
      Classify(server_->inference(), RawRequest("hello_world_int8", {7}), &classified).ok());

  inference::ModelStatisticsRequest request;
  request.set_name("hello_world_int8");
  inference::ModelStatisticsResponse stats;
  grpc::Status status =
      Call(*stub_, &GRPCInferenceService::Stub::ModelStatistics, request, &stats);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(stats.model_stats_size(), 1);
  const inference::ModelStatistics& s = stats.model_stats(0);
  EXPECT_EQ(s.name(), "hello_world_int8");
  EXPECT_EQ(s.version(), "1");
  EXPECT_EQ(s.inference_count(), 4u);
  EXPECT_EQ(s.execution_count(), 4u);
  const inference::InferStatistics& i = s.inference_stats();
  EXPECT_EQ(i.success().count(), 4u);
  EXPECT_GT(i.success().ns(), 0u);
  EXPECT_EQ(i.fail().count(), 0u);
  EXPECT_EQ(i.queue().count(), 4u);
  EXPECT_EQ(i.compute_infer().count(), 4u);
  EXPECT_GT(i.compute_infer().ns(), 0u);
  EXPECT_GE(i.success().ns(), i.compute_infer().ns());
  EXPECT_GT(s.last_inference(), 1'600'000'000'000u);  // ms since the epoch

  // /metrics counted the same four, and a v2 request refused before the
  // pipeline (unknown input name) where v1 counts its own refusals.
  ModelInferRequest bad = RawInfer("hello_world_int8", v1.inputs(0), {0});
  bad.mutable_inputs(0)->set_name("nope");
  ModelInferResponse refused;
  EXPECT_EQ(Call(*stub_, &GRPCInferenceService::Stub::ModelInfer, bad, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto metrics = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->Sum("tinyserve_requests_total",
                         {{"model", "hello_world_int8"}, {"code", "OK"}}),
            4);
  EXPECT_EQ(metrics->Sum("tinyserve_requests_total", {{"model", ""}, {"code", "INVALID_ARGUMENT"}}),
            1);

  // Every model: vww has none yet.
  request.clear_name();
  ASSERT_TRUE(Call(*stub_, &GRPCInferenceService::Stub::ModelStatistics, request, &stats).ok());
  ASSERT_EQ(stats.model_stats_size(), 2);
  for (const auto& m : stats.model_stats()) {
    if (m.name() == "vww_96_int8") {
      EXPECT_EQ(m.inference_count(), 0u);
    }
  }
  request.set_name("no_such_model");
  EXPECT_EQ(Call(*stub_, &GRPCInferenceService::Stub::ModelStatistics, request, &stats)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(KServeRepositoryTest, IndexLoadAndUnload) {
  auto index = Index(false);
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(index["vww_96_int8"].state(), "READY");
  EXPECT_EQ(index["vww_96_int8"].version(), "1");

  inference::RepositoryModelUnloadRequest unload;
  unload.set_model_name("vww_96_int8");
  inference::RepositoryModelUnloadResponse unloaded;
  grpc::Status status =
      Call(*stub_, &GRPCInferenceService::Stub::RepositoryModelUnload, unload, &unloaded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  index = Index(false);
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(index["vww_96_int8"].state(), "UNAVAILABLE");
  EXPECT_EQ(index["vww_96_int8"].version(), "");
  EXPECT_EQ(Index(true).count("vww_96_int8"), 0u);
  inference::ModelReadyRequest ready_request;
  ready_request.set_name("vww_96_int8");
  inference::ModelReadyResponse ready;
  ASSERT_TRUE(
      Call(*stub_, &GRPCInferenceService::Stub::ModelReady, ready_request, &ready).ok());
  EXPECT_FALSE(ready.ready());  // on disk, not loaded

  inference::RepositoryModelLoadRequest load;
  load.set_model_name("vww_96_int8");
  inference::RepositoryModelLoadResponse loaded;
  status = Call(*stub_, &GRPCInferenceService::Stub::RepositoryModelLoad, load, &loaded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Index(true)["vww_96_int8"].state(), "READY");
  ASSERT_TRUE(
      Call(*stub_, &GRPCInferenceService::Stub::ModelReady, ready_request, &ready).ok());
  EXPECT_TRUE(ready.ready());

  load.set_model_name("no_such_model");
  EXPECT_EQ(Call(*stub_, &GRPCInferenceService::Stub::RepositoryModelLoad, load, &loaded)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  load.set_model_name("vww_96_int8");
  (*load.mutable_parameters())["config"].set_string_param("{}");
  EXPECT_EQ(Call(*stub_, &GRPCInferenceService::Stub::RepositoryModelLoad, load, &loaded)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// int8[1,4] "x" + int8[1,4] "y" -> "z" (scale 1): a model v1 cannot feed.
std::vector<uint8_t> TwoInputModel() {
  ModelBuilder b;
  const int x = b.AddInput(tflite::TensorType_INT8, {1, 4}, PerTensor(0.5f, 0), "x");
  const int y = b.AddInput(tflite::TensorType_INT8, {1, 4}, PerTensor(0.5f, 0), "y");
  const int z = b.AddOutput(tflite::TensorType_INT8, {1, 4}, PerTensor(1.0f, 0), "z");
  b.AddOperator(OpType::kAdd, {x, y}, {z}, tflite::AddOptionsT());
  return b.Finish();
}

// Inputs are matched by name, in any order, each in its own datatype.
TEST(KServeMultiInputTest, InputsMatchByNameInAnyOrder) {
  TempDir repo;
  InstallModel(repo.path(), "two_inputs", 1, TwoInputModel());
  ServerConfig c;
  c.model_repository = repo.path();
  c.args = {"--devices", "ref"};
  auto server = ServerProcess::Start(c);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = V2Stub(**server);

  ModelInferRequest request;
  request.set_model_name("two_inputs");
  auto* y = request.add_inputs();  // y first: order does not matter
  y->set_name("y");
  y->set_datatype("FP32");  // real values, quantized with y's scale 0.5
  y->add_shape(1);
  y->add_shape(4);
  for (float v : {1.0f, 0.0f, -1.0f, 4.0f}) y->mutable_contents()->add_fp32_contents(v);
  auto* x = request.add_inputs();
  x->set_name("x");
  x->set_datatype("INT8");
  x->add_shape(1);
  x->add_shape(4);
  for (int v : {2, 4, 6, -8}) x->mutable_contents()->add_int_contents(v);
  ModelInferResponse response;
  const grpc::Status status =
      Call(*stub, &GRPCInferenceService::Stub::ModelInfer, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).name(), "z");
  // 0.5 * x + 0.5 * y_quantized: {1+1, 2+0, 3-1, -4+4}.
  EXPECT_EQ(Bytes(response.raw_output_contents(0)), (std::vector<uint8_t>{2, 2, 2, 0}));

  request.mutable_inputs()->DeleteSubrange(0, 1);  // only x
  const grpc::Status missing =
      Call(*stub, &GRPCInferenceService::Stub::ModelInfer, request, &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(missing.error_message().find("input 'y' is missing"), std::string::npos)
      << missing.error_message();
}

// With a bearer token at the default admin scope: v2's load and unload need
// it (as tinyserve.v1 Admin does); inference and discovery stay open.
TEST(KServeAuthTest, RepositoryLoadAndUnloadAreAdminScope) {
  const std::string token = "kserve-Token-0123456789";
  TempDir dir;
  WriteFile(dir.path() + "/token", token + "\n");
  ServerConfig c;
  c.args = {"--devices", "ref", "--auth_token_file", dir.path() + "/token"};
  auto server = ServerProcess::Start(c);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = V2Stub(**server);
  auto load = [&](const std::string& authorization) {
    inference::RepositoryModelLoadRequest request;
    request.set_model_name("hello_world_int8");
    inference::RepositoryModelLoadResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    return stub->RepositoryModelLoad(&context, request, &response);
  };
  EXPECT_EQ(load("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(load("Bearer wrong").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const grpc::Status loaded = load("Bearer " + token);
  EXPECT_TRUE(loaded.ok()) << loaded.error_message();

  inference::RepositoryModelUnloadRequest unload;
  unload.set_model_name("hello_world_int8");
  inference::RepositoryModelUnloadResponse unloaded;
  EXPECT_EQ(Call(*stub, &GRPCInferenceService::Stub::RepositoryModelUnload, unload, &unloaded)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const v1::ModelMetadata v1 = V1Metadata(**server, "hello_world_int8");
  ModelInferResponse response;
  const grpc::Status inferred = Call(*stub, &GRPCInferenceService::Stub::ModelInfer,
                                     RawInfer("hello_world_int8", v1.inputs(0), {0}), &response);
  EXPECT_TRUE(inferred.ok()) << inferred.error_message();
  inference::RepositoryIndexResponse index;
  EXPECT_TRUE(Call(*stub, &GRPCInferenceService::Stub::RepositoryIndex,
                   inference::RepositoryIndexRequest(), &index)
                  .ok());
}

}  // namespace
}  // namespace tinyserve::testing
