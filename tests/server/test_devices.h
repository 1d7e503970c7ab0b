// Devices that exist only in tests, for the test server binary.
//
//   "slow": the ref device, but every Invoke first sleeps N milliseconds
//           (N = $TINYSERVE_SLOW_DEVICE_MS, default 200), so queue-full,
//           deadline, cancellation and drain behaviour can be driven
//           deterministically. Each invoke first writes
//           "slow device: invoke #N started" to stderr, so a test knows when a
//           request is running rather than queued.
//   "perturb": the ref device, but after each Invoke the byte at index N of
//           output 0 (N = $TINYSERVE_PERTURB_INDEX, default 0) is incremented
//           by 1, wrapping (an int8 127 becomes -128). For int8 outputs that is
//           element N, one step up. An index past the output fails the invoke
//           (INVALID_ARGUMENT). Drives Compare and shadow-traffic mismatches.
#ifndef TINYSERVE_TESTS_SERVER_TEST_DEVICES_H_
#define TINYSERVE_TESTS_SERVER_TEST_DEVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "devices/device.h"

namespace tinyserve::testing {

// The test devices' names.
std::vector<std::string> TestDeviceNames();

// A test device, or else a normal one (tinyserve::CreateDevice).
absl::StatusOr<std::unique_ptr<Device>> CreateTestOrNormalDevice(const std::string& name);

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SERVER_TEST_DEVICES_H_
