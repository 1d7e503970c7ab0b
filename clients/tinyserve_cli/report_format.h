// Shared output helpers of `ab` and `bench`: latency summaries as JSON, text
// tables with aligned columns, and CSV fields.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_REPORT_FORMAT_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_REPORT_FORMAT_H_

#include <cstdio>
#include <string>
#include <vector>

#include "clients/tinyserve_cli/load_stats.h"
#include "nlohmann/json.hpp"

namespace tinyserve::cli {

// Report documents keep their keys in the order written.
using Json = nlohmann::ordered_json;

// {"count": n, "min", "mean", "p50", "p90", "p95", "p99", "max"} in the
// samples' unit (microseconds in every report), rounded to 0.001; with
// count 0 the others are null.
Json SummaryJson(const Summary& s);

// {"CODE": count, ...}, only codes that occurred.
Json ErrorsJson(const ErrorCounts& errors);

// A value with one decimal, or "-" for a summary without samples.
std::string Micros(const Summary& s, double value);
// "12.3%"; "-" when the denominator is 0.
std::string Percent(int64_t part, int64_t whole);

// Rows of cells printed with each column padded to its widest cell: the first
// column left-aligned, the others right-aligned.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::FILE* out, const std::string& indent = "  ") const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// A CSV field, quoted (RFC 4180) when it holds a comma, quote or newline.
std::string CsvField(const std::string& value);

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_REPORT_FORMAT_H_
