// The byte framing between the socket transport (socket_transport.h) and
// tinyserve-xcore-sim: USB packets as frames [endpoint u8][length u16 LE][payload],
// so a zero-length packet is a frame of length 0.
//
//   sim  -> host, once on connect: [0x00][n][18-byte USB device descriptor,
//            then the product string (UTF-8)]: the host checks VID/PID/product
//            exactly as it does on USB.
//   host -> sim  OUT packet: [0x01][n <= 512][bytes]; the sim answers
//            [0x01][n] (no payload) when the board has taken the packet: while
//            the board NAKs (an invoke runs) that answer waits.
//   host -> sim  IN request: [0x81][4][u32 LE max bytes]: the sim answers with
//            packet frames [0x81][n <= 512][bytes] until a short packet
//            (n < 512, a ZLP included) or max bytes.
// A host may send every packet of a transfer before reading the answers.
// Frames are served in order, one at a time: an IN request that the board
// cannot answer yet holds back the frames after it. One connection is one
// plug-in of the board: a new connection replaces the old one (closed) and
// power-cycles the board; the simulator closes the connection when the board
// leaves the bus (EXIT, the disconnect fault) or on a malformed frame (an
// unknown endpoint, an OUT payload over 512 bytes, an IN request whose
// payload is not 4 bytes). An IN packet longer than the bytes still asked for
// is cut to fit (babble on real USB): ask for multiples of 512.
#ifndef TINYSERVE_DEVICES_XCORE_SIM_SIM_WIRE_FORMAT_H_
#define TINYSERVE_DEVICES_XCORE_SIM_SIM_WIRE_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace tinyserve::xcore::sim {

inline constexpr uint8_t kHelloEndpoint = 0x00;
inline constexpr size_t kFrameHeaderBytes = 3;
inline constexpr size_t kDeviceDescriptorBytes = 18;

}  // namespace tinyserve::xcore::sim

#endif  // TINYSERVE_DEVICES_XCORE_SIM_SIM_WIRE_FORMAT_H_
