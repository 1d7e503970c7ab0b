// tinyserve-cli classify: one input through one model, results and metrics.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "clients/tinyserve_cli/commands.h"
#include "clients/tinyserve_cli/input_files.h"

namespace tinyserve::cli {
namespace {

void PrintHuman(const v1::ClassifyResponse& r) {
  const v1::RequestMetrics& m = r.metrics();
  std::printf("%s v%lld on %s (%s)\n", r.model().c_str(), static_cast<long long>(r.version()),
              m.device().c_str(), m.device_kind().c_str());
  if (r.classes_size() > 0) {
    std::printf("  %5s  %-20s %9s %5s\n", "class", "label", "score", "raw");
    for (const auto& c : r.classes()) {
      std::printf("  %5d  %-20s %9.5f %5d\n", c.index(), c.label().c_str(), c.score(), c.raw());
    }
  }
  if (r.has_score()) {
    std::printf("  score: %.6g (%s)\n", r.score(),
                r.kind() == v1::AUTOENCODER ? "mean squared reconstruction error" : "output value");
  }
  const v1::LatencyMicros& l = m.latency_us();
  std::printf("latency us: total %.1f = queue %.1f + quantize %.1f + device %.1f + "
              "postprocess %.1f (+ server overhead)\n",
              l.total(), l.queue(), l.quantize(), l.device(), l.postprocess());
  if (m.has_device_cycles()) {
    std::printf("device: %lld cycles, estimated %.1f us on chip\n",
                static_cast<long long>(m.device_cycles()), m.estimated_chip_us());
  }
  if (m.has_link()) {
    const v1::LinkMetrics& link = m.link();
    std::printf("link: %lld bytes out, %lld bytes in, %lld transfers; us: host->board %.1f + "
                "on board %.1f + board->host %.1f\n",
                static_cast<long long>(link.bytes_out()), static_cast<long long>(link.bytes_in()),
                static_cast<long long>(link.transfers()), link.host_to_board_us(),
                link.on_board_us(), link.board_to_host_us());
  }
  if (m.has_device_saturation_events()) {
    std::printf("device: %lld values saturated in 16-bit intermediates\n",
                static_cast<long long>(m.device_saturation_events()));
  }
  const v1::QuantizationMetrics& q = m.quantization();
  std::string input = absl::StrCat("input scale ", q.input_scale(), " zero point ",
                                   q.input_zero_point());
  if (q.has_input_sqnr_db()) {
    const std::string sqnr = std::isinf(q.input_sqnr_db())
                                 ? std::string("exact (SQNR inf)")
                                 : absl::StrCat("SQNR ", std::round(q.input_sqnr_db() * 10) / 10,
                                                " dB");
    absl::StrAppend(&input, ", ", sqnr, ", ", q.input_clipped(), " clipped");
  }
  std::printf("quantization: %s; %lld output element(s) at the rails\n", input.c_str(),
              static_cast<long long>(q.output_at_rails()));
}

// Nearest-rank percentile of a sorted vector.
double Percentile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5)];
}

// Sends the request `repeat` times in sequence; prints percentiles of the
// server's own total time and of the client's round trip.
int Repeat(const Connection& c, v1::Inference::Stub& stub, const v1::ClassifyRequest& request,
           int repeat, bool json) {
  std::vector<double> server_us, device_us, round_trip_us;
  for (int i = 0; i < repeat; ++i) {
    v1::ClassifyResponse response;
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status status = stub.Classify(c.NewContext().get(), request, &response);
    const auto end = std::chrono::steady_clock::now();
    if (!status.ok()) return FailCall(c, status);
    server_us.push_back(response.metrics().latency_us().total());
    device_us.push_back(response.metrics().latency_us().device());
    round_trip_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  std::sort(server_us.begin(), server_us.end());
  std::sort(device_us.begin(), device_us.end());
  std::sort(round_trip_us.begin(), round_trip_us.end());
  if (json) {
    std::printf(
        "{\"model\": \"%s\", \"requests\": %d, \"server_total_us\": {\"p50\": %.1f, \"p99\": %.1f}, "
        "\"device_us\": {\"p50\": %.1f, \"p99\": %.1f}, \"round_trip_us\": {\"p50\": %.1f, "
        "\"p99\": %.1f}}\n",
        request.model().c_str(), repeat, Percentile(server_us, 0.5), Percentile(server_us, 0.99),
        Percentile(device_us, 0.5), Percentile(device_us, 0.99), Percentile(round_trip_us, 0.5),
        Percentile(round_trip_us, 0.99));
    return 0;
  }
  std::printf("%s: %d sequential requests\n", request.model().c_str(), repeat);
  std::printf("  server total us: median %.1f  p99 %.1f\n", Percentile(server_us, 0.5),
              Percentile(server_us, 0.99));
  std::printf("  device us:       median %.1f  p99 %.1f\n", Percentile(device_us, 0.5),
              Percentile(device_us, 0.99));
  std::printf("  round trip us:   median %.1f  p99 %.1f\n", Percentile(round_trip_us, 0.5),
              Percentile(round_trip_us, 0.99));
  return 0;
}

}  // namespace

int Classify(const Connection& c, const ClassifyArgs& args) {
  v1::Inference::Stub stub(c.channel);
  v1::ModelMetadata metadata;
  grpc::Status status = GetMetadata(c, stub, args.model, args.version, &metadata);
  if (!status.ok()) return FailCall(c, status);

  v1::ClassifyRequest request;
  request.set_model(args.model);
  request.set_version(args.version);
  request.set_device(args.device);
  request.set_top_k(args.top_k);
  if (absl::Status s = FillInput(args.input, metadata, request); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (args.repeat > 1) return Repeat(c, stub, request, args.repeat, args.json);
  v1::ClassifyResponse response;
  status = stub.Classify(c.NewContext().get(), request, &response);
  if (!status.ok()) return FailCall(c, status);
  if (args.json) {
    PrintJson(response);
  } else {
    PrintHuman(response);
  }
  return 0;
}

}  // namespace tinyserve::cli
