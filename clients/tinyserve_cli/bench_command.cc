// tinyserve-cli bench: a load generator for one model on one device. Closed
// loop (a fixed number of requests in flight, one step per --concurrency
// value) or open loop (--rate: arrivals on a schedule, whatever the answers
// take). Per step: throughput, client round trip percentiles, the server's own
// stage times from each response's metrics block, errors by status code.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/tinyserve_cli/arrivals.h"
#include "clients/tinyserve_cli/commands.h"
#include "clients/tinyserve_cli/input_files.h"
#include "clients/tinyserve_cli/input_sets.h"
#include "clients/tinyserve_cli/load_stats.h"
#include "clients/tinyserve_cli/progress_line.h"
#include "clients/tinyserve_cli/report_format.h"
#include "nlohmann/json.hpp"

namespace tinyserve::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRandomInputs = 16;  // distinct random inputs, sent in turn

// One request.
struct Sample {
  grpc::StatusCode code = grpc::StatusCode::OK;
  double start_us = 0;       // send time from the start of the step
  double send_lag_us = 0;    // open loop: how late the send was against its schedule
  double round_trip_us = 0;
  v1::LatencyMicros server;  // the response's metrics block (OK only)
  std::string error;         // the message of a failed call
};

struct StepSpec {
  int concurrency = 0;  // closed loop
  double rate = 0;      // open loop
};

struct StepResult {
  StepSpec spec;
  std::vector<Sample> samples;  // by send time
  double elapsed_seconds = 0;   // start of the step to the last answer
  ErrorCounts errors;
  std::map<std::string, std::string> error_examples;
  int64_t ok = 0;
  int64_t late_sends = 0;  // open loop: sent more than 1 ms after their time
  double max_send_lag_us = 0;
  std::string device, device_kind;  // from the responses
};

// What every step shares.
struct Plan {
  const Connection* connection = nullptr;
  v1::Inference::Stub* stub = nullptr;
  std::vector<v1::ClassifyRequest> requests;  // sent in turn
  ArrivalSchedule::Kind arrival = ArrivalSchedule::Kind::kPoisson;
  int max_inflight = 1;
  uint64_t seed = 0;
};

// Runs one step: until duration_seconds pass or request_limit (> 0) requests
// were sent. Calls in flight at the end finish and count.
StepResult RunStep(const Plan& plan, const StepSpec& spec, double duration_seconds,
                   int64_t request_limit, ProgressLine* progress) {
  const bool open_loop = spec.rate > 0;
  const int thread_count = open_loop ? plan.max_inflight : spec.concurrency;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(duration_seconds));
  std::atomic<int64_t> claimed{0};
  std::mutex schedule_mu;
  ArrivalSchedule schedule(plan.arrival, open_loop ? spec.rate : 1.0, plan.seed);
  std::vector<std::vector<Sample>> per_thread(thread_count);
  std::vector<Clock::time_point> last_answer(thread_count, start);
  std::string device, device_kind;
  std::once_flag device_once;

  auto worker = [&](int t) {
    for (;;) {
      int64_t k = 0;
      Clock::time_point send_at = Clock::now();
      if (open_loop) {
        double offset = 0;
        {
          std::lock_guard<std::mutex> lock(schedule_mu);
          k = claimed.fetch_add(1);
          offset = schedule.Next();
        }
        if (offset >= duration_seconds) return;
        send_at = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(offset));
        std::this_thread::sleep_until(send_at);
      } else {
        if (Clock::now() >= end) return;
        k = claimed.fetch_add(1);
      }
      if (request_limit > 0 && k >= request_limit) return;
      const v1::ClassifyRequest& request =
          plan.requests[static_cast<size_t>(k) % plan.requests.size()];
      v1::ClassifyResponse response;
      const auto context = plan.connection->NewContext();
      const auto sent = Clock::now();
      const grpc::Status status = plan.stub->Classify(context.get(), request, &response);
      const auto answered = Clock::now();
      Sample s;
      s.code = status.error_code();
      s.start_us = std::chrono::duration<double, std::micro>(sent - start).count();
      s.send_lag_us =
          open_loop ? std::chrono::duration<double, std::micro>(sent - send_at).count() : 0;
      s.round_trip_us = std::chrono::duration<double, std::micro>(answered - sent).count();
      if (status.ok()) {
        s.server = response.metrics().latency_us();
        std::call_once(device_once, [&] {
          device = response.metrics().device();
          device_kind = response.metrics().device_kind();
        });
      } else {
        s.error = status.error_message();
      }
      per_thread[t].push_back(std::move(s));
      last_answer[t] = answered;
      if (progress != nullptr) progress->Add(!status.ok());
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) threads.emplace_back(worker, t);
  for (std::thread& t : threads) t.join();

  StepResult result;
  result.spec = spec;
  result.device = device;
  result.device_kind = device_kind;
  Clock::time_point last = start;
  for (int t = 0; t < thread_count; ++t) {
    last = std::max(last, last_answer[t]);
    result.samples.insert(result.samples.end(), per_thread[t].begin(), per_thread[t].end());
  }
  std::sort(result.samples.begin(), result.samples.end(),
            [](const Sample& a, const Sample& b) { return a.start_us < b.start_us; });
  result.elapsed_seconds = std::chrono::duration<double>(last - start).count();
  for (const Sample& s : result.samples) {
    if (s.code == grpc::StatusCode::OK) {
      ++result.ok;
    } else {
      result.errors.Add(StatusCodeName(s.code));
      result.error_examples.emplace(StatusCodeName(s.code), s.error);
    }
    if (s.send_lag_us > 1000) ++result.late_sends;
    result.max_send_lag_us = std::max(result.max_send_lag_us, s.send_lag_us);
  }
  return result;
}


// The server's stages, in report order.
struct Stage {
  const char* name;
  double (v1::LatencyMicros::*get)() const;
};
constexpr Stage kStages[] = {{"queue", &v1::LatencyMicros::queue},
                             {"quantize", &v1::LatencyMicros::quantize},
                             {"device", &v1::LatencyMicros::device},
                             {"postprocess", &v1::LatencyMicros::postprocess},
                             {"total", &v1::LatencyMicros::total}};

Summary RoundTrip(const StepResult& step) {
  std::vector<double> v;
  for (const Sample& s : step.samples) {
    if (s.code == grpc::StatusCode::OK) v.push_back(s.round_trip_us);
  }
  return Summarize(std::move(v));
}

Summary StageSummary(const StepResult& step, const Stage& stage) {
  std::vector<double> v;
  for (const Sample& s : step.samples) {
    if (s.code == grpc::StatusCode::OK) v.push_back((s.server.*stage.get)());
  }
  return Summarize(std::move(v));
}

std::string StepName(const StepSpec& spec) {
  return spec.rate > 0 ? absl::StrFormat("%g/s", spec.rate) : absl::StrCat("c=", spec.concurrency);
}

struct Header {
  std::string model;
  int64_t version = 0;
  std::string device, device_kind;
  Json input;
  std::string arrival;  // "" for closed loop
  int max_inflight = 0;
  double warmup_seconds = 0;
  double duration_seconds = 0;
  int64_t request_limit = 0;
};

Json ReportJson(const Header& h, const std::vector<StepResult>& steps) {
  const bool open_loop = !h.arrival.empty();
  Json j;
  j["command"] = "bench";
  j["model"] = h.model;
  j["version"] = h.version;
  j["device"] = h.device;
  j["device_kind"] = h.device_kind;
  j["mode"] = open_loop ? "rate" : "concurrency";
  j["arrival"] = open_loop ? Json(h.arrival) : Json(nullptr);
  j["max_inflight"] = open_loop ? Json(h.max_inflight) : Json(nullptr);
  j["input"] = h.input;
  j["warmup_s"] = h.warmup_seconds;
  j["duration_s"] = h.duration_seconds;
  j["requests_per_step"] =
      h.request_limit > 0 ? Json(h.request_limit) : Json(nullptr);
  j["steps"] = Json::array();
  for (const StepResult& step : steps) {
    Json sj;
    sj["concurrency"] =
        open_loop ? Json(nullptr) : Json(step.spec.concurrency);
    sj["rate"] = open_loop ? Json(step.spec.rate) : Json(nullptr);
    sj["sent"] = static_cast<int64_t>(step.samples.size());
    sj["ok"] = step.ok;
    sj["errors"] = ErrorsJson(step.errors);
    sj["error_examples"] = Json::object();
    for (const auto& e : step.error_examples) sj["error_examples"][e.first] = e.second;
    sj["elapsed_s"] = step.elapsed_seconds;
    sj["throughput_rps"] = Throughput(step.ok, step.elapsed_seconds);
    if (open_loop) {
      sj["late_sends"] = step.late_sends;
      sj["max_send_lag_us"] = step.max_send_lag_us;
    }
    sj["latency_us"]["round_trip"] = SummaryJson(RoundTrip(step));
    for (const Stage& stage : kStages) {
      sj["latency_us"]["server"][stage.name] = SummaryJson(StageSummary(step, stage));
    }
    j["steps"].push_back(sj);
  }
  return j;
}

std::string InputText(const Json& input) {
  if (input["kind"] == "file") return absl::StrCat("input ", input["path"].get<std::string>());
  return absl::StrFormat("%d random inputs in turn (seed 0x%x)", input["count"].get<int>(),
                         input["seed"].get<uint64_t>());
}

void PrintHuman(const Header& h, const std::vector<StepResult>& steps) {
  const bool open_loop = !h.arrival.empty();
  std::string limit;
  if (h.request_limit > 0) {
    limit = absl::StrFormat("%d requests (at most %.1f s)", h.request_limit, h.duration_seconds);
  } else {
    limit = absl::StrFormat("%.1f s", h.duration_seconds);
  }
  std::printf("bench %s v%lld on %s (%s), %s; each step %s after %.1f s warmup; %s\n",
              h.model.c_str(), static_cast<long long>(h.version), h.device.c_str(),
              h.device_kind.c_str(),
              open_loop ? absl::StrFormat("open loop, %s arrivals, at most %d in flight",
                                          h.arrival, h.max_inflight)
                              .c_str()
                        : "closed loop",
              limit.c_str(), h.warmup_seconds, InputText(h.input).c_str());

  const std::string step_column = open_loop ? "rate" : "concurrency";
  std::printf("\nclient round trip (us):\n");
  std::vector<std::string> header = {step_column, "sent", "ok", "errors", "req/s", "min",
                                     "p50",       "p90",  "p95", "p99",   "max"};
  if (open_loop) header.push_back("late sends");
  TextTable latency(header);
  for (const StepResult& step : steps) {
    const Summary s = RoundTrip(step);
    std::vector<std::string> row = {
        open_loop ? absl::StrFormat("%g/s", step.spec.rate) : absl::StrCat(step.spec.concurrency),
        absl::StrCat(step.samples.size()),
        absl::StrCat(step.ok),
        absl::StrCat(step.errors.total()),
        absl::StrFormat("%.1f", Throughput(step.ok, step.elapsed_seconds)),
        Micros(s, s.min),
        Micros(s, s.p50),
        Micros(s, s.p90),
        Micros(s, s.p95),
        Micros(s, s.p99),
        Micros(s, s.max)};
    if (open_loop) row.push_back(absl::StrCat(step.late_sends));
    latency.AddRow(row);
  }
  latency.Print(stdout);

  std::printf("\nserver stages, p50 / p99 (us):\n");
  std::vector<std::string> stage_header = {step_column};
  for (const Stage& stage : kStages) stage_header.push_back(stage.name);
  TextTable stages(stage_header);
  for (const StepResult& step : steps) {
    std::vector<std::string> row = {open_loop ? absl::StrFormat("%g/s", step.spec.rate)
                                              : absl::StrCat(step.spec.concurrency)};
    for (const Stage& stage : kStages) {
      const Summary s = StageSummary(step, stage);
      row.push_back(Micros(s, s.p50) + " / " + Micros(s, s.p99));
    }
    stages.AddRow(row);
  }
  stages.Print(stdout);

  int64_t errors = 0;
  for (const StepResult& step : steps) errors += step.errors.total();
  if (errors == 0) {
    std::printf("\nerrors: none\n");
  } else {
    std::printf("\nerrors:\n");
    for (const StepResult& step : steps) {
      for (const auto& e : step.errors.counts()) {
        std::printf("  %-12s %-20s %6lld  e.g. %s\n", StepName(step.spec).c_str(), e.first.c_str(),
                    static_cast<long long>(e.second), step.error_examples.at(e.first).c_str());
      }
    }
  }
  for (const StepResult& step : steps) {
    if (step.late_sends > 0) {
      std::printf("note: at %s, %lld request(s) left more than 1 ms after their scheduled time "
                  "(max %.1f ms late): all %d senders were busy or the client was short of CPU; "
                  "raise --max_inflight if the answers are slow\n",
                  StepName(step.spec).c_str(), static_cast<long long>(step.late_sends),
                  step.max_send_lag_us / 1000, h.max_inflight);
    }
  }
}

// One row per measured request.
void WriteCsv(std::ofstream& out, const std::vector<StepResult>& steps) {
  out << "step,concurrency,rate,index,start_us,send_lag_us,status,round_trip_us,queue_us,"
         "quantize_us,device_us,postprocess_us,total_us\n";
  for (size_t n = 0; n < steps.size(); ++n) {
    const StepResult& step = steps[n];
    for (size_t i = 0; i < step.samples.size(); ++i) {
      const Sample& s = step.samples[i];
      out << n << "," << (step.spec.rate > 0 ? "" : absl::StrCat(step.spec.concurrency)) << ","
          << (step.spec.rate > 0 ? absl::StrFormat("%g", step.spec.rate) : "") << "," << i << ","
          << absl::StrFormat("%.1f,%.1f", s.start_us, s.send_lag_us) << ","
          << StatusCodeName(s.code) << "," << absl::StrFormat("%.1f", s.round_trip_us);
      if (s.code == grpc::StatusCode::OK) {
        for (const Stage& stage : kStages) out << absl::StrFormat(",%.1f", (s.server.*stage.get)());
      } else {
        out << ",,,,,";
      }
      out << "\n";
    }
  }
}

}  // namespace

int Bench(const Connection& c, const BenchArgs& args) {
  const bool open_loop = args.rate > 0;
  if (!open_loop && args.concurrency.empty()) {
    return UsageError("bench needs --concurrency values or a --rate");
  }

  v1::Inference::Stub stub(c.channel);
  v1::ModelMetadata metadata;
  const grpc::Status meta_status = GetMetadata(c, stub, args.model, args.version, &metadata);
  if (!meta_status.ok()) return FailCall(c, meta_status);
  if (!args.device.empty()) {
    if (absl::Status s = RequireCompiledOn(metadata, {args.device}); !s.ok()) {
      return Fail(std::string(s.message()));
    }
  }

  Header header;
  header.model = metadata.name();
  header.version = metadata.version();
  header.device = args.device.empty() ? metadata.config().default_device() : args.device;
  header.arrival = open_loop ? args.arrival : "";
  header.max_inflight = args.max_inflight;
  header.warmup_seconds = args.warmup_seconds;
  header.duration_seconds = args.duration_seconds;
  header.request_limit = args.requests;

  Plan plan;
  plan.connection = &c;
  plan.stub = &stub;
  plan.arrival = args.arrival == "constant" ? ArrivalSchedule::Kind::kConstant
                                            : ArrivalSchedule::Kind::kPoisson;
  plan.max_inflight = args.max_inflight;
  plan.seed = args.seed;
  std::vector<InputItem> items;
  if (!args.input.empty()) {
    InputItem item;
    item.name = args.input;
    if (absl::Status s = FillInput(args.input, metadata, item.input); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    items.push_back(std::move(item));
    header.input = {{"kind", "file"}, {"path", args.input}};
  } else {
    auto random = RandomInputs(metadata, kRandomInputs, args.seed);
    if (!random.ok()) {
      return Fail(absl::StrCat(random.status().message(), "; give an --input file"));
    }
    items = *std::move(random);
    header.input = {{"kind", "random"}, {"count", kRandomInputs}, {"seed", args.seed}};
  }
  for (const InputItem& item : items) {
    v1::ClassifyRequest request;
    request.set_model(args.model);
    request.set_version(args.version);
    request.set_device(args.device);
    CopyInput(item, request);
    plan.requests.push_back(std::move(request));
  }
  std::ofstream csv;
  if (!args.csv.empty()) {
    csv.open(args.csv, std::ios::trunc);
    if (!csv) return Fail(absl::StrCat("cannot write --csv file '", args.csv, "'"));
  }

  std::vector<StepSpec> specs;
  if (open_loop) {
    specs.push_back({0, args.rate});
  } else {
    for (int c : args.concurrency) specs.push_back({c, 0});
  }
  const bool terminal = ProgressLine::StderrIsTerminal();
  std::vector<StepResult> steps;
  for (size_t n = 0; n < specs.size(); ++n) {
    const StepSpec& spec = specs[n];
    const std::string label =
        specs.size() > 1 ? absl::StrCat("bench step ", n + 1, "/", specs.size(), " ", StepName(spec))
                         : absl::StrCat("bench ", StepName(spec));
    if (args.warmup_seconds > 0) {
      ProgressLine warmup(label + " warmup", 0, args.warmup_seconds, terminal);
      RunStep(plan, spec, args.warmup_seconds, 0, &warmup);
    }
    ProgressLine progress(label, args.requests, args.duration_seconds, terminal);
    steps.push_back(RunStep(plan, spec, args.duration_seconds, args.requests, &progress));
    progress.Finish();
    if (header.device_kind.empty()) {
      header.device_kind = steps.back().device_kind;
      if (!steps.back().device.empty()) header.device = steps.back().device;
    }
  }

  if (csv.is_open()) {
    WriteCsv(csv, steps);
    csv.close();
    if (!csv) return Fail(absl::StrCat("cannot write --csv file '", args.csv, "'"));
  }
  if (args.json) {
    std::printf("%s\n", ReportJson(header, steps).dump(2).c_str());
  } else {
    PrintHuman(header, steps);
  }
  for (const StepResult& step : steps) {
    if (step.ok == 0) return 1;
  }
  return 0;
}

}  // namespace tinyserve::cli
