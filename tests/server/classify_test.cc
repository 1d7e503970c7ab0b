// End to end against a real tinyserve process: Classify on every bundled model
// and the oracle's inputs (raw and float), post-processing by model kind, and
// the discovery calls (ListModels, GetModelMetadata, ListDevices).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/model_builder.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

// One server on the bundled repository for the whole suite.
class BundledServerTest : public SharedServerTest<BundledServerTest> {
 protected:
  static void SetUpTestSuite() {
    ServerConfig c;
    c.args = {"--devices", "ref"};  // these tests check what `ref` reports
    StartServer(c);
  }
};

int8_t AsInt8(uint8_t b) { return static_cast<int8_t>(b); }

// What models/<model>/config.pbtxt says (defaults when absent), read here
// independently of the server.
v1::ModelConfig BundledConfig(const std::string& model) {
  v1::ModelConfig config;
  std::ifstream in(BundledModelsDir() + "/" + model + "/config.pbtxt");
  if (!in) return config;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text.str(), &config)) << model;
  return config;
}

v1::ModelKind KindOf(const v1::ModelConfig& config) {
  return config.kind() == v1::MODEL_KIND_UNSPECIFIED ? v1::CLASSIFIER : config.kind();
}

// The labels file of a bundled model, one label per line; empty when none.
std::vector<std::string> BundledLabels(const std::string& model, const v1::ModelConfig& config) {
  const std::string file = config.labels_file().empty() ? "labels.txt" : config.labels_file();
  std::ifstream in(BundledModelsDir() + "/" + model + "/" + file);
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

// top_k when a request leaves it 0: the config's, else the server's default 5.
size_t DefaultTopK(const v1::ModelConfig& config) {
  return config.default_top_k() > 0 ? static_cast<size_t>(config.default_top_k()) : 5;
}

// The expected top-k of int8 outputs: by value descending, lower index first.
std::vector<int> ExpectedTopK(const std::vector<uint8_t>& output, size_t k) {
  std::vector<int> order(output.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return AsInt8(output[a]) > AsInt8(output[b]); });
  order.resize(std::min(k, order.size()));
  return order;
}

int64_t CountAtRails(const std::vector<uint8_t>& output) {
  return std::count_if(output.begin(), output.end(), [](uint8_t b) {
    return AsInt8(b) == -128 || AsInt8(b) == 127;
  });
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// The response's metrics block is filled consistently.
void ExpectMetricsBlock(const v1::ClassifyResponse& response, const std::string& device,
                        const std::string& kind, const std::string& context) {
  SCOPED_TRACE(context);
  ASSERT_TRUE(response.has_metrics());
  const v1::RequestMetrics& m = response.metrics();
  EXPECT_EQ(m.device(), device);
  EXPECT_EQ(m.device_kind(), kind);
  const v1::LatencyMicros& l = m.latency_us();
  EXPECT_GT(l.device(), 0);
  EXPECT_GT(l.total(), 0);
  EXPECT_GE(l.queue(), 0);
  EXPECT_GE(l.quantize(), 0);
  EXPECT_GE(l.postprocess(), 0);
  EXPECT_GE(l.total(), l.device());
  // The stages are disjoint intervals of the request's time on the server.
  EXPECT_GE(l.total() + 1e-3, l.queue() + l.quantize() + l.device() + l.postprocess());
  EXPECT_FALSE(m.has_device_cycles());  // ref reports no cycles
  EXPECT_FALSE(m.has_estimated_chip_us());
}

TEST_F(BundledServerTest, EveryBundledModelMatchesTheOracleBitExact) {
  int models_checked = 0;
  for (const std::string& model : BundledModelNames()) {
    SCOPED_TRACE(model);
    const auto oracle = LoadOracleOrSkip(model);
    if (!oracle) continue;
    ++models_checked;
    const v1::ModelConfig config = BundledConfig(model);
    const std::vector<std::string> labels = BundledLabels(model, config);
    for (const OracleRun& v : oracle->vectors) {
      SCOPED_TRACE(v.id);
      v1::ClassifyResponse response;
      const grpc::Status status =
          Classify(server_->inference(), RawRequest(model, v.input), &response);
      ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
      EXPECT_EQ(response.model(), model);
      EXPECT_EQ(response.version(), 1);
      EXPECT_EQ(response.kind(), KindOf(config));
      ASSERT_EQ(response.outputs_size(), 1);
      const v1::OutputTensor& out = response.outputs(0);
      ASSERT_EQ(Bytes(out.raw()), v.output) << "outputs differ from TensorFlow Lite Micro's";
      ASSERT_EQ(out.values_size(), static_cast<int>(v.output.size()));
      ASSERT_EQ(out.spec().scale_size(), 1);
      ASSERT_EQ(out.spec().zero_point_size(), 1);
      const float scale = out.spec().scale(0);
      const int64_t zp = out.spec().zero_point(0);
      for (size_t i = 0; i < v.output.size(); ++i) {
        EXPECT_FLOAT_EQ(out.values(i), scale * static_cast<float>(AsInt8(v.output[i]) - zp));
      }
      switch (KindOf(config)) {
        case v1::REGRESSOR:
          EXPECT_EQ(response.classes_size(), 0);
          ASSERT_TRUE(response.has_score());
          EXPECT_FLOAT_EQ(static_cast<float>(response.score()), out.values(0));
          break;
        case v1::AUTOENCODER: {
          EXPECT_EQ(response.classes_size(), 0);
          ASSERT_TRUE(response.has_score());
          ASSERT_EQ(v.input.size(), v.output.size());
          double sum = 0;
          for (size_t i = 0; i < v.input.size(); ++i) {
            const double x = oracle->input_scale * (AsInt8(v.input[i]) - oracle->input_zero_point);
            const double d = x - out.values(i);
            sum += d * d;
          }
          const double mse = sum / static_cast<double>(v.input.size());
          EXPECT_NEAR(response.score(), mse, 1e-5 * mse + 1e-9);
          break;
        }
        default: {
          // Top-k: the config's default (or fewer classes), descending, lower index first.
          EXPECT_FALSE(response.has_score());
          const std::vector<int> top = ExpectedTopK(v.output, DefaultTopK(config));
          ASSERT_EQ(response.classes_size(), static_cast<int>(top.size()));
          for (size_t i = 0; i < top.size(); ++i) {
            EXPECT_EQ(response.classes(i).index(), top[i]) << "rank " << i;
            EXPECT_EQ(response.classes(i).raw(), AsInt8(v.output[top[i]]));
            EXPECT_FLOAT_EQ(response.classes(i).score(), out.values(top[i]));
            EXPECT_EQ(response.classes(i).label(),
                      static_cast<size_t>(top[i]) < labels.size() ? labels[top[i]] : "");
          }
        }
      }
      ExpectMetricsBlock(response, "ref", "cpu-reference", v.id);
      const v1::QuantizationMetrics& q = response.metrics().quantization();
      EXPECT_FLOAT_EQ(q.input_scale(), static_cast<float>(oracle->input_scale));
      EXPECT_EQ(q.input_zero_point(), oracle->input_zero_point);
      EXPECT_FALSE(q.has_input_sqnr_db()) << "raw input has no quantization error to report";
      EXPECT_EQ(q.input_clipped(), 0);
      EXPECT_EQ(q.output_at_rails(), CountAtRails(v.output));
    }
  }
  if (models_checked == 0) GTEST_SKIP() << "no oracle for any bundled model";
}

// Dequantizes int8 input bytes the way a client holding the metadata would.
std::vector<float> DequantizeInput(const std::vector<uint8_t>& bytes, float scale, int64_t zp) {
  std::vector<float> values(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    values[i] = scale * static_cast<float>(AsInt8(bytes[i]) - zp);
  }
  return values;
}

v1::ClassifyRequest FloatRequest(const std::string& model, const std::vector<float>& values) {
  v1::ClassifyRequest request;
  request.set_model(model);
  request.mutable_float_input()->mutable_values()->Assign(values.begin(), values.end());
  return request;
}

TEST_F(BundledServerTest, FloatInputRequantizesToTheOracleInput) {
  int models_checked = 0;
  for (const std::string& model : BundledModelNames()) {
    SCOPED_TRACE(model);
    const auto oracle = LoadOracleOrSkip(model);
    if (!oracle) continue;
    ++models_checked;
    v1::ModelMetadata metadata;
    ASSERT_TRUE(GetModelMetadata(server_->inference(), model, 0, &metadata).ok());
    ASSERT_EQ(metadata.inputs_size(), 1);
    ASSERT_EQ(metadata.inputs(0).scale_size(), 1);
    const float scale = metadata.inputs(0).scale(0);
    const int64_t zp = metadata.inputs(0).zero_point(0);
    // The first few vectors of every set (a sweep contributes its first runs).
    for (size_t i = 0; i < oracle->vectors.size() && i < 16; ++i) {
      const OracleRun& v = oracle->vectors[i];
      SCOPED_TRACE(v.id);
      v1::ClassifyResponse response;
      const grpc::Status status = Classify(
          server_->inference(), FloatRequest(model, DequantizeInput(v.input, scale, zp)),
          &response);
      ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
      ASSERT_EQ(response.outputs_size(), 1);
      EXPECT_EQ(Bytes(response.outputs(0).raw()), v.output);
      const v1::QuantizationMetrics& q = response.metrics().quantization();
      ASSERT_TRUE(q.has_input_sqnr_db());
      // Exact up to float rounding of the dequantized values: +inf or ~150 dB.
      EXPECT_GE(q.input_sqnr_db(), 100.0);
      EXPECT_EQ(q.input_clipped(), 0);
      EXPECT_FLOAT_EQ(q.input_scale(), scale);
      EXPECT_EQ(q.input_zero_point(), zp);
      ExpectMetricsBlock(response, "ref", "cpu-reference", v.id);
    }
  }
  if (models_checked == 0) GTEST_SKIP() << "no oracle for any bundled model";
}

TEST_F(BundledServerTest, FloatInputOutOfRangeReportsClippedValues) {
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata(server_->inference(), "kws_ref_model", 0, &metadata).ok());
  const float scale = metadata.inputs(0).scale(0);
  const int64_t zp = metadata.inputs(0).zero_point(0);
  int64_t elements = 1;
  for (int d : metadata.inputs(0).shape()) elements *= d;
  // Values well inside the range, except 3 far above and 2 far below it.
  std::vector<float> values(static_cast<size_t>(elements), 0.0f);
  for (size_t i = 0; i < values.size(); ++i) values[i] = scale * static_cast<float>(i % 40);
  values[0] = 1e6f;
  values[7] = 1e9f;
  values[100] = scale * (127 - zp + 5);  // 5 steps past the top
  values[200] = -1e6f;
  values[300] = scale * (-128 - zp - 3);  // 3 steps past the bottom
  v1::ClassifyResponse response;
  const grpc::Status status =
      Classify(server_->inference(), FloatRequest("kws_ref_model", values), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::QuantizationMetrics& q = response.metrics().quantization();
  EXPECT_EQ(q.input_clipped(), 5);
  ASSERT_TRUE(q.has_input_sqnr_db());
  EXPECT_TRUE(std::isfinite(q.input_sqnr_db()));
  // The saturated values must have produced the same bytes as the clamped raw input.
  std::vector<uint8_t> raw(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const long v = std::lround(values[i] / scale) + zp;
    raw[i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(v, -128L, 127L)));
  }
  v1::ClassifyResponse raw_response;
  ASSERT_TRUE(Classify(server_->inference(), RawRequest("kws_ref_model", raw), &raw_response).ok());
  ASSERT_EQ(raw_response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).raw(), raw_response.outputs(0).raw());
}

TEST_F(BundledServerTest, ListModelsNamesEveryBundledModel) {
  v1::ListModelsResponse response;
  ASSERT_TRUE(ListModels(server_->inference(), &response).ok());
  std::vector<std::string> names;
  for (const auto& m : response.models()) {
    names.push_back(m.name());
    EXPECT_EQ(std::vector<int64_t>(m.versions().begin(), m.versions().end()),
              std::vector<int64_t>{1})
        << m.name();
    const v1::ModelConfig config = BundledConfig(m.name());
    EXPECT_EQ(m.kind(), KindOf(config)) << m.name();
    EXPECT_EQ(m.description(), config.description()) << m.name();
    EXPECT_EQ(m.default_device(), "ref") << m.name();
  }
  EXPECT_EQ(names, BundledModelNames());
}

TEST_F(BundledServerTest, GetModelMetadataDescribesEveryModel) {
  for (const std::string& model : BundledModelNames()) {
    SCOPED_TRACE(model);
    v1::ModelMetadata m;
    const grpc::Status status = GetModelMetadata(server_->inference(), model, 0, &m);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(m.name(), model);
    EXPECT_EQ(m.version(), 1);
    EXPECT_EQ(std::vector<int64_t>(m.versions().begin(), m.versions().end()),
              std::vector<int64_t>{1});
    const v1::ModelConfig config = BundledConfig(model);
    EXPECT_EQ(m.config().kind(), KindOf(config));
    EXPECT_EQ(m.config().default_top_k(), config.default_top_k());
    EXPECT_EQ(m.config().description(), config.description());
    EXPECT_EQ(m.config().image().color_space(), config.image().color_space());
    EXPECT_FLOAT_EQ(m.config().image().pixel_scale(), config.image().pixel_scale());
    EXPECT_EQ(m.config().default_device(), "ref");
    ASSERT_EQ(m.inputs_size(), 1);
    ASSERT_EQ(m.outputs_size(), 1);
    for (const v1::TensorSpec* t : {&m.inputs(0), &m.outputs(0)}) {
      EXPECT_EQ(t->dtype(), v1::INT8);
      EXPECT_FALSE(t->name().empty());
      EXPECT_GT(t->shape_size(), 0);
      ASSERT_EQ(t->scale_size(), 1);
      EXPECT_GT(t->scale(0), 0);
      EXPECT_EQ(t->zero_point_size(), 1);
    }
    std::string why;
    if (const auto oracle = LoadOracle(model, &why)) {
      EXPECT_EQ(std::vector<int>(m.inputs(0).shape().begin(), m.inputs(0).shape().end()),
                oracle->input_shape);
      EXPECT_FLOAT_EQ(m.inputs(0).scale(0), static_cast<float>(oracle->input_scale));
      EXPECT_EQ(m.inputs(0).zero_point(0), oracle->input_zero_point);
    }
    const std::vector<std::string> labels = BundledLabels(model, config);
    EXPECT_EQ(std::vector<std::string>(m.labels().begin(), m.labels().end()), labels);
    if (KindOf(config) == v1::CLASSIFIER && !labels.empty()) {
      // One label per class of output 0.
      int64_t classes = 1;
      for (int d : m.outputs(0).shape()) classes *= d;
      EXPECT_EQ(static_cast<int64_t>(labels.size()), classes);
    }
    ASSERT_GT(m.operators_size(), 0);
    int64_t macs = 0;
    for (int i = 0; i < m.operators_size(); ++i) {
      const v1::OperatorInfo& op = m.operators(i);
      EXPECT_EQ(op.index(), i);
      EXPECT_FALSE(op.op().empty());
      EXPECT_GE(op.version(), 1);
      EXPECT_GE(op.macs(), 0);
      macs += op.macs();
    }
    EXPECT_GT(m.total_macs(), 0);
    EXPECT_EQ(m.total_macs(), macs);
    EXPECT_GT(m.weight_bytes(), 0);
    ASSERT_EQ(m.devices_size(), 1);
    EXPECT_EQ(m.devices(0).device(), "ref");
    EXPECT_GT(m.devices(0).arena_bytes(), 0);
  }
}

TEST_F(BundledServerTest, ListDevicesDescribesRef) {
  v1::ListDevicesResponse response;
  ASSERT_TRUE(ListDevices(server_->inference(), &response).ok());
  ASSERT_EQ(response.devices_size(), 1);
  const v1::DeviceStatus& d = response.devices(0);
  EXPECT_EQ(d.name(), "ref");
  EXPECT_EQ(d.kind(), "cpu-reference");
  EXPECT_FALSE(d.description().empty());
  EXPECT_EQ(d.state(), v1::DeviceStatus::UP);
  EXPECT_NE(std::find(d.capabilities().begin(), d.capabilities().end(), "bit-exact-tflm"),
            d.capabilities().end());
  EXPECT_EQ(d.queue_capacity(), 64);  // the server's default --queue_size
  EXPECT_EQ(d.queue_depth(), 0);
}

// --- Model kinds, labels and top-k, in a repository of the test's own -------

// int8[1,8] -> RELU -> int8[1,8] with one scale and zero point -128: the
// output equals the input, so a test picks the scores (and their ties).
std::vector<uint8_t> IdentityClassifier() {
  ModelBuilder b;
  const int in = b.AddInput(tflite::TensorType_INT8, {1, 8}, PerTensor(0.5f, -128), "scores_in");
  const int out = b.AddOutput(tflite::TensorType_INT8, {1, 8}, PerTensor(0.5f, -128), "scores");
  b.AddOperator(OpType::kRelu, {in}, {out});
  return b.Finish();
}

class KindsServerTest : public SharedServerTest<KindsServerTest> {
 protected:
  static void SetUpTestSuite() {
    repo_ = std::make_unique<TempDir>();
    const std::string root = repo_->path();
    InstallModel(root, "ties", 1, IdentityClassifier());
    WriteFile(root + "/ties/labels.txt", "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\n");
    InstallBundledModel(root, "hello_world_int8");
    WriteFile(root + "/hello_world_int8/config.pbtxt",
              "kind: REGRESSOR\ndescription: \"sin(x)\"\n");
    InstallBundledModel(root, "ad01_int8");
    WriteFile(root + "/ad01_int8/config.pbtxt", "kind: AUTOENCODER\n");
    InstallBundledModel(root, "kws_ref_model");
    WriteFile(root + "/kws_ref_model/config.pbtxt",
              "kind: CLASSIFIER\nlabels_file: \"words.txt\"\ndefault_top_k: 3\n"
              "description: \"keyword spotting\"\n");
    WriteFile(root + "/kws_ref_model/words.txt",
              "down\ngo\nleft\nno\noff\non\nright\nstop\nup\nyes\nsilence\nunknown\n");
    ServerConfig config;
    config.model_repository = root;
    StartServer(config);
  }
  static void TearDownTestSuite() {
    server_.reset();
    repo_.reset();
  }

  static std::unique_ptr<TempDir> repo_;
};
std::unique_ptr<TempDir> KindsServerTest::repo_;

std::vector<uint8_t> Int8Bytes(const std::vector<int>& values) {
  std::vector<uint8_t> bytes;
  for (int v : values) bytes.push_back(static_cast<uint8_t>(static_cast<int8_t>(v)));
  return bytes;
}

TEST_F(KindsServerTest, TopKOrdersByScoreThenLowerIndexWithLabels) {
  const std::vector<std::string> labels = {"zero", "one", "two",  "three",
                                           "four", "five", "six", "seven"};
  const std::vector<int> scores = {5, 9, 9, 3, 9, 1, -128, 9};
  const std::vector<int> order = {1, 2, 4, 7, 0, 3, 5, 6};
  struct Case {
    int top_k;
    size_t expected;
  };
  for (const Case c : {Case{8, 8}, Case{3, 3}, Case{1, 1}, Case{100, 8}, Case{0, 5}}) {
    SCOPED_TRACE("top_k " + std::to_string(c.top_k));
    v1::ClassifyResponse response;
    const grpc::Status status = Classify(
        server_->inference(), RawRequest("ties", Int8Bytes(scores), "", 0, c.top_k), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.kind(), v1::CLASSIFIER);
    EXPECT_FALSE(response.has_score());
    ASSERT_EQ(response.classes_size(), static_cast<int>(c.expected));
    for (size_t i = 0; i < c.expected; ++i) {
      const v1::ClassScore& s = response.classes(i);
      EXPECT_EQ(s.index(), order[i]) << "rank " << i;
      EXPECT_EQ(s.label(), labels[order[i]]);
      EXPECT_EQ(s.raw(), scores[order[i]]);
      EXPECT_FLOAT_EQ(s.score(), 0.5f * static_cast<float>(scores[order[i]] + 128));
      if (i > 0) {
        const v1::ClassScore& prev = response.classes(i - 1);
        EXPECT_TRUE(prev.score() > s.score() ||
                    (prev.score() == s.score() && prev.index() < s.index()));
      }
    }
  }
}

TEST_F(KindsServerTest, ConfigLabelsAndDefaultTopK) {
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata(server_->inference(), "kws_ref_model", 0, &metadata).ok());
  const std::vector<std::string> words = {"down", "go",  "left",  "no",   "off",     "on",
                                          "right", "stop", "up", "yes", "silence", "unknown"};
  EXPECT_EQ(std::vector<std::string>(metadata.labels().begin(), metadata.labels().end()), words);
  EXPECT_EQ(metadata.config().default_top_k(), 3);
  EXPECT_EQ(metadata.config().description(), "keyword spotting");

  int64_t elements = 1;
  for (int d : metadata.inputs(0).shape()) elements *= d;
  std::vector<uint8_t> input(static_cast<size_t>(elements));
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i * 37);
  v1::ClassifyResponse response;
  ASSERT_TRUE(Classify(server_->inference(), RawRequest("kws_ref_model", input), &response).ok());
  ASSERT_EQ(response.classes_size(), 3);  // the config's default_top_k
  for (const auto& c : response.classes()) EXPECT_EQ(c.label(), words.at(c.index()));

  v1::ListModelsResponse models;
  ASSERT_TRUE(ListModels(server_->inference(), &models).ok());
  std::map<std::string, v1::ModelSummary> by_name;
  for (const auto& m : models.models()) by_name[m.name()] = m;
  ASSERT_EQ(by_name.size(), 4u);
  EXPECT_EQ(by_name["kws_ref_model"].description(), "keyword spotting");
  EXPECT_EQ(by_name["hello_world_int8"].kind(), v1::REGRESSOR);
  EXPECT_EQ(by_name["ad01_int8"].kind(), v1::AUTOENCODER);
  EXPECT_EQ(by_name["ties"].kind(), v1::CLASSIFIER);
}

TEST_F(KindsServerTest, RegressorReturnsItsOutputAsScore) {
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata(server_->inference(), "hello_world_int8", 0, &metadata).ok());
  EXPECT_EQ(metadata.config().kind(), v1::REGRESSOR);
  const float out_scale = metadata.outputs(0).scale(0);
  const int64_t out_zp = metadata.outputs(0).zero_point(0);
  std::string why;
  const auto oracle = LoadOracle("hello_world_int8", &why);
  for (int x : {-128, -60, 0, 57, 127}) {
    SCOPED_TRACE("x " + std::to_string(x));
    v1::ClassifyResponse response;
    ASSERT_TRUE(
        Classify(server_->inference(), RawRequest("hello_world_int8", Int8Bytes({x})), &response)
            .ok());
    EXPECT_EQ(response.kind(), v1::REGRESSOR);
    EXPECT_EQ(response.classes_size(), 0);
    ASSERT_TRUE(response.has_score());
    ASSERT_EQ(response.outputs_size(), 1);
    ASSERT_EQ(response.outputs(0).raw().size(), 1u);
    const int8_t raw = static_cast<int8_t>(response.outputs(0).raw()[0]);
    EXPECT_FLOAT_EQ(static_cast<float>(response.score()),
                    out_scale * static_cast<float>(raw - out_zp));
    EXPECT_FLOAT_EQ(static_cast<float>(response.score()), response.outputs(0).values(0));
    if (oracle) {
      // The sweep holds every int8 input in order: x = -128 is run 0.
      for (const OracleRun& v : oracle->vectors) {
        if (v.id.rfind("sweep_all_int8/", 0) == 0 && AsInt8(v.input[0]) == x) {
          EXPECT_EQ(raw, AsInt8(v.output[0]));
        }
      }
    }
  }
}

TEST_F(KindsServerTest, AutoencoderScoreIsTheReconstructionError) {
  v1::ModelMetadata metadata;
  ASSERT_TRUE(GetModelMetadata(server_->inference(), "ad01_int8", 0, &metadata).ok());
  EXPECT_EQ(metadata.config().kind(), v1::AUTOENCODER);
  const float in_scale = metadata.inputs(0).scale(0);
  const int64_t in_zp = metadata.inputs(0).zero_point(0);
  const float out_scale = metadata.outputs(0).scale(0);
  const int64_t out_zp = metadata.outputs(0).zero_point(0);
  std::string why;
  const auto oracle = LoadOracle("ad01_int8", &why);
  std::vector<std::vector<uint8_t>> inputs;
  if (oracle) {
    for (size_t i = 0; i < oracle->vectors.size() && i < 6; ++i) {
      inputs.push_back(oracle->vectors[i].input);
    }
  }
  std::vector<uint8_t> ramp(640);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<uint8_t>(i * 7);
  inputs.push_back(ramp);
  for (size_t n = 0; n < inputs.size(); ++n) {
    SCOPED_TRACE("input " + std::to_string(n));
    const std::vector<uint8_t>& input = inputs[n];
    v1::ClassifyResponse response;
    ASSERT_TRUE(Classify(server_->inference(), RawRequest("ad01_int8", input), &response).ok());
    EXPECT_EQ(response.kind(), v1::AUTOENCODER);
    EXPECT_EQ(response.classes_size(), 0);
    ASSERT_TRUE(response.has_score());
    ASSERT_EQ(response.outputs_size(), 1);
    const std::string& raw = response.outputs(0).raw();
    ASSERT_EQ(raw.size(), input.size());
    double sum = 0;
    for (size_t i = 0; i < input.size(); ++i) {
      const double x = static_cast<double>(in_scale) * (AsInt8(input[i]) - in_zp);
      const double y = static_cast<double>(out_scale) * (static_cast<int8_t>(raw[i]) - out_zp);
      EXPECT_FLOAT_EQ(response.outputs(0).values(i), static_cast<float>(y));
      sum += (x - y) * (x - y);
    }
    const double mse = sum / static_cast<double>(input.size());
    EXPECT_GT(mse, 0);
    EXPECT_NEAR(response.score(), mse, 1e-5 * mse);
    if (oracle && n < oracle->vectors.size() && n + 1 < inputs.size()) {
      EXPECT_EQ(Bytes(raw), oracle->vectors[n].output);
    }
  }
}

}  // namespace
}  // namespace tinyserve::testing
