#include "server/kserve_rest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <future>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace tinyserve::server::kserve {
namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json";
// Largest element count a tensor may declare (its bytes must fit a body too).
constexpr int64_t kMaxElements = int64_t{1} << 40;
constexpr size_t kMaxRank = 16;

// Thrown by the parse callback past kMaxJsonDepth.
struct TooDeep : std::runtime_error {
  TooDeep() : std::runtime_error("too deep") {}
};

// A name or value as error messages quote it: short, printable.
std::string Quoted(absl::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < 64; ++i) {
    const char c = text[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > 64) out += "...";
  return out + "'";
}

std::string Dump(const json& value) {
  // Replace, not throw, on bytes that are not UTF-8 (BYTES tensors, names).
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

HttpReply JsonReply(int status, const json& value) {
  return HttpReply{status, kJson, Dump(value)};
}

HttpReply ErrorReply(int status, absl::string_view message) {
  return JsonReply(status, json{{"error", std::string(message)}});
}

HttpReply ErrorReply(const absl::Status& status) {
  return ErrorReply(HttpStatusOf(status), status.message());
}

absl::StatusOr<json> ParseJson(absl::string_view text, absl::string_view what) {
  const json::parser_callback_t depth_limit = [](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth) throw TooDeep();
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), depth_limit);
  } catch (const TooDeep&) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " nests deeper than ", kMaxJsonDepth, " levels"));
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON: ", e.what()));
  }
}

// --- datatypes -------------------------------------------------------------------

// Bytes per element of a fixed-size datatype; 0 for BYTES; nullopt: unknown.
std::optional<size_t> ElementSize(absl::string_view datatype) {
  if (datatype == "BOOL" || datatype == "UINT8" || datatype == "INT8") return 1;
  if (datatype == "UINT16" || datatype == "INT16" || datatype == "FP16" || datatype == "BF16") {
    return 2;
  }
  if (datatype == "UINT32" || datatype == "INT32" || datatype == "FP32") return 4;
  if (datatype == "UINT64" || datatype == "INT64" || datatype == "FP64") return 8;
  if (datatype == "BYTES") return 0;
  return std::nullopt;
}

template <typename T>
void AppendLittleEndian(T value, std::string* out) {
  // The hosts tinyserve runs on are little-endian; memcpy keeps it defined.
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

template <typename T>
T ReadLittleEndian(const char* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

template <typename T>
bool AppendInteger(const json& element, std::string* out) {
  if (element.is_number_unsigned()) {
    const auto v = element.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    AppendLittleEndian(static_cast<T>(v), out);
    return true;
  }
  if (element.is_number_integer()) {
    const auto v = element.get<int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) return false;
    } else {
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
    }
    AppendLittleEndian(static_cast<T>(v), out);
    return true;
  }
  return false;
}

// One JSON `data` element in `datatype`, appended little-endian; false when it
// is not a value of that type (wrong kind or out of range).
bool AppendElement(const json& element, absl::string_view datatype, std::string* out) {
  if (datatype == "INT8") return AppendInteger<int8_t>(element, out);
  if (datatype == "UINT8") return AppendInteger<uint8_t>(element, out);
  if (datatype == "INT16") return AppendInteger<int16_t>(element, out);
  if (datatype == "UINT16") return AppendInteger<uint16_t>(element, out);
  if (datatype == "INT32") return AppendInteger<int32_t>(element, out);
  if (datatype == "UINT32") return AppendInteger<uint32_t>(element, out);
  if (datatype == "INT64") return AppendInteger<int64_t>(element, out);
  if (datatype == "UINT64") return AppendInteger<uint64_t>(element, out);
  if (datatype == "FP32" || datatype == "FP64") {
    if (!element.is_number()) return false;
    const double v = element.get<double>();
    if (datatype == "FP64") {
      AppendLittleEndian(v, out);
    } else {
      // Out of float range: the nearest float is infinite, which the core
      // treats as any non-finite input.
      AppendLittleEndian(static_cast<float>(v), out);
    }
    return true;
  }
  if (datatype == "BOOL") {
    if (!element.is_boolean()) return false;
    out->push_back(element.get<bool>() ? 1 : 0);
    return true;
  }
  if (datatype == "BYTES") {
    if (!element.is_string()) return false;
    const auto& text = element.get_ref<const std::string&>();
    if (text.size() > std::numeric_limits<uint32_t>::max()) return false;
    AppendLittleEndian(static_cast<uint32_t>(text.size()), out);
    out->append(text);
    return true;
  }
  return false;  // FP16, BF16: binary only
}

// Appends `data` (a value or arrays of them, nested up to the JSON depth
// limit) row-major; counts its elements.
absl::Status FlattenData(const json& data, const std::string& datatype, const std::string& label,
                         std::string* out, int64_t* count) {
  if (data.is_array()) {
    for (const json& item : data) {
      if (absl::Status s = FlattenData(item, datatype, label, out, count); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (!AppendElement(data, datatype, out)) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": data element ", *count, " (", Dump(data).substr(0, 40), ") is not a ", datatype,
        datatype == "FP16" || datatype == "BF16" ? " (send FP16/BF16 as binary data)" : "",
        " value"));
  }
  ++*count;
  return absl::OkStatus();
}

// --- parameters ------------------------------------------------------------------

absl::StatusOr<Parameters> ParseParameters(const json& object, const std::string& where) {
  Parameters parameters;
  if (object.is_null()) return parameters;
  if (!object.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": 'parameters' is not an object"));
  }
  for (const auto& [key, value] : object.items()) {
    if (value.is_boolean()) {
      parameters[key] = value.get<bool>();
    } else if (value.is_number_unsigned()) {
      const auto v = value.get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": parameter ", Quoted(key), " is out of range"));
      }
      parameters[key] = static_cast<int64_t>(v);
    } else if (value.is_number_integer()) {
      parameters[key] = value.get<int64_t>();
    } else if (value.is_number_float()) {
      parameters[key] = value.get<double>();
    } else if (value.is_string()) {
      parameters[key] = value.get<std::string>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": parameter ", Quoted(key), " must be a bool, number or string"));
    }
  }
  return parameters;
}

json ParametersJson(const Parameters& parameters) {
  json out = json::object();
  for (const auto& [key, value] : parameters) {
    std::visit([&out, &key = key](const auto& v) { out[key] = v; }, value);
  }
  return out;
}

// Takes a bool parameter out of `parameters`; error if it is not a bool.
absl::StatusOr<bool> TakeBool(Parameters& parameters, const std::string& key,
                              const std::string& where) {
  const auto it = parameters.find(key);
  if (it == parameters.end()) return false;
  const bool* value = std::get_if<bool>(&it->second);
  if (value == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " must be true or false"));
  }
  const bool result = *value;
  parameters.erase(it);
  return result;
}

// --- request ---------------------------------------------------------------------

absl::StatusOr<std::string> StringField(const json& object, const char* key,
                                        const std::string& where, bool required) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat(where, ": '", key, "' is missing"));
    return std::string();
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": '", key, "' is not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::vector<int64_t>> ParseShape(const json& object, const std::string& where,
                                                int64_t* elements) {
  const auto it = object.find("shape");
  if (it == object.end() || !it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": 'shape' (an array) is missing"));
  }
  if (it->size() > kMaxRank) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": shape has ", it->size(), " dimensions, at most ", kMaxRank));
  }
  std::vector<int64_t> shape;
  *elements = 1;
  for (const json& dim : *it) {
    if (!dim.is_number_integer() || (!dim.is_number_unsigned() && dim.get<int64_t>() < 0) ||
        (dim.is_number_unsigned() && dim.get<uint64_t>() > static_cast<uint64_t>(kMaxElements))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": shape ", Dump(*it).substr(0, 80), " must hold non-negative integers"));
    }
    const int64_t d = dim.get<int64_t>();
    shape.push_back(d);
    if (d != 0 && *elements > kMaxElements / d) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": shape ", Dump(*it).substr(0, 80), " has too many elements"));
    }
    *elements *= d;
  }
  return shape;
}

}  // namespace

absl::StatusOr<RestInferRequest> ParseRestInferRequest(absl::string_view body,
                                                       const std::string* header_length,
                                                       const std::string& model,
                                                       const std::string& version) {
  size_t json_size = body.size();
  if (header_length != nullptr) {
    uint64_t size = 0;
    const bool digits = !header_length->empty() &&
                        std::all_of(header_length->begin(), header_length->end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || !absl::SimpleAtoi(*header_length, &size)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Inference-Header-Content-Length ", Quoted(*header_length), " is not a byte count"));
    }
    if (size > body.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Inference-Header-Content-Length ", size, " is larger than the body (",
                       body.size(), " bytes)"));
    }
    json_size = static_cast<size_t>(size);
  }
  auto parsed = ParseJson(body.substr(0, json_size), "the request body");
  if (!parsed.ok()) return parsed.status();
  const json& root = *parsed;
  if (!root.is_object()) return absl::InvalidArgumentError("the request body is not a JSON object");

  RestInferRequest out;
  InferRequest& request = out.request;
  request.model_name = model;
  request.model_version = version;
  auto id = StringField(root, "id", "the request", false);
  if (!id.ok()) return id.status();
  request.id = *std::move(id);
  auto parameters = ParseParameters(root.value("parameters", json()), "the request");
  if (!parameters.ok()) return parameters.status();
  request.parameters = *std::move(parameters);
  auto all_binary = TakeBool(request.parameters, "binary_data_output", "the request");
  if (!all_binary.ok()) return all_binary.status();
  out.all_binary = *all_binary;

  const auto inputs = root.find("inputs");
  if (inputs == root.end() || !inputs->is_array() || inputs->empty()) {
    return absl::InvalidArgumentError("the request has no 'inputs' (a non-empty array)");
  }
  absl::string_view binary = body.substr(json_size);  // what binary inputs take, in order
  for (size_t i = 0; i < inputs->size(); ++i) {
    const json& in = (*inputs)[i];
    std::string where = absl::StrCat("inputs[", i, "]");
    if (!in.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, " is not an object"));
    Tensor tensor;
    auto name = StringField(in, "name", where, true);
    if (!name.ok()) return name.status();
    tensor.name = *std::move(name);
    where = absl::StrCat("input ", Quoted(tensor.name));
    auto datatype = StringField(in, "datatype", where, true);
    if (!datatype.ok()) return datatype.status();
    tensor.datatype = *std::move(datatype);
    const std::optional<size_t> element_size = ElementSize(tensor.datatype);
    if (!element_size) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown datatype ", Quoted(tensor.datatype)));
    }
    int64_t elements = 0;
    auto shape = ParseShape(in, where, &elements);
    if (!shape.ok()) return shape.status();
    tensor.shape = *std::move(shape);
    auto tensor_parameters = ParseParameters(in.value("parameters", json()), where);
    if (!tensor_parameters.ok()) return tensor_parameters.status();
    tensor.parameters = *std::move(tensor_parameters);

    const auto binary_size = tensor.parameters.find("binary_data_size");
    const auto data = in.find("data");
    if (binary_size != tensor.parameters.end()) {
      const int64_t* size = std::get_if<int64_t>(&binary_size->second);
      if (size == nullptr || *size < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": binary_data_size must be a non-negative integer"));
      }
      if (data != in.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " has both 'data' and binary_data_size"));
      }
      if (static_cast<uint64_t>(*size) > binary.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": binary_data_size ", *size, " is more than the ", binary.size(),
            " bytes left after the JSON header"));
      }
      const size_t n = static_cast<size_t>(*size);
      if (*element_size != 0 &&
          static_cast<uint64_t>(n) != static_cast<uint64_t>(elements) * *element_size) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": binary_data_size ", n, " does not match shape and datatype (", elements,
            " ", tensor.datatype, " elements, ", static_cast<uint64_t>(elements) * *element_size,
            " bytes)"));
      }
      tensor.data = std::string(binary.substr(0, n));
      binary.remove_prefix(n);
      tensor.parameters.erase(binary_size);
    } else {
      if (data == in.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " has neither 'data' nor binary_data_size"));
      }
      int64_t count = 0;
      if (*element_size != 0 && data->is_array()) {
        tensor.data.reserve(std::min<size_t>(data->size(), 1 << 20) * *element_size);
      }
      if (absl::Status s = FlattenData(*data, tensor.datatype, where, &tensor.data, &count);
          !s.ok()) {
        return s;
      }
      if (count != elements) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": 'data' has ", count,
                                                       " elements, shape ",
                                                       Dump(in.at("shape")).substr(0, 80), " needs ",
                                                       elements));
      }
    }
    request.inputs.push_back(std::move(tensor));
  }
  if (!binary.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(binary.size(), " bytes after the JSON header belong to no input "
                                    "(binary_data_size values and the body do not agree)"));
  }

  if (const auto outputs = root.find("outputs"); outputs != root.end() && !outputs->is_null()) {
    if (!outputs->is_array()) return absl::InvalidArgumentError("'outputs' is not an array");
    for (size_t i = 0; i < outputs->size(); ++i) {
      const json& o = (*outputs)[i];
      const std::string where = absl::StrCat("outputs[", i, "]");
      if (!o.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, " is not an object"));
      RequestedOutput requested;
      auto name = StringField(o, "name", where, true);
      if (!name.ok()) return name.status();
      requested.name = *std::move(name);
      auto output_parameters = ParseParameters(o.value("parameters", json()), where);
      if (!output_parameters.ok()) return output_parameters.status();
      requested.parameters = *std::move(output_parameters);
      auto binary_data = TakeBool(requested.parameters, "binary_data", where);
      if (!binary_data.ok()) return binary_data.status();
      if (*binary_data) out.binary_outputs.insert(requested.name);
      request.outputs.push_back(std::move(requested));
    }
  }
  return out;
}

namespace {

// One output's `data` array from its little-endian bytes.
absl::StatusOr<json> DataJson(const Tensor& tensor) {
  const std::optional<size_t> element_size = ElementSize(tensor.datatype);
  const std::string& d = tensor.data;
  json data = json::array();
  auto bad_size = [&] {
    return absl::InternalError(absl::StrCat("output ", Quoted(tensor.name), " holds ", d.size(),
                                            " bytes, not whole ", tensor.datatype, " elements"));
  };
  if (!element_size) {
    return absl::InternalError(
        absl::StrCat("output ", Quoted(tensor.name), " has unknown datatype ", tensor.datatype));
  }
  if (*element_size == 0) {  // BYTES
    for (size_t at = 0; at < d.size();) {
      if (d.size() - at < 4) return bad_size();
      const uint32_t n = ReadLittleEndian<uint32_t>(d.data() + at);
      at += 4;
      if (d.size() - at < n) return bad_size();
      data.push_back(d.substr(at, n));
      at += n;
    }
    return data;
  }
  if (d.size() % *element_size != 0) return bad_size();
  const std::string& t = tensor.datatype;
  if (t == "FP16" || t == "BF16") {
    return absl::InvalidArgumentError(absl::StrCat(
        "output ", Quoted(tensor.name), " is ", t, ": ask for it as binary data"));
  }
  for (size_t at = 0; at < d.size(); at += *element_size) {
    const char* p = d.data() + at;
    if (t == "BOOL") data.push_back(*p != 0);
    else if (t == "INT8") data.push_back(ReadLittleEndian<int8_t>(p));
    else if (t == "UINT8") data.push_back(ReadLittleEndian<uint8_t>(p));
    else if (t == "INT16") data.push_back(ReadLittleEndian<int16_t>(p));
    else if (t == "UINT16") data.push_back(ReadLittleEndian<uint16_t>(p));
    else if (t == "INT32") data.push_back(ReadLittleEndian<int32_t>(p));
    else if (t == "UINT32") data.push_back(ReadLittleEndian<uint32_t>(p));
    else if (t == "INT64") data.push_back(ReadLittleEndian<int64_t>(p));
    else if (t == "UINT64") data.push_back(ReadLittleEndian<uint64_t>(p));
    else if (t == "FP32") {
      const float v = ReadLittleEndian<float>(p);
      // JSON has no NaN or infinity; null stands for them.
      if (std::isfinite(v)) data.push_back(v); else data.push_back(nullptr);
    } else {  // FP64
      const double v = ReadLittleEndian<double>(p);
      if (std::isfinite(v)) data.push_back(v); else data.push_back(nullptr);
    }
  }
  return data;
}

}  // namespace

absl::StatusOr<RestInferBody> EncodeRestInferResponse(const InferResponse& response,
                                                      const RestInferRequest& how) {
  json root = {{"model_name", response.model_name}, {"model_version", response.model_version}};
  if (!response.id.empty()) root["id"] = response.id;
  if (!response.parameters.empty()) root["parameters"] = ParametersJson(response.parameters);
  json outputs = json::array();
  std::string binary;
  for (const Tensor& tensor : response.outputs) {
    json out = {{"name", tensor.name}, {"datatype", tensor.datatype}, {"shape", tensor.shape}};
    json parameters = ParametersJson(tensor.parameters);
    if (how.all_binary || how.binary_outputs.count(tensor.name) != 0) {
      parameters["binary_data_size"] = tensor.data.size();
      binary += tensor.data;
    } else {
      auto data = DataJson(tensor);
      if (!data.ok()) return data.status();
      out["data"] = *std::move(data);
    }
    if (!parameters.empty()) out["parameters"] = std::move(parameters);
    outputs.push_back(std::move(out));
  }
  root["outputs"] = std::move(outputs);
  RestInferBody body;
  body.body = Dump(root);
  // Triton sends the header whenever binary outputs were asked for.
  if (how.all_binary || !how.binary_outputs.empty()) {
    body.json_size = body.body.size();
    body.body += binary;
  }
  return body;
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kCancelled: return 499;
    case absl::StatusCode::kUnimplemented: return 501;
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

namespace {

json TensorsJson(const std::vector<TensorMetadata>& tensors) {
  json out = json::array();
  for (const TensorMetadata& t : tensors) {
    out.push_back({{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}});
  }
  return out;
}

// Triton's model configuration JSON: data_type "TYPE_INT8", dims.
json ConfigTensorsJson(const std::vector<TensorMetadata>& tensors) {
  json out = json::array();
  for (const TensorMetadata& t : tensors) {
    out.push_back({{"name", t.name},
                   {"data_type", t.datatype == "BYTES" ? "TYPE_STRING" : "TYPE_" + t.datatype},
                   {"dims", t.shape}});
  }
  return out;
}

json DurationJson(const Duration& d) { return {{"count", d.count}, {"ns", d.ns}}; }

json StatisticsJson(const std::vector<ModelStatistics>& statistics) {
  json models = json::array();
  for (const ModelStatistics& s : statistics) {
    models.push_back({{"name", s.name},
                      {"version", s.version},
                      {"last_inference", s.last_inference_ms},
                      {"inference_count", s.inference_count},
                      {"execution_count", s.execution_count},
                      {"inference_stats",
                       {{"success", DurationJson(s.success)},
                        {"fail", DurationJson(s.fail)},
                        {"queue", DurationJson(s.queue)},
                        {"compute_input", DurationJson(s.compute_input)},
                        {"compute_infer", DurationJson(s.compute_infer)},
                        {"compute_output", DurationJson(s.compute_output)},
                        {"cache_hit", DurationJson({})},
                        {"cache_miss", DurationJson({})}}},
                      {"batch_stats", json::array()}});
  }
  return {{"model_stats", std::move(models)}};
}

// Waits for an asynchronous Core call on this (civetweb) thread.
class Completion {
 public:
  std::function<void(absl::Status)> Callback() {
    return [this](absl::Status status) { promise_.set_value(std::move(status)); };
  }
  absl::Status Wait() { return future_.get(); }

 private:
  std::promise<absl::Status> promise_;
  std::future<absl::Status> future_ = promise_.get_future();
};

HttpReply MethodNotAllowed(const std::string& method, bool post) {
  HttpReply reply = ErrorReply(
      405, absl::StrCat("method ", Quoted(method), " not allowed here: use ", post ? "POST" : "GET"));
  reply.headers.emplace_back("Allow", post ? "POST" : "GET, HEAD");
  return reply;
}

HttpReply ReadyReply(bool ready) {
  // Health and readiness: 200 for true, 400 for false (Triton's and the
  // protocol's "4xx is false").
  return ready ? HttpReply{200, kJson, "{}"} : ErrorReply(400, "not ready");
}

}  // namespace

HttpReply RestApi::Handle(const HttpRequest& request) const {
  std::vector<std::string> parts = absl::StrSplit(request.path, '/');
  // "/v2/models/x" -> "", "v2", "models", "x"; one trailing '/' is allowed.
  if (!parts.empty() && parts.front().empty()) parts.erase(parts.begin());
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  const std::string& method = request.method;
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  auto not_found = [&] {
    return ErrorReply(404, absl::StrCat("no KServe v2 route ", Quoted(request.path)));
  };
  if (parts.empty() || parts[0] != "v2") return not_found();
  for (const std::string& part : parts) {
    if (part.empty()) return not_found();
  }

  // GET /v2
  if (parts.size() == 1) {
    if (!get) return MethodNotAllowed(method, false);
    const ServerMetadata server = core_.Server();
    return JsonReply(200, {{"name", server.name},
                           {"version", server.version},
                           {"extensions", server.extensions}});
  }
  // GET /v2/health/{live,ready}
  if (parts[1] == "health" && parts.size() == 3 && (parts[2] == "live" || parts[2] == "ready")) {
    if (!get) return MethodNotAllowed(method, false);
    return ReadyReply(parts[2] == "live" ? core_.ServerLive() : core_.ServerReady());
  }
  // POST /v2/repository/index, /v2/repository/models/{m}/{load,unload}
  if (parts[1] == "repository") {
    const bool index = parts.size() == 3 && parts[2] == "index";
    const bool load_or_unload = parts.size() == 5 && parts[2] == "models" &&
                                (parts[4] == "load" || parts[4] == "unload");
    if (!index && !load_or_unload) return not_found();
    if (!post) return MethodNotAllowed(method, true);
    json body = json::object();
    if (!request.body.empty()) {
      auto parsed = ParseJson(request.body, "the request body");
      if (!parsed.ok()) return ErrorReply(parsed.status());
      if (!parsed->is_object()) return ErrorReply(400, "the request body is not a JSON object");
      body = *std::move(parsed);
    }
    if (index) {
      bool ready_only = false;
      if (const auto ready = body.find("ready"); ready != body.end()) {
        if (!ready->is_boolean()) return ErrorReply(400, "'ready' must be true or false");
        ready_only = ready->get<bool>();
      }
      json entries = json::array();
      for (const RepositoryEntry& e : core_.RepositoryIndex(ready_only)) {
        json entry = {{"name", e.name}, {"state", e.state}};
        if (!e.version.empty()) entry["version"] = e.version;
        if (!e.reason.empty()) entry["reason"] = e.reason;
        entries.push_back(std::move(entry));
      }
      return JsonReply(200, entries);
    }
    Completion completion;
    if (parts[4] == "load") {
      core_.Load(parts[3], CallContext{}, completion.Callback());
    } else {
      core_.Unload(parts[3], CallContext{}, completion.Callback());
    }
    const absl::Status status = completion.Wait();
    if (!status.ok()) return ErrorReply(status);
    return HttpReply{200, kJson, "{}"};
  }
  if (parts[1] != "models" || parts.size() < 3) return not_found();
  // GET /v2/models/stats: every model's statistics.
  if (parts.size() == 3 && parts[2] == "stats") {
    if (!get) return MethodNotAllowed(method, false);
    auto statistics = core_.Statistics("", "");
    if (!statistics.ok()) return ErrorReply(statistics.status());
    return JsonReply(200, StatisticsJson(*statistics));
  }
  // /v2/models/{m}[/versions/{v}][/{ready,config,stats,infer}]
  const std::string& model = parts[2];
  std::string version;
  size_t next = 3;
  if (parts.size() > 4 && parts[3] == "versions") {
    version = parts[4];
    next = 5;
  }
  if (parts.size() > next + 1) return not_found();
  const std::string operation = parts.size() == next + 1 ? parts[next] : "";
  if (operation == "infer") {
    if (!post) return MethodNotAllowed(method, true);
    const std::string* encoding = request.Header("content-encoding");
    if (encoding != nullptr && *encoding != "identity") {
      return ErrorReply(415, absl::StrCat("Content-Encoding ", Quoted(*encoding),
                                          " is not supported: send the body uncompressed"));
    }
    auto parsed = ParseRestInferRequest(request.body,
                                        request.Header("inference-header-content-length"),
                                        model, version);
    if (!parsed.ok()) return ErrorReply(parsed.status());
    InferResponse response;
    Completion completion;
    CallContext call;
    call.deadline = std::chrono::system_clock::now() + kRestInferDeadline;
    core_.Infer(parsed->request, &response, call, completion.Callback());
    if (absl::Status status = completion.Wait(); !status.ok()) return ErrorReply(status);
    auto encoded = EncodeRestInferResponse(response, *parsed);
    if (!encoded.ok()) return ErrorReply(encoded.status());
    if (!encoded->json_size) return HttpReply{200, kJson, std::move(encoded->body)};
    HttpReply reply{200, "application/octet-stream", std::move(encoded->body)};
    reply.headers.emplace_back("Inference-Header-Content-Length",
                               std::to_string(*encoded->json_size));
    return reply;
  }
  if (!get) return MethodNotAllowed(method, false);
  if (operation.empty()) {
    auto metadata = core_.Metadata(model, version);
    if (!metadata.ok()) return ErrorReply(metadata.status());
    return JsonReply(200, {{"name", metadata->name},
                           {"versions", metadata->versions},
                           {"platform", metadata->platform},
                           {"inputs", TensorsJson(metadata->inputs)},
                           {"outputs", TensorsJson(metadata->outputs)}});
  }
  if (operation == "ready") {
    auto ready = core_.ModelReady(model, version);
    if (!ready.ok()) return ErrorReply(ready.status());
    return ReadyReply(*ready);
  }
  if (operation == "config") {
    auto config = core_.Config(model, version);
    if (!config.ok()) return ErrorReply(config.status());
    return JsonReply(200, {{"name", config->name},
                           {"platform", config->platform},
                           {"backend", config->backend},
                           {"max_batch_size", config->max_batch_size},
                           {"input", ConfigTensorsJson(config->inputs)},
                           {"output", ConfigTensorsJson(config->outputs)}});
  }
  if (operation == "stats") {
    auto statistics = core_.Statistics(model, version);
    if (!statistics.ok()) return ErrorReply(statistics.status());
    return JsonReply(200, StatisticsJson(*statistics));
  }
  return not_found();
}

}  // namespace tinyserve::server::kserve
