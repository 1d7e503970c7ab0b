// tinyserve-cli ab: an input set through the Compare RPC on two or more
// devices with bounded concurrency; per pair of devices how often the raw
// outputs are bit-exact, how far apart they are and whether top-1 agrees; per
// device latency, accuracy against labels and exactness against the oracle.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/tinyserve_cli/commands.h"
#include "clients/tinyserve_cli/input_sets.h"
#include "clients/tinyserve_cli/load_stats.h"
#include "clients/tinyserve_cli/progress_line.h"
#include "clients/tinyserve_cli/report_format.h"
#include "nlohmann/json.hpp"

namespace tinyserve::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMismatchesKept = 20;

// One Compare call.
struct CallRecord {
  bool ok = false;
  std::string code;   // status code name, or INVALID_RESPONSE
  std::string error;  // the failure's message
  double round_trip_us = 0;
  v1::CompareResponse response;
};

struct PairStats {
  std::string device_a, device_b;
  int64_t compared = 0;
  int64_t exact = 0;
  int64_t top1_agree = 0;
  int64_t differing_elements = 0;
  int64_t max_abs_diff = 0;
  DiffHistogram histogram;
};

struct DeviceStats {
  std::string device;
  std::string kind;
  std::vector<double> device_us, total_us;
  int64_t labelled = 0, correct = 0;
  int64_t oracle_compared = 0, oracle_exact = 0;
};

struct Mismatch {
  std::string input;
  v1::PairComparison pair;
};

struct Report {
  std::string model;
  int64_t version = 0;
  v1::ModelKind kind = v1::MODEL_KIND_UNSPECIFIED;
  std::vector<std::string> devices;
  Json source;
  std::string labels_from;  // "file", "oracle" or ""
  int64_t inputs = 0;
  int concurrency = 0;
  int64_t compared = 0;
  double elapsed_seconds = 0;
  ErrorCounts errors;
  std::map<std::string, std::string> error_examples;
  std::vector<double> round_trip_us;
  std::vector<PairStats> pairs;
  std::vector<DeviceStats> devices_stats;
  std::vector<Mismatch> mismatches;  // the first kMismatchesKept, in input order
  int64_t mismatches_total = 0;   // inputs that differ on at least one pair
  int64_t mismatched_pairs = 0;   // (input, pair) entries that differ
};

std::string Concatenated(const v1::ClassifyResponse& response) {
  std::string raw;
  for (const auto& output : response.outputs()) raw += output.raw();
  return raw;
}

// Checks the response has one result per device and every pair, in the
// proto's order; the reason otherwise.
std::optional<std::string> CheckShape(const v1::CompareResponse& r,
                                      const std::vector<std::string>& devices) {
  if (r.results_size() != static_cast<int>(devices.size())) {
    return absl::StrCat(r.results_size(), " results for ", devices.size(), " devices");
  }
  for (size_t i = 0; i < devices.size(); ++i) {
    if (r.results(static_cast<int>(i)).device() != devices[i]) {
      return absl::StrCat("result ", i, " is device '", r.results(static_cast<int>(i)).device(),
                          "', expected '", devices[i], "'");
    }
  }
  int k = 0;
  for (size_t i = 0; i < devices.size(); ++i) {
    for (size_t j = i + 1; j < devices.size(); ++j, ++k) {
      if (k >= r.pairs_size() || r.pairs(k).device_a() != devices[i] ||
          r.pairs(k).device_b() != devices[j]) {
        return absl::StrCat("pair ", k, " is not ", devices[i], " vs ", devices[j]);
      }
    }
  }
  if (k != r.pairs_size()) return absl::StrCat(r.pairs_size(), " pairs, expected ", k);
  return std::nullopt;
}

void Aggregate(const std::vector<InputItem>& items, const std::vector<CallRecord>& records,
               Report& report) {
  const bool classifier = report.kind == v1::CLASSIFIER;
  for (size_t i = 0; i < report.devices.size(); ++i) {
    for (size_t j = i + 1; j < report.devices.size(); ++j) {
      PairStats p;
      p.device_a = report.devices[i];
      p.device_b = report.devices[j];
      report.pairs.push_back(std::move(p));
    }
    DeviceStats d;
    d.device = report.devices[i];
    report.devices_stats.push_back(std::move(d));
  }
  for (size_t n = 0; n < records.size(); ++n) {
    const CallRecord& record = records[n];
    report.round_trip_us.push_back(record.round_trip_us);
    if (!record.ok) {
      report.errors.Add(record.code);
      report.error_examples.emplace(record.code, record.error);
      continue;
    }
    ++report.compared;
    const InputItem& item = items[n];
    for (int d = 0; d < record.response.results_size(); ++d) {
      const v1::ClassifyResponse& r = record.response.results(d).response();
      DeviceStats& stats = report.devices_stats[d];
      if (stats.kind.empty()) stats.kind = r.metrics().device_kind();
      stats.device_us.push_back(r.metrics().latency_us().device());
      stats.total_us.push_back(r.metrics().latency_us().total());
      if (classifier && item.label.has_value()) {
        ++stats.labelled;
        if (r.classes_size() > 0 && r.classes(0).index() == *item.label) ++stats.correct;
      }
      if (item.expected_output.has_value()) {
        ++stats.oracle_compared;
        if (Concatenated(r) == *item.expected_output) ++stats.oracle_exact;
      }
    }
    bool mismatched = false;
    for (int k = 0; k < record.response.pairs_size(); ++k) {
      const v1::PairComparison& c = record.response.pairs(k);
      PairStats& p = report.pairs[k];
      ++p.compared;
      if (c.bit_exact()) ++p.exact;
      if (c.top1_agrees()) ++p.top1_agree;
      p.differing_elements += c.differing_elements();
      p.max_abs_diff = std::max(p.max_abs_diff, c.max_abs_diff());
      p.histogram.Add(c.max_abs_diff());
      if (!c.bit_exact()) {
        mismatched = true;
        ++report.mismatched_pairs;
        if (report.mismatches.size() < kMismatchesKept) report.mismatches.push_back({item.name, c});
      }
    }
    if (mismatched) ++report.mismatches_total;
  }
}

std::optional<double> Rate(int64_t part, int64_t whole) {
  if (whole <= 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

Json OptionalJson(const std::optional<double>& v) {
  return v.has_value() ? Json(*v) : Json(nullptr);
}

Json ReportJson(const Report& r) {
  const bool classifier = r.kind == v1::CLASSIFIER;
  Json j;
  j["command"] = "ab";
  j["model"] = r.model;
  j["version"] = r.version;
  j["kind"] = v1::ModelKind_Name(r.kind);
  j["devices"] = r.devices;
  j["source"] = r.source;
  j["labels"] = r.labels_from.empty() ? Json(nullptr) : Json(r.labels_from);
  j["inputs"] = r.inputs;
  j["concurrency"] = r.concurrency;
  j["compared"] = r.compared;
  j["failed"] = r.errors.total();
  j["elapsed_s"] = r.elapsed_seconds;
  j["errors"] = ErrorsJson(r.errors);
  j["error_examples"] = Json::object();
  for (const auto& e : r.error_examples) j["error_examples"][e.first] = e.second;
  j["round_trip_us"] = SummaryJson(Summarize(r.round_trip_us));
  j["pairs"] = Json::array();
  for (const PairStats& p : r.pairs) {
    Json pj;
    pj["device_a"] = p.device_a;
    pj["device_b"] = p.device_b;
    pj["compared"] = p.compared;
    pj["exact"] = p.exact;
    pj["exact_rate"] = OptionalJson(Rate(p.exact, p.compared));
    pj["differing_elements"] = p.differing_elements;
    pj["max_abs_diff"] = p.max_abs_diff;
    Json histogram = Json::object();
    for (int b = 0; b < DiffHistogram::kBuckets; ++b) {
      histogram[DiffHistogram::BucketName(b)] = p.histogram.count(b);
    }
    pj["max_abs_diff_histogram"] = histogram;
    pj["top1_agree"] = classifier ? Json(p.top1_agree) : Json(nullptr);
    pj["top1_agree_rate"] =
        classifier ? OptionalJson(Rate(p.top1_agree, p.compared)) : Json(nullptr);
    j["pairs"].push_back(pj);
  }
  j["per_device"] = Json::array();
  for (const DeviceStats& d : r.devices_stats) {
    Json dj;
    dj["device"] = d.device;
    dj["device_kind"] = d.kind;
    dj["latency_us"]["device"] = SummaryJson(Summarize(d.device_us));
    dj["latency_us"]["server_total"] = SummaryJson(Summarize(d.total_us));
    if (classifier && !r.labels_from.empty()) {
      dj["accuracy"] = {{"labelled", d.labelled},
                        {"correct", d.correct},
                        {"rate", OptionalJson(Rate(d.correct, d.labelled))}};
    } else {
      dj["accuracy"] = nullptr;
    }
    if (d.oracle_compared > 0) {
      dj["oracle_exact"] = {{"compared", d.oracle_compared},
                            {"exact", d.oracle_exact},
                            {"rate", OptionalJson(Rate(d.oracle_exact, d.oracle_compared))}};
    } else {
      dj["oracle_exact"] = nullptr;
    }
    j["per_device"].push_back(dj);
  }
  j["mismatches_total"] = r.mismatches_total;
  j["mismatches"] = Json::array();
  for (const Mismatch& m : r.mismatches) {
    Json mj;
    mj["input"] = m.input;
    mj["device_a"] = m.pair.device_a();
    mj["device_b"] = m.pair.device_b();
    mj["differing_elements"] = m.pair.differing_elements();
    mj["max_abs_diff"] = m.pair.max_abs_diff();
    if (m.pair.has_first_diff_index()) {
      mj["first_diff"] = {{"index", m.pair.first_diff_index()},
                          {"a", m.pair.first_diff_a()},
                          {"b", m.pair.first_diff_b()}};
    } else {
      mj["first_diff"] = nullptr;
    }
    j["mismatches"].push_back(mj);
  }
  return j;
}

std::string SourceText(const Json& source) {
  const std::string kind = source["kind"];
  if (kind == "random") {
    return absl::StrFormat("random, seed 0x%x", source["seed"].get<uint64_t>());
  }
  return absl::StrCat(kind, " ", source["path"].get<std::string>());
}

void PrintHuman(const Report& r) {
  const bool classifier = r.kind == v1::CLASSIFIER;
  std::printf("ab %s v%lld (%s): %s; %lld inputs (%s), concurrency %d\n", r.model.c_str(),
              static_cast<long long>(r.version), v1::ModelKind_Name(r.kind).c_str(),
              absl::StrJoin(r.devices, " vs ").c_str(), static_cast<long long>(r.inputs),
              SourceText(r.source).c_str(), r.concurrency);
  std::printf("compared %lld/%lld in %.2f s (%.1f inputs/s)\n\n",
              static_cast<long long>(r.compared), static_cast<long long>(r.inputs),
              r.elapsed_seconds, Throughput(r.compared, r.elapsed_seconds));

  TextTable pairs({"pair", "compared", "bit-exact", "exact %", "differing elems", "max |diff|",
                   "top-1 agree"});
  for (const PairStats& p : r.pairs) {
    pairs.AddRow({p.device_a + " vs " + p.device_b, absl::StrCat(p.compared),
                  absl::StrCat(p.exact), Percent(p.exact, p.compared),
                  absl::StrCat(p.differing_elements), absl::StrCat(p.max_abs_diff),
                  classifier ? Percent(p.top1_agree, p.compared) : "n/a"});
  }
  pairs.Print(stdout);

  std::printf("\ninputs by max |diff| between the pair's raw outputs (LSB):\n");
  std::vector<std::string> header = {"pair"};
  for (int b = 0; b < DiffHistogram::kBuckets; ++b) header.push_back(DiffHistogram::BucketName(b));
  TextTable histogram(header);
  for (const PairStats& p : r.pairs) {
    std::vector<std::string> row = {p.device_a + " vs " + p.device_b};
    for (int b = 0; b < DiffHistogram::kBuckets; ++b) row.push_back(absl::StrCat(p.histogram.count(b)));
    histogram.AddRow(row);
  }
  histogram.Print(stdout);

  std::printf("\nlatency (us):\n");
  TextTable latency({"", "n", "p50", "p90", "p99", "max"});
  auto add = [&](const std::string& name, const std::vector<double>& samples) {
    const Summary s = Summarize(samples);
    latency.AddRow({name, absl::StrCat(s.count), Micros(s, s.p50), Micros(s, s.p90),
                    Micros(s, s.p99), Micros(s, s.max)});
  };
  for (const DeviceStats& d : r.devices_stats) {
    add(d.device + " device", d.device_us);
    add(d.device + " server total", d.total_us);
  }
  add("Compare round trip", r.round_trip_us);
  latency.Print(stdout);

  if (classifier && !r.labels_from.empty()) {
    std::printf("\naccuracy (labels: %s):\n",
                r.labels_from == "oracle" ? "the oracle's top-1 class" : "from the labels file");
    TextTable accuracy({"device", "labelled", "correct", "accuracy"});
    for (const DeviceStats& d : r.devices_stats) {
      accuracy.AddRow({d.device, absl::StrCat(d.labelled), absl::StrCat(d.correct),
                       Percent(d.correct, d.labelled)});
    }
    accuracy.Print(stdout);
  }
  if (!r.devices_stats.empty() && r.devices_stats[0].oracle_compared > 0) {
    std::printf("\nbit-exact with the oracle (TFLM's raw outputs):\n");
    TextTable oracle({"device", "compared", "exact", "exact %"});
    for (const DeviceStats& d : r.devices_stats) {
      oracle.AddRow({d.device, absl::StrCat(d.oracle_compared), absl::StrCat(d.oracle_exact),
                     Percent(d.oracle_exact, d.oracle_compared)});
    }
    oracle.Print(stdout);
  }
  if (r.mismatches_total > 0) {
    std::printf("\n%lld input(s) differ on at least one pair; %s differing (input, pair):\n",
                static_cast<long long>(r.mismatches_total),
                static_cast<int64_t>(r.mismatches.size()) == r.mismatched_pairs ? "every"
                                                      : absl::StrCat("the first ", kMismatchesKept).c_str());
    TextTable table({"input", "pair", "differing", "max |diff|", "first diff (index: a vs b)"});
    for (const Mismatch& m : r.mismatches) {
      table.AddRow({m.input, m.pair.device_a() + " vs " + m.pair.device_b(),
                    absl::StrCat(m.pair.differing_elements()), absl::StrCat(m.pair.max_abs_diff()),
                    m.pair.has_first_diff_index()
                        ? absl::StrCat(m.pair.first_diff_index(), ": ", m.pair.first_diff_a(),
                                       " vs ", m.pair.first_diff_b())
                        : "-"});
    }
    table.Print(stdout);
  }
  if (r.errors.total() == 0) {
    std::printf("\nerrors: none\n");
  } else {
    std::printf("\nerrors: %lld call(s) failed\n", static_cast<long long>(r.errors.total()));
    for (const auto& e : r.errors.counts()) {
      std::printf("  %-20s %6lld  e.g. %s\n", e.first.c_str(), static_cast<long long>(e.second),
                  r.error_examples.at(e.first).c_str());
    }
  }
}

// One row per input: index, input, label, status, round trip, then per device
// top-1 / device us / server total us, then per pair exact / max |Δ| /
// differing elements / top-1 agrees, then the error message.
void WriteCsv(std::ofstream& out, const Report& r, const std::vector<InputItem>& items,
              const std::vector<CallRecord>& records) {
  out << "index,input,label,status,round_trip_us";
  for (const std::string& d : r.devices) out << "," << d << "_top1," << d << "_device_us," << d << "_total_us";
  for (const PairStats& p : r.pairs) {
    const std::string pair = p.device_a + "_vs_" + p.device_b;
    out << "," << pair << "_exact," << pair << "_max_abs_diff," << pair << "_differing,"
        << pair << "_top1_agree";
  }
  out << ",error\n";
  for (size_t n = 0; n < records.size(); ++n) {
    const CallRecord& c = records[n];
    out << n << "," << CsvField(items[n].name) << ","
        << (items[n].label.has_value() ? absl::StrCat(*items[n].label) : "") << "," << c.code
        << "," << absl::StrFormat("%.1f", c.round_trip_us);
    for (size_t d = 0; d < r.devices.size(); ++d) {
      if (!c.ok) {
        out << ",,,";
        continue;
      }
      const v1::ClassifyResponse& resp = c.response.results(static_cast<int>(d)).response();
      out << "," << (resp.classes_size() > 0 ? absl::StrCat(resp.classes(0).index()) : "") << ","
          << absl::StrFormat("%.1f", resp.metrics().latency_us().device()) << ","
          << absl::StrFormat("%.1f", resp.metrics().latency_us().total());
    }
    for (size_t k = 0; k < r.pairs.size(); ++k) {
      if (!c.ok) {
        out << ",,,,";
        continue;
      }
      const v1::PairComparison& p = c.response.pairs(static_cast<int>(k));
      out << "," << (p.bit_exact() ? 1 : 0) << "," << p.max_abs_diff() << ","
          << p.differing_elements() << "," << (p.top1_agrees() ? 1 : 0);
    }
    out << "," << CsvField(c.error) << "\n";
  }
}

}  // namespace

int Ab(const Connection& c, const AbArgs& args) {
  // Arguments first: nothing is sent for a command line that makes no sense.
  const int sources = (args.inputs_dir.empty() ? 0 : 1) + (args.random > 0 ? 1 : 0) +
                      (args.oracle_dir.empty() ? 0 : 1);
  if (sources != 1) return UsageError("ab needs exactly one of --inputs, --random, --oracle");
  if (args.devices.size() < 2) {
    return UsageError(absl::StrCat("--devices needs at least two devices to compare, got ",
                                   args.devices.size(), " (e.g. --devices ref,host)"));
  }
  if (std::set<std::string>(args.devices.begin(), args.devices.end()).size() !=
      args.devices.size()) {
    return UsageError(absl::StrCat("--devices names a device twice: ",
                                   absl::StrJoin(args.devices, ",")));
  }

  v1::Inference::Stub stub(c.channel);
  v1::ModelMetadata metadata;
  const grpc::Status meta_status = GetMetadata(c, stub, args.model, args.version, &metadata);
  if (!meta_status.ok()) return FailCall(c, meta_status);
  if (absl::Status s = RequireCompiledOn(metadata, args.devices); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  const bool classifier = metadata.config().kind() == v1::CLASSIFIER;
  if (!args.labels.empty() && !classifier) {
    return UsageError(absl::StrCat("--labels: model '", metadata.name(), "' is a ",
                                   v1::ModelKind_Name(metadata.config().kind()),
                                   ", accuracy needs a CLASSIFIER"));
  }

  Report report;
  absl::StatusOr<std::vector<InputItem>> items;
  if (args.random > 0) {
    items = RandomInputs(metadata, args.random, args.seed);
    report.source = {{"kind", "random"}, {"seed", args.seed}};
  } else if (!args.inputs_dir.empty()) {
    items = DirectoryInputs(args.inputs_dir, metadata);
    report.source = {{"kind", "inputs"}, {"path", args.inputs_dir}};
  } else {
    items = OracleInputs(args.oracle_dir, metadata);
    report.source = {{"kind", "oracle"}, {"path", args.oracle_dir}};
    if (items.ok() && classifier) report.labels_from = "oracle";
  }
  if (!items.ok()) return Fail(std::string(items.status().message()));
  if (!args.labels.empty()) {
    if (absl::Status s = ApplyLabelsFile(args.labels, metadata, *items); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    report.labels_from = "file";
  }
  std::ofstream csv;
  if (!args.csv.empty()) {
    csv.open(args.csv, std::ios::trunc);
    if (!csv) return Fail(absl::StrCat("cannot write --csv file '", args.csv, "'"));
  }

  report.model = metadata.name();
  report.version = metadata.version();
  report.kind = metadata.config().kind();
  report.devices = args.devices;
  report.inputs = static_cast<int64_t>(items->size());
  report.concurrency = args.concurrency;

  // A fixed pool of threads, each taking the next input until none is left;
  // every call has its own deadline, and a failure only marks its record.
  std::vector<CallRecord> records(items->size());
  std::atomic<size_t> next{0};
  ProgressLine progress(absl::StrCat("ab ", metadata.name()), report.inputs, 0,
                        ProgressLine::StderrIsTerminal());
  auto worker = [&] {
    for (size_t n = next.fetch_add(1); n < items->size(); n = next.fetch_add(1)) {
      v1::CompareRequest request;
      request.set_model(args.model);
      request.set_version(args.version);
      for (const std::string& d : args.devices) request.add_devices(d);
      CopyInput((*items)[n], request);
      CallRecord& record = records[n];
      const auto context = c.NewContext();
      const auto start = Clock::now();
      const grpc::Status status = stub.Compare(context.get(), request, &record.response);
      record.round_trip_us =
          std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      if (!status.ok()) {
        record.code = StatusCodeName(status.error_code());
        record.error = status.error_message();
      } else if (auto problem = CheckShape(record.response, args.devices)) {
        record.code = "INVALID_RESPONSE";
        record.error = *problem;
      } else {
        record.ok = true;
        record.code = "OK";
      }
      progress.Add(!record.ok);
    }
  };
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  const size_t thread_count = std::min<size_t>(static_cast<size_t>(args.concurrency), items->size());
  for (size_t t = 0; t < thread_count; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress.Finish();

  Aggregate(*items, records, report);
  if (csv.is_open()) {
    WriteCsv(csv, report, *items, records);
    csv.close();
    if (!csv) return Fail(absl::StrCat("cannot write --csv file '", args.csv, "'"));
  }
  if (args.json) {
    std::printf("%s\n", ReportJson(report).dump(2).c_str());
  } else {
    PrintHuman(report);
  }
  return report.compared == report.inputs ? 0 : 1;
}

}  // namespace tinyserve::cli
