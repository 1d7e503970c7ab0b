// The device contract: describe yourself, compile a model (failing clearly on
// anything you cannot run), and run it.
//
//   Device ──Compile(Model)──▶ Executable (immutable, shared by threads)
//                                 └─NewSession()──▶ Session (one per thread:
//                                                   its own buffers; Invoke)
#ifndef TINYSERVE_DEVICES_DEVICE_H_
#define TINYSERVE_DEVICES_DEVICE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/model.h"

namespace tinyserve {

struct DeviceInfo {
  std::string name;         // "ref", "host", ...: what users select
  std::string kind;         // "cpu-reference", "cpu-simd", "xs3-emulator", "xcore-usb"
  std::string description;  // one line for people
  std::vector<std::string> capabilities;  // e.g. "bit-exact-tflm", "cycle-count", "per-op-timing"
};

// Whether a device can take work now. Devices that cannot fail (ref, host,
// xs3) are always UP; a board is DOWN while unplugged or out of step with the
// host, RECOVERING while it is being reopened after it came back.
enum class DeviceState { kUp, kDown, kRecovering };

// "UP", "DOWN", "RECOVERING".
const char* DeviceStateName(DeviceState state);

struct DeviceHealth {
  DeviceState state = DeviceState::kUp;
  std::string reason;  // why it is not UP (empty when UP)
};

struct InvokeOptions {
  bool profile_ops = false;  // fill InvokeStats::op_nanoseconds
  // A device that can block (a board on USB) gives up by this time or as soon
  // as `cancelled` returns true, with DEADLINE_EXCEEDED / CANCELLED (or
  // UNAVAILABLE when the device itself failed). Compute-only devices ignore both.
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  std::function<bool()> cancelled;  // may be empty; polled while waiting
};

// What one invoke moved over a link to a board, and where the time went.
struct LinkStats {
  int64_t bytes_out = 0;  // host -> board: commands and input tensors
  int64_t bytes_in = 0;   // board -> host: output tensors (word-padded, as sent)
  int64_t transfers = 0;  // bulk transfers, zero-length packets included
  int64_t host_to_board_ns = 0;  // commands and inputs, up to the INVOKE command
  int64_t on_board_ns = 0;       // INVOKE accepted until the board takes the next command
  int64_t board_to_host_ns = 0;  // reading the outputs
};

struct InvokeStats {
  int64_t device_nanoseconds = 0;            // wall time of the invoke
  absl::Span<const int64_t> op_nanoseconds;  // per operator, when profiled; valid until next Invoke
  // Devices that model or drive real hardware (xs3, xcore) report the chip's
  // cycle count and the time it implies on the chip.
  std::optional<int64_t> cycles;
  std::optional<double> estimated_chip_microseconds;
  // Per operator chip cycles, when the device counts them; valid until next Invoke.
  absl::Span<const int64_t> op_cycles;
  // Devices with narrower intermediates than TFLite (xs3: 16-bit output
  // transforms) count the values they had to saturate: a quantization risk.
  std::optional<int64_t> saturation_events;
  // Devices behind a link (xcore) report what crossed it.
  std::optional<LinkStats> link;
};

class Session {
 public:
  virtual ~Session() = default;
  // Write inputs here before each Invoke (raw bytes in the model's input dtype).
  virtual absl::Span<uint8_t> input(int i) = 0;
  virtual absl::Span<const uint8_t> output(int i) const = 0;
  virtual absl::StatusOr<InvokeStats> Invoke(const InvokeOptions& options) = 0;
};

class Executable {
 public:
  virtual ~Executable() = default;
  virtual const Model& model() const = 0;
  // Bytes of working memory one session needs (the activation arena).
  virtual size_t arena_bytes() const = 0;
  virtual absl::StatusOr<std::unique_ptr<Session>> NewSession() const = 0;
};

// Where a model lives on a device that runs firmware-compiled models (an
// xcore board): nothing is uploaded, the firmware holds the model.
struct FirmwareBinding {
  int model_index = 0;  // the model's index in the board firmware
  // The .tflite the firmware was built from (xformer output); its inputs and
  // outputs must match the served model's. Empty: the served model's own file.
  std::string firmware_model_path;
  // Which boards hold that firmware: a bus-port path ("1-2.3"), a simulated
  // board's name ("sim0"), or empty for any board.
  std::string board;
};

// Per-model settings a device may need beyond the model itself.
struct CompileOptions {
  std::optional<FirmwareBinding> firmware;
};

class Device {
 public:
  virtual ~Device() = default;
  virtual DeviceInfo Describe() const = 0;
  // Fails with UNIMPLEMENTED naming every op the device cannot run.
  virtual absl::StatusOr<std::shared_ptr<const Executable>> Compile(
      std::shared_ptr<const Model> model) const = 0;
  // Compile with the model's per-device settings; devices that need none
  // ignore them.
  virtual absl::StatusOr<std::shared_ptr<const Executable>> CompileWithOptions(
      std::shared_ptr<const Model> model, const CompileOptions& options) const {
    (void)options;
    return Compile(std::move(model));
  }

  // Current state; always UP for devices that cannot fail.
  virtual DeviceHealth Health() const { return {}; }
  // Called from any thread on every change of Health(); set once, before the
  // device is used. Devices that never change state never call it.
  using HealthListener = std::function<void(const DeviceHealth&)>;
  virtual void SetHealthListener(HealthListener listener) { (void)listener; }
};

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_DEVICE_H_
