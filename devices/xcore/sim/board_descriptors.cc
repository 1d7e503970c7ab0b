#include "devices/xcore/sim/board_descriptors.h"

#include "devices/xcore/io_server_protocol.h"

namespace tinyserve::xcore::sim {
namespace {

void PutU16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value & 0xFF));
  out.push_back(static_cast<uint8_t>(value >> 8));
}

void PutBulkEndpoint(std::vector<uint8_t>& out, uint8_t address) {
  out.push_back(7);     // bLength
  out.push_back(0x05);  // ENDPOINT
  out.push_back(address);
  out.push_back(0x02);  // bulk
  PutU16(out, static_cast<uint16_t>(kMaxPacketBytes));
  out.push_back(1);  // bInterval
}

}  // namespace

std::vector<uint8_t> DeviceDescriptor() {
  std::vector<uint8_t> d;
  d.push_back(18);    // bLength
  d.push_back(0x01);  // DEVICE
  PutU16(d, 0x0200);  // bcdUSB 2.0
  d.push_back(0xFF);  // vendor-specific class, subclass, protocol
  d.push_back(0xFF);
  d.push_back(0xFF);
  d.push_back(64);  // bMaxPacketSize0
  PutU16(d, kXmosVendorId);
  PutU16(d, kIoServerProductId);
  PutU16(d, 0x1000);  // bcdDevice
  d.push_back(kManufacturerStringIndex);
  d.push_back(kProductStringIndex);
  d.push_back(0);  // iSerialNumber: none, boards are told apart by port path
  d.push_back(1);  // bNumConfigurations
  return d;
}

std::vector<uint8_t> ConfigurationDescriptor() {
  std::vector<uint8_t> c;
  c.push_back(9);     // bLength
  c.push_back(0x02);  // CONFIGURATION
  PutU16(c, 9 + 9 + 7 + 7);
  c.push_back(1);  // bNumInterfaces
  c.push_back(kConfigurationValue);
  c.push_back(0);     // iConfiguration
  c.push_back(0x80);  // bus-powered
  c.push_back(0xFA);  // 500 mA
  // Interface 0, alternate 0, two endpoints, vendor class.
  c.push_back(9);
  c.push_back(0x04);  // INTERFACE
  c.push_back(static_cast<uint8_t>(kIoServerInterface));
  c.push_back(0);
  c.push_back(2);
  c.push_back(0xFF);
  c.push_back(0xFF);
  c.push_back(0xFF);
  c.push_back(kInterfaceStringIndex);
  PutBulkEndpoint(c, kBulkOutEndpoint);
  PutBulkEndpoint(c, kBulkInEndpoint);
  return c;
}

std::optional<std::vector<uint8_t>> StringDescriptor(uint8_t index) {
  std::vector<uint8_t> s = {0, 0x03};
  if (index == 0) {
    PutU16(s, kLanguageUsEnglish);
  } else {
    std::string text;
    switch (index) {
      case kManufacturerStringIndex: text = "XMOS"; break;
      case kProductStringIndex: text = ProductString(); break;
      case kInterfaceStringIndex: text = "Config"; break;
      default: return std::nullopt;
    }
    for (char ch : text) PutU16(s, static_cast<uint8_t>(ch));  // ASCII -> UTF-16LE
  }
  s[0] = static_cast<uint8_t>(s.size());
  return s;
}

std::string ProductString() { return std::string(kIoServerProductString); }

}  // namespace tinyserve::xcore::sim
