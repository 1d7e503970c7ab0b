// tinyserve-cli: talk to a tinyserve server.
#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "clients/tinyserve_cli/commands.h"
#include "clients/tinyserve_cli/input_sets.h"

namespace {
// Bounds that refuse absurd runs (see the footers).
constexpr int kMaxInputs = 1000000;
constexpr int kMaxThreads = 256;
constexpr size_t kMaxSteps = 16;
constexpr double kMaxRate = 100000;
constexpr double kMaxStepSeconds = 600;
constexpr double kMaxWarmupSeconds = 60;
constexpr int64_t kMaxRequests = 10000000;
}  // namespace

int main(int argc, char** argv) {
  using namespace tinyserve::cli;
  CLI::App app{"tinyserve-cli: classify inputs, compare devices, load-test and manage models on a "
                "tinyserve server."};
  app.require_subcommand(1);
  Connection connection;
  connection.server = "localhost:8500";
  app.add_option("--server", connection.server, "Server address HOST:PORT")->capture_default_str();
  app.add_option("--timeout", connection.timeout_seconds, "Seconds before a call gives up")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  ChannelSecurity security;
  app.add_flag("--tls", security.tls,
               "Connect over TLS, verifying the server with the system's CA certificates "
               "(implied by --tls_ca and --tls_cert)");
  app.add_option("--tls_ca", security.tls_ca_file,
                 "Connect over TLS, verifying the server's certificate with the CA(s) in this "
                 "PEM file");
  app.add_option("--tls_cert", security.tls_cert_file,
                 "Client certificate (PEM) for servers that require one (mutual TLS; needs "
                 "--tls_key)");
  app.add_option("--tls_key", security.tls_key_file, "PEM private key of --tls_cert");
  app.add_option("--tls_server_name", security.tls_server_name,
                 "Name to check the server's certificate against (default: the host of "
                 "--server)");
  app.add_option("--token_file", security.token_file,
                 "Send the bearer token in this file (surrounding whitespace trimmed) as "
                 "'authorization: Bearer <token>' on every call");
  bool json = false;
  app.add_flag("--json", json, "Machine-readable JSON output");

  ClassifyArgs classify;
  auto* classify_cmd = app.add_subcommand(
      "classify", "Run one input through a model: top-k (or score), outputs, metrics block");
  classify_cmd->add_option("--model", classify.model, "Model name")->required();
  classify_cmd->add_option("--version", classify.version, "Model version (0: latest loaded)");
  classify_cmd->add_option("--device", classify.device, "Device (default: the model's)");
  classify_cmd->add_option("--input", classify.input,
                           "Input: raw tensor bytes (.bin), NumPy (.npy: float32 is quantized "
                           "by the server), or an image (.png/.jpg/.jpeg/.bmp) resized to the "
                           "model's input")
      ->required();
  classify_cmd->add_option("--top_k", classify.top_k, "Classes to return (0: model default)")
      ->check(CLI::NonNegativeNumber);
  classify_cmd->add_option("--repeat", classify.repeat,
                           "Send the request N times in sequence and print latency percentiles "
                           "(server total, device, round trip) instead of the result")
      ->check(CLI::PositiveNumber);
  classify_cmd->add_flag("--json", json, "Machine-readable JSON output");

  auto* models_cmd = app.add_subcommand("models", "List loaded models");
  models_cmd->add_flag("--json", json, "Machine-readable JSON output");

  std::string model;
  int64_t version = 0;
  auto* metadata_cmd = app.add_subcommand(
      "metadata", "A model's tensors, quantization, labels, ops, MACs and devices");
  metadata_cmd->add_option("MODEL", model, "Model name")->required();
  metadata_cmd->add_option("--version", version, "Model version (0: latest loaded)");
  metadata_cmd->add_flag("--json", json, "Machine-readable JSON output");

  auto* devices_cmd = app.add_subcommand("devices", "List the server's devices");
  devices_cmd->add_flag("--json", json, "Machine-readable JSON output");

  auto* load_cmd = app.add_subcommand("load", "Load a model version from the repository");
  load_cmd->add_option("MODEL", model, "Model name")->required();
  load_cmd->add_option("--version", version, "Version (0: highest in the repository)");
  load_cmd->add_flag("--json", json, "Machine-readable JSON output");

  auto* unload_cmd = app.add_subcommand("unload", "Unload a model version");
  unload_cmd->add_option("MODEL", model, "Model name")->required();
  unload_cmd->add_option("--version", version, "Version (0: every loaded version)");
  unload_cmd->add_flag("--json", json, "Machine-readable JSON output");

  AbArgs ab;
  ab.seed = kOracleSeed;
  std::vector<std::string> ab_devices;
  auto* ab_cmd = app.add_subcommand(
      "ab", "Compare devices on an input set through the Compare RPC: bit-exactness, max |diff|, "
            "top-1 agreement, latency, accuracy");
  ab_cmd->add_option("--model", ab.model, "Model name")->required();
  ab_cmd->add_option("--version", ab.version, "Model version (0: latest loaded)");
  ab_cmd->add_option("--devices", ab_devices, "Two or more distinct devices, comma-separated, "
                                              "e.g. ref,host (pairs are compared in this order)")
      ->required()
      ->delimiter(',');
  auto* ab_inputs = ab_cmd->add_option("--inputs", ab.inputs_dir,
                                       "Every .bin/.npy/.png/.jpg/.jpeg/.bmp file in DIR");
  auto* ab_random = ab_cmd->add_option("--random", ab.random,
                                       "N seeded random raw inputs of the model's input tensor")
                        ->check(CLI::Range(1, kMaxInputs));
  ab_cmd->add_option("--seed", ab.seed,
                     "With --random: input i is drawn from SplitMix64 state SEED + i (default "
                     "0x5EED0000: the oracle's random vectors)")
      ->needs(ab_random);
  auto* ab_oracle = ab_cmd->add_option("--oracle", ab.oracle_dir,
                                       "A model's oracle directory (with index.json)");
  ab_inputs->excludes(ab_random)->excludes(ab_oracle);
  ab_random->excludes(ab_oracle);
  ab_cmd->add_option("--labels", ab.labels, "Labels file: expected class per input (format below)");
  ab_cmd->add_option("--concurrency", ab.concurrency, "Compare calls in flight at once")
      ->check(CLI::Range(1, kMaxThreads))
      ->capture_default_str();
  ab_cmd->add_flag("--json", json, "One JSON document on stdout instead of the tables");
  ab_cmd->add_option("--csv", ab.csv, "Also write one CSV row per input to FILE");
  ab_cmd->footer(R"(Inputs (exactly one of):
  --inputs DIR  every .bin (raw tensor bytes), .npy and image file directly in DIR, in
                name order, read as `classify --input` reads them
  --random N    N raw inputs (INT8, UINT8 or INT16 input tensors); input i is drawn with
                SplitMix64 from state SEED + i, so the default seed gives the oracle's
                random/input_00.bin, input_01.bin, ...
  --oracle DIR  every vector of a model's oracle (DIR/index.json, all sets but
                intermediates); each device's raw output is also checked against TFLM's,
                and for CLASSIFIER models TFLM's top-1 class is the input's label
Labels file (--labels; CLASSIFIER models; replaces the oracle's labels), one entry a line,
'#' comments and blank lines skipped, either
  NAME,CLASS    NAME: the input's name (its file name for --inputs, random_0007 for
                --random); an optional first line "file,class"; unlisted inputs unlabelled
  CLASS         one line per input, in input order (file name order for --inputs)
CLASS is a class index or one of the model's labels (labels.txt).
Report: per pair of devices: inputs compared, bit-exact, differing elements, max |diff|
and a histogram of each input's max |diff| in LSB (0,1,2,3,4-7,8-15,16-31,32+), top-1
agreement (classifiers); per device: device time and server total from the metrics
block (p50/p90/p99/max us), accuracy against the labels, bit-exactness against the
oracle; the client round trip of the Compare call; the first 20 inputs that differ.
A failed call is counted by status code and the run goes on (Compare fails as a whole
when any device fails).
--json prints {command, model, version, kind, devices, source, labels, inputs,
concurrency, compared, failed, elapsed_s, errors, error_examples, round_trip_us,
pairs[{device_a, device_b, compared, exact, exact_rate, differing_elements,
max_abs_diff, max_abs_diff_histogram, top1_agree, top1_agree_rate}],
per_device[{device, device_kind, latency_us{device, server_total}, accuracy,
oracle_exact}], mismatches_total, mismatches}; latencies are {count, min, mean, p50,
p90, p95, p99, max} in us (nearest-rank percentiles). docs/clients.md has the details.
A progress line is drawn on stderr when it is a terminal.
Exit: 0 when every input was compared; 1 when any call failed (after the report) or
on an error before the run; 2 for arguments that contradict each other.)");

  BenchArgs bench;
  bench.seed = kOracleSeed;
  auto* bench_cmd = app.add_subcommand(
      "bench", "Load generator: throughput, round trip percentiles and the server's stage "
               "times for one model on one device");
  bench_cmd->add_option("--model", bench.model, "Model name")->required();
  bench_cmd->add_option("--version", bench.version, "Model version (0: latest loaded)");
  bench_cmd->add_option("--device", bench.device, "Device (default: the model's)");
  auto* bench_concurrency =
      bench_cmd
          ->add_option("--concurrency", bench.concurrency,
                       "Closed loop: requests in flight, one step per comma-separated value "
                       "(default 1)")
          ->delimiter(',')
          ->check(CLI::Range(1, kMaxThreads));
  auto* bench_rate = bench_cmd->add_option("--rate", bench.rate,
                                           "Open loop: requests per second (one step)")
                         ->check(CLI::Range(0.01, kMaxRate));
  bench_concurrency->excludes(bench_rate);
  bench_cmd->add_option("--arrival", bench.arrival, "--rate: poisson or constant intervals")
      ->check(CLI::IsMember({"poisson", "constant"}))
      ->needs(bench_rate)
      ->capture_default_str();
  bench_cmd->add_option("--max_inflight", bench.max_inflight,
                        "--rate: sender threads, so requests in flight at most")
      ->check(CLI::Range(1, kMaxThreads))
      ->needs(bench_rate)
      ->capture_default_str();
  auto* bench_duration =
      bench_cmd->add_option("--duration", bench.duration_seconds, "Seconds measured per step")
          ->check(CLI::Range(0.01, kMaxStepSeconds))
          ->capture_default_str();
  bench_cmd->add_option("--requests", bench.requests,
                        "Requests per step; with --duration the step ends at whichever "
                        "comes first")
      ->check(CLI::Range(int64_t{1}, kMaxRequests));
  bench_cmd->add_option("--warmup", bench.warmup_seconds,
                        "Unmeasured seconds before each step")
      ->check(CLI::Range(0.0, kMaxWarmupSeconds))
      ->capture_default_str();
  bench_cmd->add_option(
      "--input", bench.input, "Input file as classify reads it (default: random inputs)");
  bench_cmd->add_option("--seed", bench.seed,
                        "Seeds the random inputs and the Poisson arrivals (default 0x5EED0000)");
  bench_cmd->add_flag("--json", json, "One JSON document on stdout instead of the tables");
  bench_cmd->add_option("--csv", bench.csv, "Also write one CSV row per measured request to FILE");
  bench_cmd->footer(R"(Steps: closed loop (--concurrency C1,C2,...): per value, C threads each send a
request, wait for its answer and send the next. Open loop (--rate R): requests leave on
a schedule whatever the answers take, poisson (exponential intervals from SplitMix64,
--seed) or constant (every 1/R s), from up to --max_inflight sender threads; a request
that leaves more than 1 ms after its time because every sender was busy counts as a
late send (reported). Each step: --warmup seconds unmeasured, then measured until
--duration seconds pass or --requests were sent, whichever first (--requests alone: at
most 600 s). Calls in flight at the end finish and count. Inputs: --input FILE, or 16
random raw inputs (SplitMix64 states SEED..SEED+15) sent in turn.
Report per step: sent, ok, errors by status code; throughput = ok / (step start to last
answer); client round trip min/p50/p90/p95/p99/max over successful calls; the server's
stage times from each response's metrics block (queue, quantize, device, postprocess,
total) p50/p99. Nearest-rank percentiles, microseconds.
--json prints {command, model, version, device, device_kind, mode ("concurrency" or
"rate"), arrival, max_inflight, input, warmup_s, duration_s, requests_per_step,
steps[{concurrency, rate, sent, ok, errors, error_examples, elapsed_s, throughput_rps,
(open loop: late_sends, max_send_lag_us), latency_us{round_trip, server{queue,
quantize, device, postprocess, total}}}]}; latencies are {count, min, mean, p50, p90,
p95, p99, max}. docs/clients.md has the details.
A progress line is drawn on stderr when it is a terminal.
Limits: concurrency and max_inflight 1-256, at most 16 steps, rate up to 100000/s,
duration up to 600 s, warmup up to 60 s, requests up to 10000000.
Exit: 0 when every step had a successful call; 1 otherwise (after the report) or on an
error before the run; 2 for arguments that contradict each other.)");

  CLI11_PARSE(app, argc, argv);
  if (absl::Status s = Connect(security, connection); !s.ok()) {
    return s.code() == absl::StatusCode::kInvalidArgument ? UsageError(std::string(s.message()))
                                                          : Fail(std::string(s.message()));
  }
  classify.json = json;
  if (classify_cmd->parsed()) return Classify(connection, classify);
  if (ab_cmd->parsed()) {
    ab.json = json;
    for (const std::string& d : ab_devices) {
      if (!d.empty()) ab.devices.push_back(d);
    }
    return Ab(connection, ab);
  }
  if (bench_cmd->parsed()) {
    bench.json = json;
    if (bench.rate == 0 && bench.concurrency.empty()) bench.concurrency = {1};
    if (bench.concurrency.size() > kMaxSteps) {
      return UsageError(absl::StrCat("--concurrency: at most ", kMaxSteps, " steps, got ",
                                     bench.concurrency.size()));
    }
    // --requests alone: bounded in time all the same.
    if (bench.requests > 0 && bench_duration->count() == 0) {
      bench.duration_seconds = kMaxStepSeconds;
    }
    return Bench(connection, bench);
  }
  if (models_cmd->parsed()) return ListModels(connection, json);
  if (metadata_cmd->parsed()) return Metadata(connection, model, version, json);
  if (devices_cmd->parsed()) return ListDevices(connection, json);
  if (load_cmd->parsed()) return Load(connection, model, version, json);
  if (unload_cmd->parsed()) return Unload(connection, model, version, json);
  return 2;
}
