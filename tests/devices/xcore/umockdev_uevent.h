// Sends udev "uevents" to the programs running under a umockdev testbed, from
// a process that is itself NOT under umockdev's preload (the test launcher).
// umockdev_testbed_uevent() looks the device up with libudev in the calling
// process, which only works inside the mock environment; this builds the
// message from the testbed's own sysfs files instead.
//
// The message is libudev's monitor format: a header ("libudev" prefix, magic
// 0xfeedcafe, MurmurHash2 hashes of subsystem and devtype for the receivers'
// socket filters), then NUL-separated KEY=value properties. The preloaded
// programs' netlink sockets are unix sockets named $UMOCKDEV_DIR/event<fd>.
#ifndef TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_UEVENT_H_
#define TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_UEVENT_H_

#include <cstdint>
#include <string>

namespace tinyserve::xcore::testing {

// MurmurHash2 (32-bit, seed = length), as libudev hashes filter strings.
uint32_t UdevFilterHash(const std::string& text);

// Sends `action` ("add", "remove") for the device at `syspath` ("/sys/...")
// of the testbed rooted at `root_dir`, with the properties of its uevent file
// (read now: send "remove" before the device leaves sysfs). Returns how many
// listeners got it.
int SendUevent(const std::string& root_dir, const std::string& syspath, const std::string& action,
               const std::string& subsystem, const std::string& devtype);

}  // namespace tinyserve::xcore::testing

#endif  // TINYSERVE_TESTS_DEVICES_XCORE_UMOCKDEV_UEVENT_H_
