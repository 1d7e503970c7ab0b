#include "clients/tinyserve_cli/report_format.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace tinyserve::cli {

Json SummaryJson(const Summary& s) {
  Json j;
  j["count"] = s.count;
  // Rounded to 0.001 (nanoseconds for microsecond values): no float noise.
  auto value = [&](double v) {
    return s.count > 0 ? Json(std::round(v * 1000) / 1000) : Json(nullptr);
  };
  j["min"] = value(s.min);
  j["mean"] = value(s.mean);
  j["p50"] = value(s.p50);
  j["p90"] = value(s.p90);
  j["p95"] = value(s.p95);
  j["p99"] = value(s.p99);
  j["max"] = value(s.max);
  return j;
}

Json ErrorsJson(const ErrorCounts& errors) {
  Json j = Json::object();
  for (const auto& entry : errors.counts()) j[entry.first] = entry.second;
  return j;
}

std::string Micros(const Summary& s, double value) {
  return s.count > 0 ? absl::StrFormat("%.1f", value) : "-";
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return "-";
  return absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

void TextTable::Print(std::FILE* out, const std::string& indent) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - row[i].size(), ' ');
      if (i == 0) {
        absl::StrAppend(&line, row[i], pad);
      } else {
        absl::StrAppend(&line, "  ", pad, row[i]);
      }
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  return absl::StrCat("\"", absl::StrReplaceAll(value, {{"\"", "\"\""}}), "\"");
}

}  // namespace tinyserve::cli
