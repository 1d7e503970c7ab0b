// The subcommands of tinyserve-model. Each returns the process exit code and
// prints its own one-line error on failure.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_MODEL_COMMANDS_H_
#define TINYSERVE_CLIENTS_TINYSERVE_MODEL_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"
#include "devices/device_catalog.h"

namespace tinyserve::model_tool {

struct InspectArgs {
  std::string model;
  std::string device = "ref";
  bool json = false;
  // xs3 only: per-node and per-class chip times in XMOS's profiler layout.
  bool profile = false;
};

// Where an "xcore" / "xcore@PATH" device finds its board and the model on it.
struct XcoreArgs {
  std::vector<std::string> simulators;  // tinyserve-xcore-sim addresses: sim0, sim1, ...
  int model_index = 0;                  // the model's index in the board firmware
  std::string firmware_model;           // the .tflite the firmware was built from
};

struct RunArgs {
  std::string model;
  std::string device;
  XcoreArgs xcore;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

struct BenchArgs {
  std::string model;
  std::string device;
  XcoreArgs xcore;
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

// The model at `path` compiled for device `device`. "xcore" is the first
// board present (USB boards, then the --xcore_sim ones), "xcore@PATH" one
// board (it must be UP); both bind the model as `xcore` says.
struct LoadedModel {
  std::unique_ptr<DeviceCatalog> catalog;  // boards: outlives the device
  std::shared_ptr<const Model> model;
  std::unique_ptr<Device> device;
  std::shared_ptr<const Executable> executable;
};
absl::StatusOr<LoadedModel> LoadForDevice(const std::string& path, const std::string& device,
                                          const XcoreArgs& xcore = {});

// "link: 7 transfers, 27657 B out, 4 B in; host->board 812.3 us, on board
// 30123.4 us, board->host 150.2 us"; "" when `stats` has no link figures.
std::string LinkStatsText(const InvokeStats& stats);

// "int8[1,96,96,3]"
std::string TensorTypeAndShape(const TensorInfo& tensor);

// For devices that model a chip (xs3): "chip: <cycles> cycles = <us> us on 1
// thread, <n> 16-bit saturation events"; "" when `stats` has no cycles.
std::string ChipStatsText(const InvokeStats& stats);

}  // namespace tinyserve::model_tool

#endif  // TINYSERVE_CLIENTS_TINYSERVE_MODEL_COMMANDS_H_
