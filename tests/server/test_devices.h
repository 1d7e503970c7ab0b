// Devices that exist only in tests, for the test server binary, offered by a
// device catalog that wraps the real one (every normal device stays there).
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
//   "hang": a device that never finishes an invoke on its own, like a hung
//           board: Invoke writes "hang device: invoke #N started" to stderr,
//           then waits for the call's deadline (DEADLINE_EXCEEDED) or its
//           cancellation (CANCELLED). Checks that the server hands both down.
//   "fakeboard": a family of boards that come and go, driven by files in
//           $TINYSERVE_FAKEBOARD_DIR: a file "<id>.state" is board
//           "fakeboard@<id>", present. Its first word is the board's state
//           (UP, DOWN, RECOVERING; empty = UP), the rest the reason. Removing
//           the file unplugs the board (DOWN "unplugged"); a new file is a
//           board arriving. The catalog looks every 20 ms. A board computes
//           with the ref kernels; each Invoke writes
//           "fakeboard@<id>: invoke #N started" to stderr, then takes
//           $TINYSERVE_FAKEBOARD_INVOKE_MS (default 0), failing UNAVAILABLE at
//           once if the board stops being UP meanwhile (and honouring the
//           deadline and cancellation), and reports link figures (LinkStats):
//           bytes out = 3 * 3 command bytes + the input bytes, bytes in = the
//           output bytes, 5 transfers, and 1000 / 2000 / 3000 ns for
//           host_to_board / on_board / board_to_host.
#ifndef TINYSERVE_TESTS_SERVER_TEST_DEVICES_H_
#define TINYSERVE_TESTS_SERVER_TEST_DEVICES_H_

#include <memory>

#include "devices/device_catalog.h"

namespace tinyserve::testing {

// The registry's catalog for `options`, plus the test devices above.
std::unique_ptr<DeviceCatalog> CreateTestCatalog(const DeviceCatalogOptions& options);

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SERVER_TEST_DEVICES_H_
