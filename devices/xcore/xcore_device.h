// The "xcore@PATH" device: one xcore.ai board (on USB, or simulated) running
// XMOS's io_server firmware with the model compiled in. Nothing is uploaded:
// compiling binds a served model to a model index of the firmware, after
// checking that the xformer output the firmware was built from has the same
// inputs and outputs. An invoke is one io_server exchange (io_server_link.h).
#ifndef TINYSERVE_DEVICES_XCORE_XCORE_DEVICE_H_
#define TINYSERVE_DEVICES_XCORE_XCORE_DEVICE_H_

#include <memory>
#include <string>

#include "devices/device.h"
#include "devices/xcore/board_inventory.h"
#include "devices/xcore/xcore_board.h"

namespace tinyserve::xcore {

class XcoreDevice : public Device {
 public:
  // The board at `path` ("1-2.3", "sim0"), present or not (then DOWN until it
  // appears).
  XcoreDevice(std::shared_ptr<BoardInventory> inventory, const std::string& path,
              LinkTimeouts timeouts = {});

  DeviceInfo Describe() const override;
  // Needs a firmware binding: the same as CompileWithOptions(model, {}), which
  // fails saying how to add one.
  absl::StatusOr<std::shared_ptr<const Executable>> Compile(
      std::shared_ptr<const Model> model) const override;
  // FAILED_PRECONDITION without options.firmware, when the binding names
  // another board, or when the firmware's model file does not match `model`;
  // INVALID_ARGUMENT for a model index outside 0..255.
  absl::StatusOr<std::shared_ptr<const Executable>> CompileWithOptions(
      std::shared_ptr<const Model> model, const CompileOptions& options) const override;

  DeviceHealth Health() const override { return board_->Health(); }
  void SetHealthListener(HealthListener listener) override {
    board_->SetHealthListener(std::move(listener));
  }

 private:
  std::shared_ptr<XcoreBoard> board_;
};

}  // namespace tinyserve::xcore

#endif  // TINYSERVE_DEVICES_XCORE_XCORE_DEVICE_H_
