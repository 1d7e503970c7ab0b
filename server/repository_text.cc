#include "server/repository_text.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/text_format.h"
#include "server/text_checks.h"

namespace tinyserve::server {
namespace {

namespace pb = google::protobuf;

// Parser messages may quote the file; keep them short enough for any client.
constexpr std::size_t kMaxParserMessage = 200;

// 1-based line and column of byte `offset` in `text`.
std::pair<std::size_t, std::size_t> LineAndColumn(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n');
  const std::size_t column = line_start == std::string_view::npos ? offset + 1 : offset - line_start;
  return {line, column};
}

// The first string field (depth first) holding invalid UTF-8, as a field path
// ("description", "devices[2].device"); "" when every one is valid.
std::string FirstInvalidUtf8Field(const pb::Message& message, const std::string& prefix) {
  const pb::Reflection* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    const std::string name = prefix + field->name();
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const std::string path = field->is_repeated() ? absl::StrCat(name, "[", i, "]") : name;
      if (field->type() == pb::FieldDescriptor::TYPE_STRING) {
        const std::string value = field->is_repeated()
                                      ? reflection->GetRepeatedString(message, field, i)
                                      : reflection->GetString(message, field);
        if (!IsValidUtf8(value)) return path;
      } else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        const pb::Message& child = field->is_repeated()
                                       ? reflection->GetRepeatedMessage(message, field, i)
                                       : reflection->GetMessage(message, field);
        std::string bad = FirstInvalidUtf8Field(child, path + ".");
        if (!bad.empty()) return bad;
      }
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<v1::ModelConfig> ParseModelConfig(std::string_view text,
                                                 const std::string& file_name) {
  if (auto bad = FirstInvalidUtf8Offset(text)) {
    const auto [line, column] = LineAndColumn(text, *bad);
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": line ", line, ":", column,
                                                   ": not valid UTF-8"));
  }
  // Collect parser errors so the message says where the file is wrong.
  class Collector : public pb::io::ErrorCollector {
   public:
    void AddError(int line, int column, const std::string& message) override {
      if (first.empty()) {
        // Cut short, but never inside a UTF-8 sequence: clients read this.
        std::string shown = message.substr(0, kMaxParserMessage);
        while (!IsValidUtf8(shown)) shown.pop_back();
        first = absl::StrCat("line ", line + 1, ":", column + 1, ": ", shown);
      }
    }
    std::string first;
  } errors;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  v1::ModelConfig config;
  // protobuf 3.21 takes the text as a ConstStringParam (std::string).
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": ", errors.first));
  }
  const std::string bad_field = FirstInvalidUtf8Field(config, "");
  if (!bad_field.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": field ", bad_field,
                                                   " is not valid UTF-8 (check its escapes)"));
  }
  return config;
}

absl::StatusOr<std::vector<std::string>> ParseLabels(std::string_view bytes,
                                                     const std::string& file_name,
                                                     const RepositoryLimits& limits) {
  if (bytes.size() > limits.max_labels_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": ", bytes.size(),
                                                   " bytes, more than the limit of ",
                                                   limits.max_labels_bytes));
  }
  std::vector<std::string> labels;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < bytes.size()) {
    ++line_number;
    std::size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (labels.size() == limits.max_labels) {
      // Only trailing empty lines may follow the last allowed label.
      if (line.empty()) continue;
      return absl::InvalidArgumentError(absl::StrCat(file_name, ": more than ", limits.max_labels,
                                                     " labels (line ", line_number, ")"));
    }
    if (auto bad = FirstInvalidUtf8Offset(line)) {
      return absl::InvalidArgumentError(absl::StrCat(file_name, ": line ", line_number, ":",
                                                     *bad + 1, ": not valid UTF-8"));
    }
    if (line.size() > limits.max_label_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          file_name, ": line ", line_number, ": label of ", line.size(),
          " bytes, more than the limit of ", limits.max_label_bytes));
    }
    labels.emplace_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

}  // namespace tinyserve::server
