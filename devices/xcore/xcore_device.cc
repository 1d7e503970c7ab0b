#include "devices/xcore/xcore_device.h"

#include <chrono>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/model_signature.h"
#include "engine/util/status_macros.h"

namespace tinyserve::xcore {
namespace {

// A session's own input and output buffers; Invoke is one exchange.
class XcoreSession : public Session {
 public:
  XcoreSession(std::shared_ptr<XcoreBoard> board, const IoServerModel& io)
      : board_(std::move(board)), io_(io) {
    for (size_t bytes : io_.input_bytes) inputs_.emplace_back(bytes);
    for (size_t bytes : io_.output_bytes) outputs_.emplace_back(bytes);
  }

  absl::Span<uint8_t> input(int i) override { return absl::MakeSpan(inputs_[i]); }
  absl::Span<const uint8_t> output(int i) const override { return outputs_[i]; }

  absl::StatusOr<InvokeStats> Invoke(const InvokeOptions& options) override {
    std::vector<absl::Span<const uint8_t>> in(inputs_.begin(), inputs_.end());
    std::vector<absl::Span<uint8_t>> out;
    for (auto& o : outputs_) out.push_back(absl::MakeSpan(o));
    LinkStats link;
    const auto start = std::chrono::steady_clock::now();
    TS_RETURN_IF_ERROR(board_->Run(io_, in, out, options, &link));
    InvokeStats stats;
    stats.device_nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count();
    stats.link = link;
    return stats;
  }

 private:
  std::shared_ptr<XcoreBoard> board_;
  const IoServerModel io_;
  std::vector<std::vector<uint8_t>> inputs_;
  std::vector<std::vector<uint8_t>> outputs_;
};

class XcoreExecutable : public Executable {
 public:
  XcoreExecutable(std::shared_ptr<const Model> model, std::shared_ptr<XcoreBoard> board,
                  IoServerModel io)
      : model_(std::move(model)), board_(std::move(board)), io_(std::move(io)) {}

  const Model& model() const override { return *model_; }
  size_t arena_bytes() const override {
    size_t bytes = 0;
    for (size_t b : io_.input_bytes) bytes += b;
    for (size_t b : io_.output_bytes) bytes += b;
    return bytes;
  }
  absl::StatusOr<std::unique_ptr<Session>> NewSession() const override {
    return std::unique_ptr<Session>(new XcoreSession(board_, io_));
  }

 private:
  std::shared_ptr<const Model> model_;
  std::shared_ptr<XcoreBoard> board_;
  IoServerModel io_;
};

// "1-2.3" and "xcore@1-2.3" both name board 1-2.3.
std::string BoardPath(const std::string& board) {
  return absl::StartsWith(board, "xcore@") ? board.substr(6) : board;
}

}  // namespace

XcoreDevice::XcoreDevice(std::shared_ptr<BoardInventory> inventory, const std::string& path,
                         LinkTimeouts timeouts)
    : board_(XcoreBoard::Create(std::move(inventory), path, timeouts)) {}

DeviceInfo XcoreDevice::Describe() const {
  return {board_->device_name(), "xcore-usb",
          absl::StrCat(board_->inventory().Describe(board_->path()),
                       ", running XMOS's io_server firmware (models compiled in, selected by "
                       "index)"),
          {"link-timing"}};
}

absl::StatusOr<std::shared_ptr<const Executable>> XcoreDevice::Compile(
    std::shared_ptr<const Model> model) const {
  return CompileWithOptions(std::move(model), CompileOptions{});
}

absl::StatusOr<std::shared_ptr<const Executable>> XcoreDevice::CompileWithOptions(
    std::shared_ptr<const Model> model, const CompileOptions& options) const {
  const std::string device = board_->device_name();
  if (!options.firmware.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        device, ": model '", model->name(),
        "' has no xcore binding (add xcore { model_index: N } to config.pbtxt): a board runs "
        "only the models compiled into its firmware"));
  }
  const FirmwareBinding& binding = *options.firmware;
  if (!binding.board.empty() && BoardPath(binding.board) != board_->path()) {
    return absl::FailedPreconditionError(absl::StrCat(
        device, ": model '", model->name(), "' is bound to board '", binding.board,
        "', not this one (xcore { board: ... } in config.pbtxt)"));
  }
  if (binding.model_index < 0 || binding.model_index > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        device, ": model '", model->name(), "': xcore model_index ", binding.model_index,
        " is outside 0..255 (the io_server command carries it in one byte)"));
  }
  const ModelSignature served = SignatureOf(*model);
  ModelSignature firmware = served;
  if (!binding.firmware_model_path.empty()) {
    absl::StatusOr<ModelSignature> read = ReadModelSignatureFile(binding.firmware_model_path);
    if (!read.ok()) {
      return absl::Status(read.status().code(),
                          absl::StrCat(device, ": firmware model file '",
                                       binding.firmware_model_path, "': ",
                                       read.status().message()));
    }
    firmware = std::move(*read);
    const absl::Status same =
        CheckSameSignature(served, model->name(), firmware, binding.firmware_model_path);
    if (!same.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          device, ": the served model and the firmware's model differ: ", same.message()));
    }
  }
  if (firmware.inputs.size() > 256 || firmware.outputs.size() > 256) {
    return absl::InvalidArgumentError(absl::StrCat(
        device, ": model '", model->name(), "' has more tensors than an io_server command "
        "can index (256)"));
  }
  IoServerModel io;
  io.model_index = binding.model_index;
  for (const TensorSignature& t : firmware.inputs) io.input_bytes.push_back(t.bytes);
  for (const TensorSignature& t : firmware.outputs) io.output_bytes.push_back(t.bytes);
  return std::shared_ptr<const Executable>(
      std::make_shared<XcoreExecutable>(std::move(model), board_, std::move(io)));
}

}  // namespace tinyserve::xcore
