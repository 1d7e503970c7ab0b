// tinyserve-model: inspect, run and benchmark int8 TFLite models locally.
#include <algorithm>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "clients/tinyserve_model/commands.h"
#include "devices/device_registry.h"
#include "absl/strings/str_join.h"

int main(int argc, char** argv) {
  using namespace tinyserve::model_tool;
  // Devices that compute on this machine (boards are for run and bench).
  std::vector<std::string> local = tinyserve::KnownDeviceNames();
  local.erase(std::remove(local.begin(), local.end(), "xcore"), local.end());
  const std::string devices = absl::StrJoin(local, ", ");
  // run and bench also take a board: "xcore" (the first found) or one by path.
  const std::string run_devices =
      devices + ", xcore (the first board found), or one board: xcore@BUS-PORT, xcore@simN";
  auto add_xcore_options = [](CLI::App* cmd, XcoreArgs& xcore) {
    cmd->add_option("--xcore_sim", xcore.simulators,
                    "A simulated board (tinyserve-xcore-sim): HOST:PORT or a unix socket path; "
                    "repeat for more (named sim0, sim1, ...)");
    cmd->add_option("--xcore_model_index", xcore.model_index,
                    "xcore: the model's index in the board firmware")
        ->check(CLI::Range(0, 255))
        ->capture_default_str();
    cmd->add_option("--firmware_model", xcore.firmware_model,
                    "xcore: the .tflite the firmware was built from (xformer output); its "
                    "inputs and outputs must match MODEL's (default: MODEL itself)");
  };
  CLI::App app{"tinyserve-model: inspect, run, benchmark and compare int8 TFLite models "
               "locally (no server)."};
  app.require_subcommand(1);

  InspectArgs inspect;
  auto* inspect_cmd = app.add_subcommand(
      "inspect", "Print operators, tensors, MACs per op and in total, weight and arena bytes.");
  inspect_cmd->add_option("MODEL", inspect.model, "Path to a .tflite file")->required();
  inspect_cmd->add_flag("--json", inspect.json, "Print one JSON document instead of tables");
  inspect_cmd->add_option("--device", inspect.device,
                          "Device whose compiled arena is reported (" + devices + ")")
      ->capture_default_str();
  inspect_cmd->add_flag("--profile", inspect.profile,
                        "With --device xs3: per-node and per-class chip times on 1 and 5 "
                        "threads, in the layout of XMOS's profiler (10 ns ticks)");

  RunArgs run;
  auto* run_cmd = app.add_subcommand(
      "run", "Run one inference on raw tensor files (little-endian, the model's own dtypes, "
             "row-major).");
  run_cmd->add_option("MODEL", run.model, "Path to a .tflite file")->required();
  run_cmd->add_option("--device", run.device, "Device to run on (" + run_devices + ")")
      ->required();
  add_xcore_options(run_cmd, run.xcore);
  run_cmd->add_option("--input", run.inputs, "Input tensor file, one per model input, in order")
      ->required();
  run_cmd->add_option("--output", run.outputs,
                      "Where to write each model output, one per model output, in order")
      ->required();

  BenchArgs bench;
  auto* bench_cmd = app.add_subcommand(
      "bench", "Time repeated inferences on seeded random inputs: min/median/p90/max latency.");
  bench_cmd->add_option("MODEL", bench.model, "Path to a .tflite file")->required();
  bench_cmd->add_option("--device", bench.device, "Device to run on (" + run_devices + ")")
      ->required();
  add_xcore_options(bench_cmd, bench.xcore);
  bench_cmd->add_option("--iterations", bench.iterations, "Timed inferences")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  bench_cmd->add_option("--warmup", bench.warmup, "Untimed inferences first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  bench_cmd->add_option("--seed", bench.seed, "SplitMix64 seed of the random input")
      ->capture_default_str();
  bench_cmd->add_flag("--per-op", bench.per_op, "Also report each operator's median time");
  bench_cmd->add_flag("--json", bench.json, "Print one JSON document");

  FidelityArgs fidelity;
  auto* fidelity_cmd = app.add_subcommand(
      "fidelity",
      "Compare the xs3 device with another device (default ref) end to end and op by op: "
      "identical outputs, max |d| in LSBs, top-1 agreement, 16-bit saturation events.");
  fidelity_cmd->add_option("MODEL", fidelity.model, "Path to a .tflite file")->required();
  fidelity_cmd->add_option("--device", fidelity.device, "Device measured (xs3)")
      ->capture_default_str();
  fidelity_cmd->add_option("--against", fidelity.against, "Device compared with (" + devices + ")")
      ->capture_default_str();
  auto* oracle_opt = fidelity_cmd->add_option(
      "--oracle", fidelity.oracle_dir,
      "The model's oracle directory (index.json, inputs/): run every oracle input");
  auto* random_opt = fidelity_cmd->add_option("--random", fidelity.random,
                                              "Run this many seeded random inputs instead")
                         ->check(CLI::PositiveNumber);
  oracle_opt->excludes(random_opt);
  fidelity_cmd->add_option("--seed", fidelity.seed,
                           "SplitMix64 seed of random input 0 (input i uses seed + i)")
      ->capture_default_str();
  fidelity_cmd->add_flag("--json", fidelity.json, "Print one JSON document");

  CLI11_PARSE(app, argc, argv);
  if (fidelity_cmd->parsed() && oracle_opt->count() + random_opt->count() == 0) {
    return Fail("fidelity needs --oracle DIR or --random N");
  }
  if (inspect_cmd->parsed()) return Inspect(inspect);
  if (run_cmd->parsed()) return Run(run);
  if (bench_cmd->parsed()) return Bench(bench);
  if (fidelity_cmd->parsed()) return Fidelity(fidelity);
  return 2;
}
