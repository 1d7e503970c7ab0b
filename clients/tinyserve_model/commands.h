// The subcommands of tinyserve-model. Each returns the process exit code and
// prints its own one-line error on failure.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_MODEL_COMMANDS_H_
#define TINYSERVE_CLIENTS_TINYSERVE_MODEL_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"

namespace tinyserve::model_tool {

struct InspectArgs {
  std::string model;
  std::string device = "ref";
  bool json = false;
};

struct RunArgs {
  std::string model;
  std::string device;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

struct BenchArgs {
  std::string model;
  std::string device;
  int iterations = 200;
  int warmup = 20;
  uint64_t seed = 0x5EED0000;
  bool per_op = false;
  bool json = false;
};

// Compares the xs3 device with another device, end to end and op by op.
struct FidelityArgs {
  std::string model;
  std::string device = "xs3";
  std::string against = "ref";
  std::string oracle_dir;  // a model's oracle directory, or
  int random = 0;          // this many SplitMix64 inputs, vector i from seed + i
  uint64_t seed = 0x5EED0000;
  bool json = false;
};

int Inspect(const InspectArgs& args);
int Run(const RunArgs& args);
int Bench(const BenchArgs& args);
int Fidelity(const FidelityArgs& args);

// "tinyserve-model: error: <message>" on stderr; returns 1.
int Fail(const std::string& message);

// The model at `path` compiled for device `device`.
struct LoadedModel {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Device> device;
  std::shared_ptr<const Executable> executable;
};
absl::StatusOr<LoadedModel> LoadForDevice(const std::string& path, const std::string& device);

// "int8[1,96,96,3]"
std::string TensorTypeAndShape(const TensorInfo& tensor);

// For devices that model a chip (xs3): "chip: <cycles> cycles = <us> us on 1
// thread, <n> 16-bit saturation events"; "" when `stats` has no cycles.
std::string ChipStatsText(const InvokeStats& stats);

}  // namespace tinyserve::model_tool

#endif  // TINYSERVE_CLIENTS_TINYSERVE_MODEL_COMMANDS_H_
