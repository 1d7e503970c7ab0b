// The USB descriptors of an xcore.ai board running XMOS's io_server firmware
// (facts: docs/xs3.md §3.1), as the simulated board presents them: in the
// simulator's hello frame and, in the umockdev testbed, in sysfs and in
// answers to GET_DESCRIPTOR.
#ifndef TINYSERVE_DEVICES_XCORE_SIM_BOARD_DESCRIPTORS_H_
#define TINYSERVE_DEVICES_XCORE_SIM_BOARD_DESCRIPTORS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyserve::xcore::sim {

// String descriptor indices the device descriptor and interface refer to.
inline constexpr uint8_t kManufacturerStringIndex = 1;  // "XMOS"
inline constexpr uint8_t kProductStringIndex = 2;       // "xAISRV"
inline constexpr uint8_t kInterfaceStringIndex = 3;     // "Config"
inline constexpr uint16_t kLanguageUsEnglish = 0x0409;
inline constexpr uint8_t kConfigurationValue = 1;

// The 18-byte device descriptor (little-endian fields, as on the wire):
// VID 0x20B1, PID 0xA15E, bcdDevice 0x1000, class 0xFF, no serial number.
std::vector<uint8_t> DeviceDescriptor();

// The configuration descriptor with its interface and two bulk endpoint
// descriptors (32 bytes): interface 0, bulk OUT 0x01 and IN 0x81, 512 bytes.
std::vector<uint8_t> ConfigurationDescriptor();

// String descriptor `index` (0: the language list) as sent on the wire
// (bLength, type 3, UTF-16LE); nullopt for an index the board does not have.
std::optional<std::vector<uint8_t>> StringDescriptor(uint8_t index);

// The product string itself ("xAISRV").
std::string ProductString();

}  // namespace tinyserve::xcore::sim

#endif  // TINYSERVE_DEVICES_XCORE_SIM_BOARD_DESCRIPTORS_H_
