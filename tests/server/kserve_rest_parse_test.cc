// The KServe v2 REST body parser and encoder (server/kserve_rest.h) in
// process: JSON `data` flat and nested, typed, the binary tensor extension,
// and every malformed body refused with a message (never a crash).
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/kserve_rest.h"

namespace tinyserve::server::kserve {
namespace {

absl::StatusOr<RestInferRequest> Parse(const std::string& body,
                                       const std::string* header_length = nullptr) {
  return ParseRestInferRequest(body, header_length, "m", "");
}

// The parse error's message, "" when it parsed.
std::string ErrorOf(const std::string& body, const std::string* header_length = nullptr) {
  auto parsed = Parse(body, header_length);
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << parsed.status();
  return std::string(parsed.status().message());
}

TEST(KserveRestParseTest, JsonDataFlatAndNestedInt8) {
  for (const char* data : {"[1,-2,127,-128]", "[[1,-2],[127,-128]]"}) {
    auto parsed = Parse(absl::StrCat(R"({"id":"r1","inputs":[{"name":"x","datatype":"INT8",)",
                                     R"("shape":[2,2],"data":)", data, "}]}"));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    const InferRequest& r = parsed->request;
    EXPECT_EQ(r.model_name, "m");
    EXPECT_EQ(r.id, "r1");
    ASSERT_EQ(r.inputs.size(), 1u);
    EXPECT_EQ(r.inputs[0].name, "x");
    EXPECT_EQ(r.inputs[0].datatype, "INT8");
    EXPECT_EQ(r.inputs[0].shape, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(r.inputs[0].data, std::string("\x01\xfe\x7f\x80", 4));
    EXPECT_FALSE(parsed->all_binary);
  }
}

TEST(KserveRestParseTest, Fp32AndParameters) {
  auto parsed = Parse(
      R"({"parameters":{"device":"ref","top_k":3,"binary_data_output":true},)"
      R"("inputs":[{"name":"x","datatype":"FP32","shape":[2],"data":[0.5,-1]}],)"
      R"("outputs":[{"name":"y","parameters":{"binary_data":false,"classification":2}}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const InferRequest& r = parsed->request;
  float values[2];
  ASSERT_EQ(r.inputs[0].data.size(), sizeof(values));
  std::memcpy(values, r.inputs[0].data.data(), sizeof(values));
  EXPECT_EQ(values[0], 0.5f);
  EXPECT_EQ(values[1], -1.0f);
  EXPECT_EQ(std::get<std::string>(r.parameters.at("device")), "ref");
  EXPECT_EQ(std::get<int64_t>(r.parameters.at("top_k")), 3);
  EXPECT_EQ(r.parameters.count("binary_data_output"), 0u);  // taken by REST
  EXPECT_TRUE(parsed->all_binary);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(r.outputs[0].parameters.at("classification")), 2);
  EXPECT_EQ(r.outputs[0].parameters.count("binary_data"), 0u);
  EXPECT_TRUE(parsed->binary_outputs.empty());
}

TEST(KserveRestParseTest, BinaryTensors) {
  const std::string header =
      R"({"inputs":[{"name":"a","datatype":"INT8","shape":[3],"parameters":{"binary_data_size":3}},)"
      R"({"name":"b","datatype":"INT16","shape":[1],"parameters":{"binary_data_size":2}}],)"
      R"("outputs":[{"name":"y","parameters":{"binary_data":true}}]})";
  const std::string length = std::to_string(header.size());
  auto parsed = Parse(header + "abc" + "\x01\x02", &length);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->request.inputs[0].data, "abc");
  EXPECT_EQ(parsed->request.inputs[1].data, "\x01\x02");
  EXPECT_EQ(parsed->request.inputs[0].parameters.count("binary_data_size"), 0u);
  EXPECT_EQ(parsed->binary_outputs.count("y"), 1u);

  // Sizes that do not agree with the body, or lie.
  const std::string body = header + "abc" + "\x01\x02";
  EXPECT_NE(ErrorOf(header + "abc\x01\x02X", &length).find("belong to no input"), std::string::npos);
  EXPECT_NE(ErrorOf(header + "abc\x01", &length).find("binary_data_size 2 is more"),
            std::string::npos);
  const std::string too_long = std::to_string(body.size() + 1);
  EXPECT_NE(ErrorOf(body, &too_long).find("larger than the body"), std::string::npos);
  for (const std::string bad : {"-1", "+5", "", "1e3", "99999999999999999999999", " 5"}) {
    EXPECT_NE(ErrorOf(body, &bad).find("not a byte count"), std::string::npos) << bad;
  }
  const std::string short_header = "10";
  EXPECT_NE(ErrorOf(body, &short_header).find("not valid JSON"), std::string::npos);
  // binary_data_size not matching shape x datatype.
  const std::string mismatched =
      R"({"inputs":[{"name":"a","datatype":"INT16","shape":[3],"parameters":{"binary_data_size":3}}]})";
  const std::string mismatched_length = std::to_string(mismatched.size());
  EXPECT_NE(ErrorOf(mismatched + "abc", &mismatched_length).find("does not match shape"),
            std::string::npos);
  const std::string negative =
      R"({"inputs":[{"name":"a","datatype":"INT8","shape":[1],"parameters":{"binary_data_size":-1}}]})";
  const std::string negative_length = std::to_string(negative.size());
  EXPECT_NE(ErrorOf(negative + "a", &negative_length).find("non-negative"), std::string::npos);
}

TEST(KserveRestParseTest, MalformedBodiesAreRefusedWithAMessage) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[]", "not a JSON object"},
      {"{}", "no 'inputs'"},
      {R"({"inputs":[]})", "no 'inputs'"},
      {R"({"inputs":[1]})", "not an object"},
      {R"({"inputs":[{"datatype":"INT8","shape":[1],"data":[1]}]})", "'name' is missing"},
      {R"({"inputs":[{"name":"x","shape":[1],"data":[1]}]})", "'datatype' is missing"},
      {R"({"inputs":[{"name":"x","datatype":"INT9","shape":[1],"data":[1]}]})", "unknown datatype"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","data":[1]}]})", "'shape'"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[-1],"data":[1]}]})", "non-negative"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1.5],"data":[1]}]})", "non-negative"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[4294967296,4294967296],"data":[1]}]})",
       "too many elements"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1]}]})", "neither 'data'"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[3],"data":[1,2]}]})",
       "'data' has 2 elements, shape [3] needs 3"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[128]}]})", "not a INT8"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1.5]}]})", "not a INT8"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":["a"]}]})", "not a INT8"},
      {R"({"inputs":[{"name":"x","datatype":"UINT8","shape":[1],"data":[-1]}]})", "not a UINT8"},
      {R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[true]}]})", "not a FP32"},
      {R"({"inputs":[{"name":"x","datatype":"FP16","shape":[1],"data":[1]}]})", "binary data"},
      {R"({"parameters":[1],"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}]})",
       "not an object"},
      {R"({"parameters":{"p":[1]},"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}]})",
       "bool, number or string"},
      {R"({"parameters":{"binary_data_output":1},"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}]})",
       "true or false"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}],"outputs":{}})",
       "not an array"},
      {R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}],"outputs":[{}]})",
       "'name' is missing"},
  };
  for (const auto& [body, message] : cases) {
    const std::string error = ErrorOf(body);
    EXPECT_NE(error.find(message), std::string::npos) << body << " -> " << error;
  }
  // Nesting past the limit, in `data` and elsewhere.
  const std::string deep = std::string(200, '[') + "1" + std::string(200, ']');
  EXPECT_NE(ErrorOf(R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":)" + deep +
                    "}]}")
                .find("nests deeper"),
            std::string::npos);
  EXPECT_NE(ErrorOf(std::string(100000, '[')).find("nests deeper"), std::string::npos);
}

TEST(KserveRestEncodeTest, JsonAndBinaryOutputs) {
  InferResponse response;
  response.model_name = "m";
  response.model_version = "1";
  response.id = "r1";
  response.parameters["device"] = std::string("ref");
  response.outputs.push_back({"y", "INT8", {1, 2}, std::string("\x05\xfb", 2), {}});
  response.outputs.push_back({"z", "FP32", {1}, std::string("\x00\x00\x00\x3f", 4), {}});
  RestInferRequest json_only;
  auto plain = EncodeRestInferResponse(response, json_only);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->json_size.has_value());
  EXPECT_EQ(plain->body,
            R"({"id":"r1","model_name":"m","model_version":"1","outputs":[)"
            R"({"data":[5,-5],"datatype":"INT8","name":"y","shape":[1,2]},)"
            R"({"data":[0.5],"datatype":"FP32","name":"z","shape":[1]}],)"
            R"("parameters":{"device":"ref"}})");

  RestInferRequest binary_y;
  binary_y.binary_outputs.insert("y");
  auto mixed = EncodeRestInferResponse(response, binary_y);
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  ASSERT_TRUE(mixed->json_size.has_value());
  const std::string json = mixed->body.substr(0, *mixed->json_size);
  EXPECT_NE(json.find(R"("parameters":{"binary_data_size":2})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("data":[0.5])"), std::string::npos) << json;
  EXPECT_EQ(mixed->body.substr(*mixed->json_size), std::string("\x05\xfb", 2));
}

TEST(KserveRestEncodeTest, ErrorStatusesMapToHttp) {
  EXPECT_EQ(HttpStatusOf(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusOf(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusOf(absl::ResourceExhaustedError("x")), 429);
  EXPECT_EQ(HttpStatusOf(absl::UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusOf(absl::InternalError("x")), 500);
}

}  // namespace
}  // namespace tinyserve::server::kserve
