#include "clients/oracle/oracle_vectors.h"

#include <fstream>

#include "absl/strings/str_cat.h"

namespace tinyserve::oracle {

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

absl::StatusOr<std::vector<OracleVector>> ReadOracleIndex(const std::string& dir) {
  const std::string path = dir + "/index.json";
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open oracle index '", path, "'"));
  const nlohmann::json index = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || !index.is_object() || !index.contains("sets")) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not an oracle index (JSON with \"sets\")"));
  }
  try {
    return OracleVectors(index);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "': ", e.what()));
  }
}

}  // namespace tinyserve::oracle
