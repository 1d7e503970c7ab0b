// The device contract: describe yourself, compile a model (failing clearly on
// anything you cannot run), and run it.
//
//   Device ──Compile(Model)──▶ Executable (immutable, shared by threads)
//                                 └─NewSession()──▶ Session (one per thread:
//                                                   its own buffers; Invoke)
#ifndef TINYSERVE_DEVICES_DEVICE_H_
#define TINYSERVE_DEVICES_DEVICE_H_

#include <cstdint>
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

struct InvokeOptions {
  bool profile_ops = false;  // fill InvokeStats::op_nanoseconds
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

class Device {
 public:
  virtual ~Device() = default;
  virtual DeviceInfo Describe() const = 0;
  // Fails with UNIMPLEMENTED naming every op the device cannot run.
  virtual absl::StatusOr<std::shared_ptr<const Executable>> Compile(
      std::shared_ptr<const Model> model) const = 0;
};

}  // namespace tinyserve

#endif  // TINYSERVE_DEVICES_DEVICE_H_
