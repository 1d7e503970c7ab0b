// KServe v2 REST on a running server's HTTP port (libcurl): every route, JSON
// and binary-extension inference bit-exact with the oracle on the bundled
// models, keep-alive, and the error paths (unknown model, bad JSON, wrong
// length or datatype, body too large, inconsistent binary sizes, GET on infer).
#include <curl/curl.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/server/curl_support.h"
#include "tests/server/shared_server_test.h"
#include "tests/support/oracle_vectors.h"
#include "tests/support/test_paths.h"

namespace tinyserve::testing {
namespace {

using nlohmann::json;

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  long connects = 0;                            // new connections this request made

  json Json() const { return json::parse(body, nullptr, /*allow_exceptions=*/false); }
  std::string Error() const {
    const json j = Json();
    return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                          : "";
  }
};

// One easy handle: requests through it reuse its connection (keep-alive).
class Client {
 public:
  explicit Client(int port) : base_(absl::StrCat("http://127.0.0.1:", port)) {
    static CurlGlobal global;
    curl_ = curl_easy_init();
  }
  ~Client() { curl_easy_cleanup(curl_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Reply Get(const std::string& path) { return Send("GET", path, nullptr, {}); }
  Reply Post(const std::string& path, const std::string& body,
             const std::vector<std::string>& headers = {}) {
    return Send("POST", path, &body, headers);
  }

 private:
  Reply Send(const std::string& method, const std::string& path, const std::string* body,
             const std::vector<std::string>& extra) {
    Reply reply;
    curl_slist* headers = nullptr;
    for (const std::string& h : extra) headers = curl_slist_append(headers, h.c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    const std::string url = base_ + path;
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &AddHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &reply.headers);
    if (body != nullptr) {
      curl_easy_setopt(curl_, CURLOPT_POST, 1L);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    } else if (method != "GET") {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    reply.code = curl_easy_perform(curl_);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &reply.connects);
    curl_slist_free_all(headers);
    return reply;
  }

  std::string base_;
  CURL* curl_ = nullptr;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class KserveRestTest : public SharedServerTest<KserveRestTest> {
 protected:
  static void SetUpTestSuite() {
    ServerConfig config;
    config.args = {"--max_http_body_bytes", "1048576"};  // vww as JSON is ~140 KB
    StartServer(config);
  }
  Client client() { return Client(server_->http_port()); }
};

// One model's first oracle vector as a v2 input: name, shape, raw bytes.
struct OracleCase {
  std::string model, input_name, output_name;
  json shape;
  std::string input, output;
};

std::vector<OracleCase> OracleCases(std::string* why) {
  std::vector<OracleCase> cases;
  for (const std::string& model : BundledModelNames()) {
    auto index = FindOracleModel(model, why);
    if (!index) continue;
    const auto vectors = OracleVectors(index->index);
    if (vectors.empty() || index->index["input"]["dtype"] != "int8") continue;
    OracleCase c;
    c.model = model;
    c.input_name = index->index["input"]["name"];
    c.output_name = index->index["output"]["name"];
    c.shape = index->index["input"]["shape"];
    c.input = ReadFile(index->dir + "/" + vectors.front().input);
    c.output = ReadFile(index->dir + "/" + vectors.front().output);
    size_t elements = 1;
    for (const json& d : c.shape) elements *= d.get<size_t>();
    if (c.input.size() != elements) continue;  // a file of several inferences (the sweep)
    cases.push_back(std::move(c));
  }
  return cases;
}

// The output's raw bytes from a JSON response (INT8 data) or "" if absent.
std::string JsonOutputBytes(const json& response, const std::string& name, bool* found) {
  *found = false;
  for (const json& out : response["outputs"]) {
    if (out["name"] != name) continue;
    *found = true;
    std::string bytes;
    for (const json& v : out["data"]) bytes.push_back(static_cast<char>(v.get<int>()));
    return bytes;
  }
  return "";
}

TEST_F(KserveRestTest, ServerRoutes) {
  Client c = client();
  const Reply server = c.Get("/v2");
  ASSERT_EQ(server.status, 200) << server.body;
  EXPECT_TRUE(server.Json().contains("extensions")) << server.body;
  EXPECT_EQ(c.Get("/v2/health/live").status, 200);
  EXPECT_EQ(c.Get("/v2/health/ready").status, 200);
  EXPECT_EQ(c.Get("/v2/models/stats").status, 200);
  const Reply index = c.Post("/v2/repository/index", "{}");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_TRUE(index.Json().is_array()) << index.body;
  EXPECT_EQ(c.Get("/v2/nowhere").status, 404);
}

TEST_F(KserveRestTest, ModelRoutes) {
  Client c = client();
  const std::string base = "/v2/models/hello_world_int8";
  for (const std::string& path : {base, base + "/versions/1"}) {
    const Reply metadata = c.Get(path);
    ASSERT_EQ(metadata.status, 200) << path << ": " << metadata.body;
    const json m = metadata.Json();
    EXPECT_EQ(m["name"], "hello_world_int8");
    ASSERT_TRUE(m["inputs"].is_array() && !m["inputs"].empty()) << metadata.body;
    EXPECT_EQ(m["inputs"][0]["datatype"], "INT8") << metadata.body;
  }
  EXPECT_EQ(c.Get(base + "/ready").status, 200);
  const Reply config = c.Get(base + "/config");
  ASSERT_EQ(config.status, 200) << config.body;
  EXPECT_EQ(config.Json()["max_batch_size"], 0) << config.body;
  const Reply stats = c.Get(base + "/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_TRUE(stats.Json()["model_stats"].is_array()) << stats.body;
}

TEST_F(KserveRestTest, JsonInferIsBitExactWithTheOracle) {
  std::string why;
  const auto cases = OracleCases(&why);
  if (cases.empty()) GTEST_SKIP() << why;
  Client c = client();
  for (const OracleCase& oc : cases) {
    json data = json::array();
    for (char b : oc.input) data.push_back(static_cast<int>(static_cast<int8_t>(b)));
    const json request = {{"inputs",
                           {{{"name", oc.input_name}, {"datatype", "INT8"}, {"shape", oc.shape},
                             {"data", data}}}}};
    const Reply r = c.Post("/v2/models/" + oc.model + "/infer", request.dump());
    ASSERT_EQ(r.status, 200) << oc.model << ": " << r.body;
    EXPECT_EQ(r.headers.count("inference-header-content-length"), 0u);
    bool found = false;
    const std::string bytes = JsonOutputBytes(r.Json(), oc.output_name, &found);
    ASSERT_TRUE(found) << oc.model << ": no output " << oc.output_name << " in " << r.body;
    EXPECT_EQ(bytes, oc.output) << oc.model;
  }
}

TEST_F(KserveRestTest, BinaryInferIsBitExactWithTheOracle) {
  std::string why;
  const auto cases = OracleCases(&why);
  if (cases.empty()) GTEST_SKIP() << why;
  Client c = client();
  for (const OracleCase& oc : cases) {
    const std::string header =
        json{{"parameters", {{"binary_data_output", true}}},
             {"inputs",
              {{{"name", oc.input_name}, {"datatype", "INT8"}, {"shape", oc.shape},
                {"parameters", {{"binary_data_size", oc.input.size()}}}}}}}
            .dump();
    const Reply r = c.Post("/v2/models/" + oc.model + "/infer", header + oc.input,
                           {absl::StrCat("Inference-Header-Content-Length: ", header.size()),
                            "Content-Type: application/octet-stream"});
    ASSERT_EQ(r.status, 200) << oc.model << ": " << r.body;
    ASSERT_EQ(r.headers.count("inference-header-content-length"), 1u) << r.body;
    const size_t json_size = std::stoul(r.headers.at("inference-header-content-length"));
    ASSERT_LE(json_size, r.body.size());
    const json response = json::parse(r.body.substr(0, json_size));
    size_t at = json_size;
    bool found = false;
    for (const json& out : response["outputs"]) {
      const size_t n = out["parameters"]["binary_data_size"].get<size_t>();
      ASSERT_LE(at + n, r.body.size());
      if (out["name"] == oc.output_name) {
        found = true;
        EXPECT_EQ(r.body.substr(at, n), oc.output) << oc.model;
      }
      at += n;
    }
    EXPECT_TRUE(found) << oc.model;
    EXPECT_EQ(at, r.body.size());
  }
}

TEST_F(KserveRestTest, Fp32JsonInfer) {
  Client c = client();
  const json request = {
      {"inputs", {{{"name", "x"}, {"datatype", "FP32"}, {"shape", {1, 1}}, {"data", {0.5}}}}}};
  const Reply r = c.Post("/v2/models/hello_world_int8/infer", request.dump());
  // The input name is whatever the model calls it: ask the metadata.
  if (r.status != 200) {
    const json m = c.Get("/v2/models/hello_world_int8").Json();
    json named = request;
    named["inputs"][0]["name"] = m["inputs"][0]["name"];
    named["inputs"][0]["shape"] = m["inputs"][0]["shape"];
    const Reply again = c.Post("/v2/models/hello_world_int8/infer", named.dump());
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_FALSE(again.Json()["outputs"].empty()) << again.body;
  }
}

TEST_F(KserveRestTest, KeepAliveReusesOneConnection) {
  Client c = client();
  long connects = 0;
  for (int i = 0; i < 3; ++i) {
    const Reply r = i == 1 ? c.Post("/v2/repository/index", "{}") : c.Get("/v2/health/live");
    ASSERT_EQ(r.status, 200) << r.body;
    connects += r.connects;
  }
  EXPECT_EQ(connects, 1);
}

TEST_F(KserveRestTest, ErrorsAreJsonWithTheRightStatus) {
  Client c = client();
  const std::string infer = "/v2/models/hello_world_int8/infer";
  const json m = c.Get("/v2/models/hello_world_int8").Json();
  ASSERT_TRUE(m.contains("inputs")) << m.dump();
  const json input = m["inputs"][0];
  auto request = [&](const std::string& datatype, const json& shape, const json& data) {
    return json{{"inputs", {{{"name", input["name"]}, {"datatype", datatype}, {"shape", shape},
                             {"data", data}}}}}
        .dump();
  };

  const Reply unknown = c.Post("/v2/models/no_such_model/infer", request("INT8", {1, 1}, {0}));
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_NE(unknown.Error(), "") << unknown.body;
  EXPECT_EQ(c.Get("/v2/models/no_such_model").status, 404);
  EXPECT_NE(c.Get("/v2/models/no_such_model/ready").status, 200);

  const Reply bad_json = c.Post(infer, "{\"inputs\": [");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.Error().find("not valid JSON"), std::string::npos) << bad_json.body;

  const Reply wrong_count = c.Post(infer, request("INT8", input["shape"], {1, 2, 3}));
  EXPECT_EQ(wrong_count.status, 400) << wrong_count.body;
  EXPECT_NE(wrong_count.Error(), "") << wrong_count.body;

  const Reply wrong_type = c.Post(infer, request("INT16", input["shape"], {1}));
  EXPECT_EQ(wrong_type.status, 400) << wrong_type.body;
  EXPECT_NE(wrong_type.Error(), "") << wrong_type.body;

  const std::string header =
      json{{"inputs", {{{"name", input["name"]}, {"datatype", "INT8"}, {"shape", input["shape"]},
                        {"parameters", {{"binary_data_size", 5}}}}}}}
          .dump();
  const Reply inconsistent = c.Post(infer, header + "ab", {absl::StrCat(
                                                           "Inference-Header-Content-Length: ",
                                                           header.size())});
  EXPECT_EQ(inconsistent.status, 400) << inconsistent.body;
  const Reply header_too_long = c.Post(infer, header, {"Inference-Header-Content-Length: 99999"});
  EXPECT_EQ(header_too_long.status, 400) << header_too_long.body;

  const Reply too_large = c.Post(infer, std::string(1048577, ' '));
  EXPECT_EQ(too_large.status, 413) << too_large.body;

  const Reply get_infer = c.Get(infer);
  EXPECT_EQ(get_infer.status, 405);
  EXPECT_EQ(get_infer.headers.count("allow") ? get_infer.headers.at("allow") : "", "POST");

  // After all that, a good request still works.
  EXPECT_EQ(c.Get("/v2/health/live").status, 200);
}

}  // namespace
}  // namespace tinyserve::testing
