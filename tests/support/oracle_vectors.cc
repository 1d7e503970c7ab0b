#include "tests/support/oracle_vectors.h"

#include <filesystem>
#include <fstream>

#include "tests/support/test_paths.h"

namespace tinyserve::testing {

std::optional<OracleModelIndex> FindOracleModel(const std::string& model, std::string* why) {
  const auto oracle = OracleDir();
  if (!oracle) {
    *why = "oracle not found (set TINYSERVE_ORACLE_DIR); skipping";
    return std::nullopt;
  }
  OracleModelIndex result;
  result.dir = *oracle + "/" + model;
  if (!std::filesystem::exists(result.dir + "/index.json")) {
    *why = "no oracle for " + model + " in " + *oracle;
    FailIfOracleRequired(*why);
    return std::nullopt;
  }
  result.index = nlohmann::json::parse(std::ifstream(result.dir + "/index.json"));
  return result;
}

}  // namespace tinyserve::testing
