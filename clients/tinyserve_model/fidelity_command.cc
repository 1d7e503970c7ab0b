// tinyserve-model fidelity: how far the xs3 device's results are from another
// device's (ref: TensorFlow Lite Micro's), end to end and op by op, on an
// oracle directory's inputs or on seeded random inputs.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clients/oracle/oracle_vectors.h"
#include "clients/tinyserve_model/commands.h"
#include "clients/tinyserve_model/xs3_report.h"
#include "devices/device_registry.h"
#include "devices/xs3/fidelity.h"
#include "engine/util/splitmix64.h"
#include "nlohmann/json.hpp"

namespace tinyserve::model_tool {
namespace {

using Inference = std::vector<std::vector<uint8_t>>;  // one byte vector per model input

absl::StatusOr<std::vector<uint8_t>> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  return std::vector<uint8_t>{std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>()};
}

// Every inference of the oracle in `dir` (a file may hold several back to back).
absl::StatusOr<std::vector<Inference>> OracleInputs(const Model& model, const std::string& dir) {
  if (model.num_inputs() != 1) {
    return absl::InvalidArgumentError("oracle inputs are for single-input models");
  }
  auto vectors = oracle::ReadOracleIndex(dir);
  if (!vectors.ok()) return vectors.status();
  const size_t bytes = model.input(0).bytes;
  std::vector<Inference> inferences;
  for (const oracle::OracleVector& v : *vectors) {
    auto data = ReadFile(dir + "/" + v.input);
    if (!data.ok()) return data.status();
    if (data->empty() || data->size() % bytes != 0) {
      return absl::InvalidArgumentError(absl::StrCat("oracle input '", v.input, "' is ",
                                                     data->size(), " bytes, not a multiple of ",
                                                     bytes));
    }
    for (size_t at = 0; at < data->size(); at += bytes) {
      inferences.push_back({std::vector<uint8_t>(data->begin() + at, data->begin() + at + bytes)});
    }
  }
  return inferences;
}

// The oracle's generator: vector i from state seed + i, one draw per element,
// an element being the draw's top bits (so --random 10 with the default seed
// reproduces the oracle's "random" set for int8 models).
absl::StatusOr<std::vector<Inference>> RandomInputs(const Model& model, int count, uint64_t seed) {
  std::vector<Inference> inferences;
  for (int k = 0; k < count; ++k) {
    SplitMix64 rng(seed + static_cast<uint64_t>(k));
    Inference inference;
    for (int i = 0; i < model.num_inputs(); ++i) {
      const TensorInfo& t = model.input(i);
      const size_t width = DataTypeSize(t.type);
      if (t.type == DataType::kFloat32 || t.type == DataType::kBool) {
        return absl::InvalidArgumentError(absl::StrCat("random inputs for a ",
                                                       DataTypeName(t.type),
                                                       " input are not supported"));
      }
      std::vector<uint8_t> bytes(t.bytes);
      for (size_t at = 0; at + width <= bytes.size(); at += width) {
        const uint64_t top = rng.Next() >> (64 - 8 * width);
        for (size_t b = 0; b < width; ++b) bytes[at + b] = static_cast<uint8_t>(top >> (8 * b));
      }
      inference.push_back(std::move(bytes));
    }
    inferences.push_back(std::move(inference));
  }
  return inferences;
}

nlohmann::json AgreementJson(const xs3::Agreement& a) {
  return {{"elements", a.elements},
          {"identical", a.identical},
          {"identical_fraction", a.identical_fraction()},
          {"max_abs_diff_lsb", a.max_abs_diff}};
}

void PrintJson(const FidelityArgs& args, const xs3::FidelityReport& r) {
  nlohmann::json inputs = args.oracle_dir.empty()
                              ? nlohmann::json{{"source", "random"},
                                               {"count", args.random},
                                               {"seed", args.seed}}
                              : nlohmann::json{{"source", "oracle"}, {"dir", args.oracle_dir}};
  nlohmann::json ops = nlohmann::json::array();
  for (const xs3::OpFidelity& op : r.ops) {
    nlohmann::json j = AgreementJson(op.agreement);
    j["index"] = op.index;
    j["op"] = op.op_name;
    j["placement"] = xs3::PlacementName(op.placement);
    j["kernel"] = op.kernel;
    ops.push_back(std::move(j));
  }
  nlohmann::json top1 = nullptr;
  if (r.top1) top1 = {{"compared", r.top1->compared}, {"agreed", r.top1->agreed}};
  const nlohmann::json doc = {{"model", r.model_name},
                              {"device", args.device},
                              {"against", r.against},
                              {"inputs", inputs},
                              {"inferences", r.inferences},
                              {"end_to_end", AgreementJson(r.end_to_end)},
                              {"top1", top1},
                              {"saturation_events", r.saturation_events},
                              {"max_saturation_events_per_inference",
                               r.max_saturation_events_per_inference},
                              {"worst_op_max_abs_diff_lsb", r.worst_op_max_abs_diff()},
                              {"ops", ops}};
  std::printf("%s\n", doc.dump(2).c_str());
}

void PrintText(const FidelityArgs& args, const xs3::FidelityReport& r) {
  std::printf("fidelity of %s on %s against %s: %lld inferences (%s)\n", r.model_name.c_str(),
              args.device.c_str(), r.against.c_str(), static_cast<long long>(r.inferences),
              args.oracle_dir.empty()
                  ? absl::StrFormat("%d random, seed %#x", args.random, args.seed).c_str()
                  : absl::StrCat("oracle ", args.oracle_dir).c_str());
  std::printf("end to end: %.4f of %lld output elements identical, max |d| %g LSB, top-1 %s\n",
              r.end_to_end.identical_fraction(), static_cast<long long>(r.end_to_end.elements),
              r.end_to_end.max_abs_diff,
              r.top1 ? absl::StrCat(r.top1->agreed, "/", r.top1->compared).c_str() : "n/a");
  std::printf("16-bit saturation events: %lld in total, at most %lld in one inference\n",
              static_cast<long long>(r.saturation_events),
              static_cast<long long>(r.max_saturation_events_per_inference));
  std::printf("\nper op (both devices fed the xs3 device's input to that op):\n");
  std::printf("  %3s  %-18s %-9s %10s %8s  %s\n", "#", "op", "runs on", "identical", "max|d|",
              "kernel");
  for (const xs3::OpFidelity& op : r.ops) {
    std::printf("  %3d  %-18s %-9s %10.4f %8g  %s\n", op.index, op.op_name.c_str(),
                xs3::PlacementName(op.placement), op.agreement.identical_fraction(),
                op.agreement.max_abs_diff, op.kernel.c_str());
  }
  std::printf("worst per-op max |d|: %g LSB\n", r.worst_op_max_abs_diff());
}

}  // namespace

int Fidelity(const FidelityArgs& args) {
  auto loaded = LoadForDevice(args.model, args.device);
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  const auto* xs3_exe = AsXs3(*loaded->executable);
  if (xs3_exe == nullptr) {
    return Fail(absl::StrCat("fidelity measures the xs3 device; --device ", args.device,
                             " is not xs3"));
  }
  auto against_device = CreateDevice(args.against);
  if (!against_device.ok()) return Fail(std::string(against_device.status().message()));
  auto against = (*against_device)->Compile(loaded->model);
  if (!against.ok()) return Fail(std::string(against.status().message()));
  // The meter shares ownership; the tool's LoadedModel keeps the executable alive.
  std::shared_ptr<const xs3::Xs3Executable> xs3(loaded->executable, xs3_exe);
  auto meter = xs3::FidelityMeter::Create(xs3, *against, args.against);
  if (!meter.ok()) return Fail(std::string(meter.status().message()));

  auto inferences = args.oracle_dir.empty()
                        ? RandomInputs(*loaded->model, args.random, args.seed)
                        : OracleInputs(*loaded->model, args.oracle_dir);
  if (!inferences.ok()) return Fail(std::string(inferences.status().message()));
  if (inferences->empty()) return Fail("no inputs to compare on");
  std::vector<absl::Span<const uint8_t>> spans;
  for (const Inference& inference : *inferences) {
    spans.assign(inference.begin(), inference.end());
    if (auto status = (*meter)->Add(spans); !status.ok()) {
      return Fail(std::string(status.message()));
    }
  }
  const xs3::FidelityReport report = (*meter)->report();
  if (args.json) {
    PrintJson(args, report);
  } else {
    PrintText(args, report);
  }
  return 0;
}

}  // namespace tinyserve::model_tool
