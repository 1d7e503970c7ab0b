#include "clients/tinyserve_cli/input_sets.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "clients/tinyserve_cli/input_files.h"
#include "engine/util/splitmix64.h"
#include "nlohmann/json.hpp"
#include "tinyserve/v1/data_type_size.h"

namespace tinyserve::cli {
namespace fs = std::filesystem;

namespace {

int64_t Elements(const v1::TensorSpec& spec) {
  int64_t n = 1;
  for (int d : spec.shape()) n *= d;
  return n;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  return std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The oracle's dtype names (index.json) as our DataType.
v1::DataType OracleDataType(const std::string& name) {
  if (name == "int8") return v1::INT8;
  if (name == "uint8") return v1::UINT8;
  if (name == "int16") return v1::INT16;
  if (name == "int32") return v1::INT32;
  if (name == "float32") return v1::FLOAT32;
  return v1::DATA_TYPE_UNSPECIFIED;
}

absl::StatusOr<int64_t> OracleTensorBytes(const nlohmann::json& tensor) {
  const v1::DataType dtype = OracleDataType(tensor.at("dtype").get<std::string>());
  if (dtype == v1::DATA_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown dtype '", tensor.at("dtype").get<std::string>(), "'"));
  }
  int64_t n = DataTypeBytes(dtype);
  for (const auto& d : tensor.at("shape")) n *= d.get<int64_t>();
  return n;
}

}  // namespace

void CopyInput(const InputItem& item, v1::ClassifyRequest& request) {
  if (item.input.has_float_input()) {
    *request.mutable_float_input() = item.input.float_input();
  } else {
    request.set_raw_input(item.input.raw_input());
  }
}

void CopyInput(const InputItem& item, v1::CompareRequest& request) {
  if (item.input.has_float_input()) {
    *request.mutable_float_input() = item.input.float_input();
  } else {
    request.set_raw_input(item.input.raw_input());
  }
}

absl::StatusOr<v1::TensorSpec> SingleInput(const v1::ModelMetadata& metadata) {
  if (metadata.inputs_size() != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model '", metadata.name(), "' has ", metadata.inputs_size(), " inputs; only one is supported"));
  }
  return metadata.inputs(0);
}

absl::StatusOr<std::string> RandomTensorBytes(v1::DataType dtype, int64_t elements, uint64_t seed) {
  const int size = dtype == v1::INT8 || dtype == v1::UINT8 ? 1 : dtype == v1::INT16 ? 2 : 0;
  if (size == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "random inputs are drawn for INT8, UINT8 and INT16 input tensors, not ",
        v1::DataType_Name(dtype)));
  }
  std::string bytes(static_cast<size_t>(elements) * size, '\0');
  SplitMix64 random(seed);
  for (int64_t i = 0; i < elements; ++i) {
    const uint64_t z = random.Next();
    if (size == 1) {
      bytes[i] = static_cast<char>(z >> 56);
    } else {  // little-endian int16 from the top 16 bits
      bytes[2 * i] = static_cast<char>((z >> 48) & 0xff);
      bytes[2 * i + 1] = static_cast<char>(z >> 56);
    }
  }
  return bytes;
}

absl::StatusOr<std::vector<InputItem>> RandomInputs(const v1::ModelMetadata& metadata, int n,
                                                    uint64_t seed) {
  auto input = SingleInput(metadata);
  if (!input.ok()) return input.status();
  // Every input is made up front: refuse sets that would not fit in memory.
  constexpr int64_t kMaxBytes = int64_t{1} << 30;
  const int64_t bytes_each = Elements(*input) * DataTypeBytes(input->dtype());
  if (bytes_each * n > kMaxBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        n, " random inputs of ", bytes_each, " bytes need ", bytes_each * n / (1 << 20),
        " MiB; at most ", kMaxBytes / (1 << 20), " MiB are generated (use fewer)"));
  }
  std::vector<InputItem> items;
  items.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto bytes = RandomTensorBytes(input->dtype(), Elements(*input), seed + static_cast<uint64_t>(i));
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model '", metadata.name(), "': ", bytes.status().message()));
    }
    InputItem item;
    item.name = absl::StrFormat("random_%04d", i);
    item.input.set_raw_input(*std::move(bytes));
    items.push_back(std::move(item));
  }
  return items;
}

absl::StatusOr<std::vector<InputItem>> DirectoryInputs(const std::string& dir,
                                                       const v1::ModelMetadata& metadata) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("'", dir, "' is not a directory"));
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = absl::AsciiStrToLower(entry.path().extension().string());
    if (ext == ".bin" || ext == ".npy" || ext == ".png" || ext == ".jpg" || ext == ".jpeg" ||
        ext == ".bmp") {
      files.push_back(entry.path());
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list '", dir, "': ", ec.message()));
  if (files.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no .bin, .npy, .png, .jpg, .jpeg or .bmp files in '", dir, "'"));
  }
  std::sort(files.begin(), files.end());
  std::vector<InputItem> items;
  items.reserve(files.size());
  for (const fs::path& file : files) {
    InputItem item;
    item.name = file.filename().string();
    if (absl::Status s = FillInput(file.string(), metadata, item.input); !s.ok()) return s;
    items.push_back(std::move(item));
  }
  return items;
}

std::optional<int> Top1(const std::string& raw, v1::DataType dtype) {
  const int size = DataTypeBytes(dtype);
  if (size == 0 || dtype == v1::FLOAT32 || dtype == v1::BOOL || raw.size() < size_t(size)) {
    return std::nullopt;
  }
  auto value = [&](size_t i) -> int64_t {
    const char* p = raw.data() + i * size;
    switch (dtype) {
      case v1::INT8: return static_cast<int8_t>(*p);
      case v1::UINT8: return static_cast<uint8_t>(*p);
      case v1::INT16: { int16_t v; std::memcpy(&v, p, 2); return v; }
      case v1::INT32: { int32_t v; std::memcpy(&v, p, 4); return v; }
      default: { int64_t v; std::memcpy(&v, p, 8); return v; }
    }
  };
  const size_t n = raw.size() / size;
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (value(i) > value(best)) best = i;
  }
  return static_cast<int>(best);
}

absl::StatusOr<std::vector<InputItem>> OracleInputs(const std::string& dir,
                                                    const v1::ModelMetadata& metadata) {
  auto input = SingleInput(metadata);
  if (!input.ok()) return input.status();
  const std::string index_path = (fs::path(dir) / "index.json").string();
  auto index_text = ReadFile(index_path);
  if (!index_text.ok()) {
    return absl::NotFoundError(absl::StrCat("'", dir, "' is not an oracle directory: ",
                                            index_text.status().message()));
  }
  std::vector<InputItem> items;
  try {
    const nlohmann::json index = nlohmann::json::parse(*index_text);
    auto in_bytes = OracleTensorBytes(index.at("input"));
    auto out_bytes = OracleTensorBytes(index.at("output"));
    if (!in_bytes.ok()) return in_bytes.status();
    if (!out_bytes.ok()) return out_bytes.status();
    const int64_t model_bytes = Elements(*input) * DataTypeBytes(input->dtype());
    if (*in_bytes != model_bytes || *in_bytes == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "oracle '", dir, "' inputs are ", *in_bytes, " bytes but model '", metadata.name(),
          "' takes ", model_bytes, " (is it this model's oracle?)"));
    }
    const v1::DataType out_dtype = OracleDataType(index["output"]["dtype"].get<std::string>());
    const bool classifier = metadata.config().kind() == v1::CLASSIFIER;
    for (const auto& set : index.at("sets").items()) {
      if (set.key() == "intermediates") continue;
      std::vector<nlohmann::json> entries;
      if (set.value().is_array()) {
        for (const auto& e : set.value()) entries.push_back(e);
      } else {
        entries.push_back(set.value());
      }
      for (const nlohmann::json& entry : entries) {
        const std::string in_name = entry.at("input").get<std::string>();
        auto in = ReadFile((fs::path(dir) / in_name).string());
        if (!in.ok()) return in.status();
        auto out = ReadFile((fs::path(dir) / entry.at("output").get<std::string>()).string());
        if (!out.ok()) return out.status();
        const size_t runs = in->size() / static_cast<size_t>(*in_bytes);
        if (in->size() % *in_bytes != 0 || out->size() != runs * *out_bytes) {
          return absl::InvalidArgumentError(
              absl::StrCat("oracle '", dir, "': sizes of ", in_name, " and its output disagree"));
        }
        for (size_t r = 0; r < runs; ++r) {
          InputItem item;
          item.name = absl::StrCat(set.key(), "/", in_name, runs > 1 ? absl::StrCat("#", r) : "");
          item.input.set_raw_input(in->substr(r * *in_bytes, *in_bytes));
          item.expected_output = out->substr(r * *out_bytes, *out_bytes);
          if (classifier) item.label = Top1(*item.expected_output, out_dtype);
          items.push_back(std::move(item));
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(index_path, ": ", e.what()));
  }
  if (items.empty()) return absl::NotFoundError(absl::StrCat("oracle '", dir, "' has no vectors"));
  return items;
}

absl::StatusOr<std::vector<std::optional<int>>> ParseLabels(
    const std::string& text, const std::vector<std::string>& names, int64_t classes,
    const std::vector<std::string>& class_names) {
  auto parse_class = [&](absl::string_view field, int line) -> absl::StatusOr<int> {
    field = absl::StripAsciiWhitespace(field);
    int index = 0;
    if (absl::SimpleAtoi(field, &index)) {
      if (index < 0 || (classes > 0 && index >= classes)) {
        return absl::InvalidArgumentError(absl::StrCat("labels line ", line, ": class ", index,
                                                       " is outside [0, ", classes, ")"));
      }
      return index;
    }
    for (size_t i = 0; i < class_names.size(); ++i) {
      if (class_names[i] == field) return static_cast<int>(i);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "labels line ", line, ": '", field, "' is neither a class index nor one of the model's labels"));
  };
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < names.size(); ++i) by_name.emplace(names[i], i);

  std::vector<std::optional<int>> labels(names.size());
  size_t sequential = 0;
  bool mapped = false;
  int line_number = 0;
  bool first_entry = true;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t comma = line.rfind(',');
    const bool is_mapping = comma != absl::string_view::npos;
    if (first_entry && is_mapping &&
        absl::AsciiStrToLower(std::string(line)) == "file,class") {
      first_entry = false;
      mapped = true;
      continue;
    }
    if (!first_entry && is_mapping != mapped) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labels line ", line_number, ": mixes NAME,CLASS lines and CLASS-only lines"));
    }
    first_entry = false;
    mapped = is_mapping;
    if (is_mapping) {
      const std::string name(absl::StripAsciiWhitespace(line.substr(0, comma)));
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("labels line ", line_number, ": no input named '", name, "'"));
      }
      auto c = parse_class(line.substr(comma + 1), line_number);
      if (!c.ok()) return c.status();
      labels[it->second] = *c;
    } else {
      if (sequential >= names.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "labels line ", line_number, ": more labels than the ", names.size(), " inputs"));
      }
      auto c = parse_class(line, line_number);
      if (!c.ok()) return c.status();
      labels[sequential++] = *c;
    }
  }
  if (!mapped && sequential != names.size()) {
    return absl::InvalidArgumentError(absl::StrCat("labels file has ", sequential,
                                                   " class lines for ", names.size(), " inputs"));
  }
  return labels;
}

absl::Status ApplyLabelsFile(const std::string& path, const v1::ModelMetadata& metadata,
                             std::vector<InputItem>& items) {
  auto text = ReadFile(path);
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("cannot read labels file '", path, "'"));
  std::vector<std::string> names;
  for (const InputItem& item : items) names.push_back(item.name);
  const int64_t classes = metadata.outputs_size() > 0 ? Elements(metadata.outputs(0)) : 0;
  const std::vector<std::string> class_names(metadata.labels().begin(), metadata.labels().end());
  auto labels = ParseLabels(*text, names, classes, class_names);
  if (!labels.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", labels.status().message()));
  }
  for (size_t i = 0; i < items.size(); ++i) items[i].label = (*labels)[i];
  return absl::OkStatus();
}

}  // namespace tinyserve::cli
