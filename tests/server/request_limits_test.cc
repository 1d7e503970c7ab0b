// The request side's limits end to end (issue 12 defects 2, 5, 6, 8), against
// a real tinyserve process: hostile names come back as short INVALID_ARGUMENT
// errors, NaN/Inf inputs are refused or counted (never a 200 dB SQNR), a bad
// string in a model file cannot break the listing, and model churn leaves
// /metrics the size it was. The server keeps serving after each.
#include <future>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/model_builder.h"

namespace tinyserve::testing {
namespace {

constexpr char kHello[] = "hello_world_int8";  // int8[1,1] in
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// int8[1,4] -> int8[1,4] (RELU) whose tensors are named with bytes that are
// not UTF-8: the engine reads them from the file, the repository checks do
// not look inside model.tflite.
std::vector<uint8_t> BadlyNamedModel() {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 4}, PerTensor(0.5f, 0), "in\xFF\xFE");
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 4}, PerTensor(0.5f, 0), "\xC3(out");
  b.AddOperator(OpType::kRelu, {in}, {out});
  return b.Finish();
}

class RequestLimitsTest : public SharedServerTest<RequestLimitsTest> {
 protected:
  static void SetUpTestSuite() {
    repo_ = std::make_unique<TempDir>();
    InstallBundledModel(repo_->path(), kHello);
    InstallModel(repo_->path(), "badly_named", 1, BadlyNamedModel());
    ServerConfig config;
    config.model_repository = repo_->path();
    config.args = {"--devices", "ref,host"};
    StartServer(config);
  }
  static void TearDownTestSuite() {
    server_.reset();
    repo_.reset();
  }


  static void ExpectShortInvalidArgument(const grpc::Status& status, const std::string& says) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_LE(status.error_message().size(), 1024u);
    EXPECT_TRUE(absl::StrContains(status.error_message(), says))
        << "'" << status.error_message() << "' does not say '" << says << "'";
  }

  static v1::ClassifyRequest FloatRequest(const std::string& model, std::vector<float> values,
                                          v1::NonFinitePolicy policy = v1::NON_FINITE_REJECT) {
    v1::ClassifyRequest request;
    request.set_model(model);
    request.mutable_float_input()->mutable_values()->Assign(values.begin(), values.end());
    request.set_non_finite(policy);
    return request;
  }

  static std::unique_ptr<TempDir> repo_;
};
std::unique_ptr<TempDir> RequestLimitsTest::repo_;

// --- Defect 8: names of any length or bytes --------------------------------------

TEST_F(RequestLimitsTest, HugeNamesAreShortInvalidArgumentErrors) {
  // 1 MB reset the stream (the whole name came back in the status); 9 KB
  // exceeded the client's metadata limit.
  for (size_t size : {size_t{1} << 20, size_t{9000}, size_t{129}}) {
    v1::ClassifyResponse response;
    ExpectShortInvalidArgument(
        Classify(server_->inference(), RawRequest(std::string(size, 'm'), {0}), &response),
        "model name");
    ExpectShortInvalidArgument(
        Classify(server_->inference(), RawRequest(kHello, {0}, std::string(size, 'd')), &response),
        "device name");
    v1::ModelMetadata metadata;
    ExpectShortInvalidArgument(
        GetModelMetadata(server_->inference(), std::string(size, 'm'), 0, &metadata),
        "model name");
    v1::CompareRequest compare;
    compare.set_model(kHello);
    compare.add_devices("ref");
    compare.add_devices(std::string(size, 'd'));
    compare.set_raw_input(std::string(1, '\0'));
    v1::CompareResponse compared;
    ExpectShortInvalidArgument(Compare(server_->inference(), compare, &compared), "device name");
    // The Admin API's own checks echo the name too: the cap in ToGrpcStatus
    // keeps that short.
    const grpc::Status load = LoadModel(server_->admin(), std::string(size, 'm'), 0);
    EXPECT_EQ(load.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << load.error_message();
    EXPECT_LE(load.error_message().size(), 1024u);
    ExpectStillServes();
  }
  // An empty request (every field default: zero bytes on the wire) still
  // parses, and a name at the limit is an ordinary NOT_FOUND.
  v1::ModelMetadata empty;
  EXPECT_EQ(GetModelMetadata(server_->inference(), "", 0, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ClassifyResponse response;
  EXPECT_EQ(Classify(server_->inference(), RawRequest(std::string(128, 'm'), {0}), &response)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(RequestLimitsTest, ControlCharactersInNamesAreRefused) {
  v1::ClassifyResponse response;
  ExpectShortInvalidArgument(
      Classify(server_->inference(), RawRequest("hello\nworld", {0}), &response), "control");
  ExpectStillServes();
}

// A ClassifyRequest on the wire whose model name (field 1) holds `name`,
// plus raw_input (field 5) = one zero byte: built by hand, since the C++
// client would not send a string that is not UTF-8.
grpc::ByteBuffer HandEncodedClassify(const std::string& name) {
  std::string wire;
  wire.push_back(static_cast<char>((1 << 3) | 2));
  wire.push_back(static_cast<char>(name.size()));  // names here are < 128 bytes
  wire += name;
  wire.push_back(static_cast<char>((5 << 3) | 2));
  wire.push_back(1);
  wire.push_back('\0');
  grpc::Slice slice(wire);
  return grpc::ByteBuffer(&slice, 1);
}

grpc::Status RawCall(ServerProcess& server, const std::string& method,
                     const grpc::ByteBuffer& request) {
  grpc::GenericStub stub(server.channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

grpc::Status RawClassifyCall(ServerProcess& server, const grpc::ByteBuffer& request) {
  return RawCall(server, "/tinyserve.v1.Inference/Classify", request);
}

TEST_F(RequestLimitsTest, InvalidUtf8NameIsInvalidArgumentWithAMessage) {
  // The hand encoding itself works: a valid name reaches the server.
  EXPECT_TRUE(RawClassifyCall(*server_, HandEncodedClassify(kHello)).ok());
  const grpc::Status status = RawClassifyCall(*server_, HandEncodedClassify("bad\xFF\xFE"));
  // Before: UNIMPLEMENTED with an empty message (protobuf refused to parse the
  // request, so the handler never ran).
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_FALSE(status.error_message().empty());
  EXPECT_LE(status.error_message().size(), 1024u);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "'model'")) << status.error_message();
  // Refused before protobuf parses it: no log line per such request.
  EXPECT_EQ(server_->CountInLog("invalid UTF-8"), 0) << server_->Log();
  ExpectStillServes();
}

TEST_F(RequestLimitsTest, InvalidUtf8NameOnAdminIsInvalidArgumentWithAMessage) {
  // LoadModelRequest and UnloadModelRequest carry the model name in field 1
  // too; the trailing field 5 is unknown to them and skipped.
  for (const char* method : {"/tinyserve.v1.Admin/LoadModel", "/tinyserve.v1.Admin/UnloadModel"}) {
    const grpc::Status status = RawCall(*server_, method, HandEncodedClassify("bad\xFF\xFE"));
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(), "'model'")) << status.error_message();
  }
  EXPECT_TRUE(RawCall(*server_, "/tinyserve.v1.Admin/LoadModel", HandEncodedClassify(kHello)).ok());
  ExpectStillServes();
}

// --- Defect 2 (response side): a bad string in a model file ---------------------

TEST_F(RequestLimitsTest, BadStringsInAModelFileNeverFailTheResponse) {
  v1::ListModelsResponse list;
  const grpc::Status listed = ListModels(server_->inference(), &list);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  EXPECT_EQ(list.models_size(), 2);
  v1::ModelMetadata metadata;
  const grpc::Status described = GetModelMetadata(server_->inference(), "badly_named", 0, &metadata);
  ASSERT_TRUE(described.ok()) << described.error_message();
  ASSERT_EQ(metadata.inputs_size(), 1);
  EXPECT_EQ(metadata.inputs(0).name(), "in\xEF\xBF\xBD\xEF\xBF\xBD");
  v1::ClassifyResponse response;
  const grpc::Status classified = Classify(
      server_->inference(), RawRequest("badly_named", {1, 2, 3, 4}), &response);
  ASSERT_TRUE(classified.ok()) << classified.error_message();
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).spec().name(), "\xEF\xBF\xBD(out");
}

// --- Defect 5: NaN and infinities -------------------------------------------------

TEST_F(RequestLimitsTest, NonFiniteInputIsRefusedByDefaultAndCounted) {
  auto before = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(before.ok()) << before.status();
  const Labels series = {{"model", kHello}, {"device", "ref"}};
  const double counted = before->Sum("tinyserve_input_non_finite_total", series);

  v1::ClassifyResponse response;
  for (float bad : {kNaN, kInf, -kInf}) {
    ExpectShortInvalidArgument(
        Classify(server_->inference(), FloatRequest(kHello, {bad}), &response), "float_input[0]");
  }
  auto after = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->Sum("tinyserve_input_non_finite_total", series), counted + 3);
  ExpectStillServes();
}

TEST_F(RequestLimitsTest, QuantizedNonFiniteInputHasNoSqnrAndIsCountedApart) {
  const Labels series = {{"model", kHello}, {"device", "ref"}};
  auto before = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(before.ok()) << before.status();
  const double sqnr_count = before->Sum("tinyserve_input_sqnr_db_count", series);
  const double sqnr_inf = before->Sum("tinyserve_input_sqnr_db_bucket",
                                      {{"model", kHello}, {"device", "ref"}, {"le", "+Inf"}});
  const double counted = before->Sum("tinyserve_input_non_finite_total", series);

  for (float bad : {kNaN, kInf}) {
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(
        server_->inference(), FloatRequest(kHello, {bad}, v1::NON_FINITE_QUANTIZE), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const v1::QuantizationMetrics& q = response.metrics().quantization();
    // Before: a "perfect" 200 dB (infinite) SQNR for a NaN.
    EXPECT_FALSE(q.has_input_sqnr_db()) << q.input_sqnr_db();
    EXPECT_EQ(q.input_non_finite(), 1);
    EXPECT_EQ(q.input_clipped(), 0);
  }
  auto after = ScrapeMetrics(server_->http_port());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->Sum("tinyserve_input_sqnr_db_count", series), sqnr_count);
  EXPECT_EQ(after->Sum("tinyserve_input_sqnr_db_bucket",
                       {{"model", kHello}, {"device", "ref"}, {"le", "+Inf"}}),
            sqnr_inf);
  EXPECT_EQ(after->Sum("tinyserve_input_non_finite_total", series), counted + 2);
}

// --- Defect 6: series of unloaded versions -----------------------------------------

size_t Lines(const std::string& text) {
  const std::vector<absl::string_view> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  return lines.size();
}

TEST(MetricSeriesLifecycleTest, LoadUnloadCyclesLeaveMetricsFlat) {
  TempDir repo;
  InstallBundledModel(repo.path(), kHello);
  constexpr int kCycles = 8;
  for (int v = 1; v <= kCycles; ++v) InstallBundledModel(repo.path(), kHello, v, "churn");
  ServerConfig config;
  config.model_repository = repo.path();
  config.args = {"--devices", "ref,host"};
  auto started = ServerProcess::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  // Start with churn unloaded, so each cycle loads a version and unloads it.
  ASSERT_TRUE(UnloadModel(server.admin(), "churn", 0).ok());

  auto cycle = [&](int version) {
    ASSERT_TRUE(LoadModel(server.admin(), "churn", version).ok()) << version;
    for (const std::string device : {"ref", "host"}) {
      v1::ClassifyResponse response;
      ASSERT_TRUE(
          Classify(server.inference(), RawRequest("churn", {0}, device, version), &response).ok());
      ASSERT_TRUE(Classify(server.inference(), RawRequest(kHello, {0}, device), &response).ok());
    }
    ASSERT_TRUE(UnloadModel(server.admin(), "churn", version).ok()) << version;
  };
  cycle(1);
  auto first = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(first.ok()) << first.status();
  for (int v = 2; v <= kCycles; ++v) cycle(v);
  auto last = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(last.ok()) << last.status();
  // Before: every cycle left its version's series behind (40 cycles grew
  // /metrics from 2,238 to 16,998 lines).
  EXPECT_EQ(Lines(last->body), Lines(first->body));
  EXPECT_FALSE(absl::StrContains(last->body, "model=\"churn\",version=\""));
  // The live model's series are all still there, with its requests counted.
  auto metrics = ParsedMetrics::Parse(last->body);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->Sum("tinyserve_requests_total", {{"model", kHello}, {"code", "OK"}}),
            2 * kCycles);
  EXPECT_EQ(metrics->Find("tinyserve_requests_total", {{"model", "churn"}}).size(), 0u);
}

}  // namespace
}  // namespace tinyserve::testing
