// XMOS's io_server protocol, as an xcore.ai board running lib_tflite_micro's
// ioserver firmware speaks it over USB. Facts only (docs/xcore.md):
//   - identity: VID 0x20B1, PID 0xA15E, product string "xAISRV", no serial
//     number; vendor interface 0, bulk OUT 0x01 / IN 0x81, 512-byte packets;
//   - a command is its own 3-byte bulk transfer [cmd, model_index, tensor_index];
//   - every data phase is 512-byte packets ended by a short packet, a
//     zero-length packet (ZLP) when the length is a multiple of 512;
//   - RECV_INPUT (0x03): the tensor's bytes follow, exactly its size (any other
//     size traps the board's model thread: the host must check first);
//   - INVOKE (0x01) and RESET (0x07): a ZLP follows; nothing comes back, and
//     the board NAKs every OUT until the invoke is done;
//   - SEND_OUTPUT (0x02): the board sends the tensor padded to whole 32-bit
//     words, ended by a short packet (a ZLP when the padded size is a multiple
//     of 512); the host trims the padding;
//   - EXIT (0x08) resets the chip and is never sent by tinyserve.
// No status is ever returned: errors show only as timeouts or stalls.
#ifndef TINYSERVE_DEVICES_XCORE_IO_SERVER_PROTOCOL_H_
#define TINYSERVE_DEVICES_XCORE_IO_SERVER_PROTOCOL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace tinyserve::xcore {

inline constexpr uint16_t kXmosVendorId = 0x20B1;
inline constexpr uint16_t kIoServerProductId = 0xA15E;
inline constexpr std::string_view kIoServerProductString = "xAISRV";
inline constexpr int kIoServerInterface = 0;
inline constexpr uint8_t kBulkOutEndpoint = 0x01;
inline constexpr uint8_t kBulkInEndpoint = 0x81;
inline constexpr size_t kMaxPacketBytes = 512;  // bulk, high speed

enum class IoServerCommand : uint8_t {
  kInvoke = 0x01,
  kSendOutput = 0x02,  // board -> host
  kRecvInput = 0x03,   // host -> board
  kReset = 0x07,
  kExit = 0x08,  // resets the chip: defined for completeness, never sent
};

inline constexpr size_t kCommandBytes = 3;
using CommandPacket = std::array<uint8_t, kCommandBytes>;

// [cmd, model_index, tensor_index]; indices must fit a byte (checked by the
// caller: see CheckCommandIndices).
CommandPacket EncodeCommand(IoServerCommand command, uint8_t model_index, uint8_t tensor_index);

// INVALID_ARGUMENT unless both indices fit the command's bytes (0..255).
absl::Status CheckCommandIndices(int model_index, int tensor_index);

// Whether a data phase of `bytes` bytes must be ended by a zero-length packet:
// it is a whole number of packets (0 bytes is itself just the ZLP).
bool NeedsZeroLengthPacket(size_t bytes);

// Packets a data phase of `bytes` bytes takes on the bus, the terminating
// short packet or ZLP included (ceil(bytes / 512), + 1 when bytes % 512 == 0).
size_t PacketsInDataPhase(size_t bytes);

// The size the board sends for an output tensor of `tensor_bytes` bytes:
// rounded up to whole 32-bit words.
size_t WordPaddedBytes(size_t tensor_bytes);

// The host's check before RECV_INPUT: OK only when `bytes` equals the
// tensor's size. Anything else would trap the board, so it is never sent.
absl::Status CheckInputSize(int tensor_index, size_t bytes, size_t tensor_bytes);

}  // namespace tinyserve::xcore

#endif  // TINYSERVE_DEVICES_XCORE_IO_SERVER_PROTOCOL_H_
