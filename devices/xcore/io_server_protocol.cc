#include "devices/xcore/io_server_protocol.h"

#include "absl/strings/str_cat.h"

namespace tinyserve::xcore {

CommandPacket EncodeCommand(IoServerCommand command, uint8_t model_index, uint8_t tensor_index) {
  return {static_cast<uint8_t>(command), model_index, tensor_index};
}

absl::Status CheckCommandIndices(int model_index, int tensor_index) {
  if (model_index < 0 || model_index > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model index ", model_index,
        " does not fit the io_server command's model byte (0..255)"));
  }
  if (tensor_index < 0 || tensor_index > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor index ", tensor_index,
        " does not fit the io_server command's tensor byte (0..255)"));
  }
  return absl::OkStatus();
}

bool NeedsZeroLengthPacket(size_t bytes) { return bytes % kMaxPacketBytes == 0; }

// Full packets, then always one short packet: the tail, or a ZLP when there is
// no tail. Both cases come to bytes / 512 + 1.
size_t PacketsInDataPhase(size_t bytes) { return bytes / kMaxPacketBytes + 1; }

size_t WordPaddedBytes(size_t tensor_bytes) { return (tensor_bytes + 3) / 4 * 4; }

absl::Status CheckInputSize(int tensor_index, size_t bytes, size_t tensor_bytes) {
  if (bytes == tensor_bytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "input ", tensor_index, " is ", bytes, " bytes but the board's model takes exactly ",
      tensor_bytes, ": not sent (a wrong-sized input traps the io_server firmware)"));
}

}  // namespace tinyserve::xcore
