#include "tests/support/test_paths.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "gtest/gtest.h"

namespace tinyserve::testing {

bool OracleRequired() {
  const char* env = std::getenv("TINYSERVE_REQUIRE_ORACLE");
  return env != nullptr && *env != '\0' && std::string(env) != "0";
}

void FailIfOracleRequired(const std::string& what) {
  // A failure recorded before the caller's GTEST_SKIP wins: gtest reports the
  // test as failed, not skipped.
  if (OracleRequired()) ADD_FAILURE() << what << " (TINYSERVE_REQUIRE_ORACLE is set)";
}

std::optional<std::string> OracleDir() {
  const char* env = std::getenv("TINYSERVE_ORACLE_DIR");
  std::string dir = env != nullptr && *env != '\0' ? env : TINYSERVE_DEFAULT_ORACLE_DIR;
  if (!std::filesystem::is_directory(dir)) {
    FailIfOracleRequired("oracle directory " + dir +
                         " not found (set TINYSERVE_ORACLE_DIR to TensorFlow Lite Micro's outputs)");
    return std::nullopt;
  }
  return dir;
}

std::string BundledModelPath(const std::string& name) {
  return std::string(TINYSERVE_MODELS_DIR) + "/" + name + "/1/model.tflite";
}

std::string TestDataPath(const std::string& relative) {
  return std::string(TINYSERVE_TEST_DATA_DIR) + "/" + relative;
}

std::vector<std::string> XformedModelCases() {
  std::vector<std::string> cases;
  const std::filesystem::path root = TestDataPath("xmos");
  if (!std::filesystem::is_directory(root)) return cases;
  for (const auto& model : std::filesystem::directory_iterator(root)) {
    if (!model.is_directory()) continue;
    for (const auto& config : std::filesystem::directory_iterator(model.path())) {
      if (std::filesystem::exists(config.path() / "model.xc.tflite")) {
        cases.push_back(model.path().filename().string() + "/" +
                        config.path().filename().string());
      }
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

std::vector<std::string> BundledModelNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(TINYSERVE_MODELS_DIR)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace tinyserve::testing
