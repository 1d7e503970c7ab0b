// Where tests find the bundled models and the oracle.
#ifndef TINYSERVE_TESTS_SUPPORT_TEST_PATHS_H_
#define TINYSERVE_TESTS_SUPPORT_TEST_PATHS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tinyserve::testing {

// $TINYSERVE_ORACLE_DIR, else the build's default (../shared/oracle beside the
// repo); nullopt when that directory does not exist. Callers then skip, but
// when the oracle is required (OracleRequired()) a missing directory is also
// recorded as a test failure, so the test fails instead of skipping.
std::optional<std::string> OracleDir();

// Whether TINYSERVE_REQUIRE_ORACLE is set (to anything but "" or "0"): CI sets
// it, so that a missing or misplaced oracle fails the run instead of silently
// skipping every bit-exactness test. On a user's machine it is unset.
bool OracleRequired();

// Records a failure naming `what` when the oracle is required; otherwise does
// nothing (the caller skips). For oracle data missing inside an oracle that exists.
void FailIfOracleRequired(const std::string& what);

// models/<name>/1/model.tflite in the source tree.
std::string BundledModelPath(const std::string& name);

// tests/data/<relative> in the source tree: test data checked into the repo
// (e.g. xmos/, XMOS's tools' outputs made by tests/oracle_tools).
std::string TestDataPath(const std::string& relative);

// Every xformed model of the XMOS oracle, as "<model>/<config>" (sorted):
// the directories tests/data/xmos/<model>/<config>/ holding model.xc.tflite.
std::vector<std::string> XformedModelCases();

// Names of the bundled models (directories under models/).
std::vector<std::string> BundledModelNames();

std::vector<uint8_t> ReadBytes(const std::string& path);

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SUPPORT_TEST_PATHS_H_
