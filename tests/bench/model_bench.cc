// Whole-model latency, one thread: ref vs host (each dispatch target this CPU
// has), and optionally TensorFlow Lite 2.9's C library with its builtin
// kernels and with the XNNPACK delegate, on the same model files and inputs.
//
//   build/tests/bench/model_bench --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
//
// Environment:
//   TINYSERVE_TFLITE_C_LIB  libtensorflowlite_c.so of TFLite 2.9 (tests/bench/fetch_tflite.sh
//                           installs it from npm); TFLite rows are skipped without it.
//   TINYSERVE_BENCH_MODELS  comma-separated bundled model names (default: the four MLPerf Tiny models)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "devices/device_registry.h"
#include "engine/model_stats.h"
#include "engine/util/splitmix64.h"
#include "tests/bench/tflite_c_runner.h"

namespace tinyserve::bench {
namespace {

std::string ModelPath(const std::string& name) {
  return std::string(TINYSERVE_MODELS_DIR) + "/" + name + "/1/model.tflite";
}

std::vector<uint8_t> RandomInput(size_t bytes) {
  SplitMix64 rng(0x5EED0000);
  std::vector<uint8_t> input(bytes);
  for (auto& b : input) b = static_cast<uint8_t>(rng.NextInt8());
  return input;
}

// Nominal clock from /proc/cpuinfo, for the fraction-of-peak counter.
double NominalMhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) == 0) return std::atof(line.substr(line.find(':') + 1).c_str());
  }
  return 0;
}

// A tinyserve device (ref, or host forced to one ISA) ready to invoke.
struct DeviceRunner {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Device> device;
  std::shared_ptr<const Executable> executable;
  std::unique_ptr<Session> session;
};

std::unique_ptr<DeviceRunner> MakeDeviceRunner(const std::string& model_name,
                                               const std::string& device, const std::string& isa) {
  if (!isa.empty()) setenv("TINYSERVE_HOST_ISA", isa.c_str(), 1);
  auto runner = std::make_unique<DeviceRunner>();
  auto d = CreateDevice(device);
  if (!isa.empty()) unsetenv("TINYSERVE_HOST_ISA");
  if (!d.ok()) return nullptr;
  runner->device = std::move(*d);
  auto m = Model::LoadFile(ModelPath(model_name), model_name);
  if (!m.ok()) return nullptr;
  runner->model = *m;
  auto e = runner->device->Compile(runner->model);
  if (!e.ok()) return nullptr;
  runner->executable = *e;
  auto s = runner->executable->NewSession();
  if (!s.ok()) return nullptr;
  runner->session = std::move(*s);
  return runner;
}

void SetMacCounters(benchmark::State& state, int64_t macs, double peak_macs_per_cycle) {
  state.counters["MAC/s"] =
      benchmark::Counter(static_cast<double>(macs), benchmark::Counter::kIsIterationInvariantRate);
  const double mhz = NominalMhz();
  if (mhz > 0 && peak_macs_per_cycle > 0) {
    // Fraction of the core's int8 multiply-accumulate peak at the nominal clock.
    state.counters["peak_frac"] = benchmark::Counter(
        static_cast<double>(macs) / (mhz * 1e6 * peak_macs_per_cycle),
        benchmark::Counter::kIsIterationInvariantRate);
  }
}

// Peak int8 MACs per cycle of one core with the best ISA the CPU reports:
// AVX-512 VNNI vpdpbusd (64 MACs) or AVX2 vpmaddubsw (32 MACs) on two ports.
double PeakMacsPerCycle() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni")) return 128;
  if (__builtin_cpu_supports("avx512bw")) return 128;
  if (__builtin_cpu_supports("avx2")) return 64;
  return 16;
}

void RegisterDevice(const std::string& model_name, const std::string& device,
                    const std::string& isa, bool per_op) {
  std::shared_ptr<DeviceRunner> runner = MakeDeviceRunner(model_name, device, isa);
  if (!runner) return;  // device or ISA not available here
  const std::string label = isa.empty() ? device : absl::StrCat(device, "/", isa);
  const ModelStats stats = ComputeModelStats(*runner->model);
  const auto input = RandomInput(runner->session->input(0).size());
  const std::string name = absl::StrCat(per_op ? "per_op/" : "model/", model_name, "/", label);
  benchmark::RegisterBenchmark(name.c_str(), [runner, stats, input, per_op](benchmark::State& state) {
    InvokeOptions options;
    options.profile_ops = per_op;
    std::vector<double> op_ns(runner->model->operators().size(), 0.0);
    for (auto _ : state) {
      std::copy(input.begin(), input.end(), runner->session->input(0).begin());
      auto s = runner->session->Invoke(options);
      if (!s.ok()) {
        state.SkipWithError(std::string(s.status().message()).c_str());
        return;
      }
      for (size_t i = 0; i < s->op_nanoseconds.size(); ++i) op_ns[i] += s->op_nanoseconds[i];
    }
    SetMacCounters(state, stats.total_macs, PeakMacsPerCycle());
    if (per_op) {
      for (const Operator& op : runner->model->operators()) {
        char key[64];
        std::snprintf(key, sizeof(key), "op%02d_%s_us", op.index, OpTypeName(op.type).c_str());
        state.counters[key] = op_ns[op.index] / 1e3 / static_cast<double>(state.iterations());
      }
    }
  })->Unit(benchmark::kMicrosecond);
}

void RegisterTflite(const std::string& model_name, const std::string& library, bool xnnpack) {
  auto created = TfliteCRunner::Create(library, ModelPath(model_name), xnnpack);
  if (!created.ok()) {
    std::fprintf(stderr, "skipping TFLite%s on %s: %s\n", xnnpack ? "+XNNPACK" : "",
                 model_name.c_str(), std::string(created.status().message()).c_str());
    return;
  }
  std::shared_ptr<TfliteCRunner> runner = std::move(*created);
  auto model = Model::LoadFile(ModelPath(model_name), model_name);
  const int64_t macs = model.ok() ? ComputeModelStats(**model).total_macs : 0;
  const auto input = RandomInput(runner->input().size());
  const std::string name =
      absl::StrCat("model/", model_name, "/", xnnpack ? "tflite2.9+xnnpack" : "tflite2.9");
  benchmark::RegisterBenchmark(name.c_str(), [runner, input, macs](benchmark::State& state) {
    for (auto _ : state) {
      std::copy(input.begin(), input.end(), runner->input().begin());
      if (!runner->Invoke().ok()) {
        state.SkipWithError("TFLite invoke failed");
        return;
      }
    }
    SetMacCounters(state, macs, PeakMacsPerCycle());
  })->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace tinyserve::bench

int main(int argc, char** argv) {
  using namespace tinyserve::bench;
  const char* models_env = std::getenv("TINYSERVE_BENCH_MODELS");
  const std::string models =
      models_env ? models_env : "vww_96_int8,kws_ref_model,pretrainedResnet_quant,ad01_int8";
  const char* tflite = std::getenv("TINYSERVE_TFLITE_C_LIB");
  const std::vector<std::string> isas = {"portable", "avx2", "avx512bw", "avx512vnni"};
  for (const std::string& model :
       std::vector<std::string>(absl::StrSplit(models, ',', absl::SkipEmpty()))) {
    RegisterDevice(model, "ref", "", false);
    for (const std::string& isa : isas) RegisterDevice(model, "host", isa, false);
    if (tflite != nullptr) {
      RegisterTflite(model, tflite, false);
      RegisterTflite(model, tflite, true);
    }
  }
  // Where the time goes in the slowest model.
  RegisterDevice("pretrainedResnet_quant", "ref", "", true);
  RegisterDevice("pretrainedResnet_quant", "host", "", true);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
