// The oracle's vector index, for tests: the reader lives in
// clients/oracle/oracle_vectors.h (tinyserve-model uses it too); finding a
// model's part of the oracle (or why to skip) is here.
#ifndef TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_
#define TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_

#include <optional>
#include <string>

#include "clients/oracle/oracle_vectors.h"
#include "nlohmann/json.hpp"

namespace tinyserve::testing {

using ::tinyserve::oracle::OracleVector;
using ::tinyserve::oracle::OracleVectors;

// One model's part of the oracle: its directory and its parsed index.json.
struct OracleModelIndex {
  std::string dir;
  nlohmann::json index;
};

// The oracle's index for `model`; nullopt, with `why` set to the reason to
// skip, when the oracle (OracleDir()) or this model's part of it is absent.
std::optional<OracleModelIndex> FindOracleModel(const std::string& model, std::string* why);

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_
