#include "tests/support/oracle_vectors.h"

namespace tinyserve::testing {

std::vector<OracleVector> OracleVectors(const nlohmann::json& index) {
  std::vector<OracleVector> vectors;
  for (const auto& item : index["sets"].items()) {
    const std::string set = item.key();
    const nlohmann::json& entries = item.value();
    if (set == "intermediates") continue;
    auto add = [&](const nlohmann::json& e) {
      vectors.push_back({set, e["input"].get<std::string>(), e["output"].get<std::string>()});
    };
    if (entries.is_array()) {
      for (const auto& e : entries) add(e);
    } else {
      add(entries);
    }
  }
  return vectors;
}

}  // namespace tinyserve::testing
