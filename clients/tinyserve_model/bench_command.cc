// tinyserve-model bench: latency of repeated inferences on one thread.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/tinyserve_model/commands.h"
#include "devices/xs3/cycle_model.h"
#include "engine/util/splitmix64.h"
#include "nlohmann/json.hpp"

namespace tinyserve::model_tool {
namespace {

struct Summary {
  double min_us, median_us, p90_us, max_us, mean_us;
};

// Nearest-rank percentiles over a sorted copy.
Summary Summarize(std::vector<int64_t> nanos) {
  std::sort(nanos.begin(), nanos.end());
  auto at = [&](double q) {
    const size_t rank = static_cast<size_t>(q * static_cast<double>(nanos.size() - 1) + 0.5);
    return static_cast<double>(nanos[rank]) / 1000.0;
  };
  double sum = 0;
  for (int64_t v : nanos) sum += static_cast<double>(v);
  return {at(0.0), at(0.5), at(0.9), at(1.0), sum / static_cast<double>(nanos.size()) / 1000.0};
}

}  // namespace

int Bench(const BenchArgs& args) {
  auto loaded = LoadForDevice(args.model, args.device, args.xcore);
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  const Model& model = *loaded->model;
  auto session_or = loaded->executable->NewSession();
  if (!session_or.ok()) return Fail(std::string(session_or.status().message()));
  Session& session = **session_or;

  // One seeded random input per model input, copied in before every run because
  // the arena may reuse input memory.
  SplitMix64 rng(args.seed);
  std::vector<std::vector<uint8_t>> inputs;
  for (int i = 0; i < model.num_inputs(); ++i) {
    std::vector<uint8_t> bytes(session.input(i).size());
    for (auto& b : bytes) b = static_cast<uint8_t>(rng.NextInt8());
    inputs.push_back(std::move(bytes));
  }
  InvokeOptions options;
  options.profile_ops = args.per_op;
  std::vector<int64_t> totals;
  InvokeStats last;  // chip figures: cycles are data-independent, the input is fixed
  std::vector<std::vector<int64_t>> per_op(model.operators().size());
  // Boards: where each inference's time went on the link.
  std::vector<int64_t> host_to_board, on_board, board_to_host;
  for (int it = 0; it < args.warmup + args.iterations; ++it) {
    for (int i = 0; i < model.num_inputs(); ++i) {
      std::copy(inputs[i].begin(), inputs[i].end(), session.input(i).begin());
    }
    auto stats = session.Invoke(options);
    if (!stats.ok()) return Fail(std::string(stats.status().message()));
    if (it < args.warmup) continue;
    last = *stats;
    totals.push_back(stats->device_nanoseconds);
    if (stats->link) {
      host_to_board.push_back(stats->link->host_to_board_ns);
      on_board.push_back(stats->link->on_board_ns);
      board_to_host.push_back(stats->link->board_to_host_ns);
    }
    for (size_t op = 0; op < stats->op_nanoseconds.size(); ++op) {
      per_op[op].push_back(stats->op_nanoseconds[op]);
    }
  }
  const Summary s = Summarize(totals);

  if (args.json) {
    nlohmann::json doc = {{"model", model.name()},     {"device", args.device},
                          {"iterations", args.iterations}, {"warmup", args.warmup},
                          {"min_us", s.min_us},        {"median_us", s.median_us},
                          {"p90_us", s.p90_us},        {"max_us", s.max_us},
                          {"mean_us", s.mean_us}};
    if (last.cycles) doc["chip_cycles"] = *last.cycles;
    if (last.estimated_chip_microseconds) {
      doc["estimated_chip_us"] = *last.estimated_chip_microseconds;
    }
    if (last.saturation_events) doc["saturation_events"] = *last.saturation_events;
    if (last.link) {
      doc["link"] = {{"transfers", last.link->transfers},
                     {"bytes_out", last.link->bytes_out},
                     {"bytes_in", last.link->bytes_in},
                     {"host_to_board_median_us", Summarize(host_to_board).median_us},
                     {"on_board_median_us", Summarize(on_board).median_us},
                     {"board_to_host_median_us", Summarize(board_to_host).median_us}};
    }
    if (args.per_op) {
      nlohmann::json ops = nlohmann::json::array();
      for (const Operator& op : model.operators()) {
        ops.push_back({{"index", op.index},
                       {"op", OpTypeName(op.type)},
                       {"median_us", Summarize(per_op[op.index]).median_us}});
      }
      doc["per_op"] = ops;
    }
    std::printf("%s\n", doc.dump(2).c_str());
    return 0;
  }
  std::printf("%s on %s: %d iterations (%d warmup), one thread\n", model.name().c_str(),
              args.device.c_str(), args.iterations, args.warmup);
  std::printf("latency us: min %.1f  median %.1f  p90 %.1f  max %.1f  (mean %.1f)\n", s.min_us,
              s.median_us, s.p90_us, s.max_us, s.mean_us);
  if (const std::string chip = ChipStatsText(last); !chip.empty()) {
    std::printf("%s per inference (%g MHz model; wall time above is the emulator's)\n",
                chip.c_str(), xs3::kTileClockMhz);
  }
  if (last.link) {
    std::printf(
        "link per inference: %lld transfers, %lld B out, %lld B in; median host->board %.1f us, "
        "on board %.1f us, board->host %.1f us\n",
        static_cast<long long>(last.link->transfers), static_cast<long long>(last.link->bytes_out),
        static_cast<long long>(last.link->bytes_in), Summarize(host_to_board).median_us,
        Summarize(on_board).median_us, Summarize(board_to_host).median_us);
  }
  if (args.per_op) {
    std::printf("\n  %3s  %-18s %12s\n", "#", "op", "median us");
    for (const Operator& op : model.operators()) {
      std::printf("  %3d  %-18s %12.1f\n", op.index, OpTypeName(op.type).c_str(),
                  Summarize(per_op[op.index]).median_us);
    }
  }
  return 0;
}

}  // namespace tinyserve::model_tool
