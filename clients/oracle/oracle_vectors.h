// The vectors of one model's oracle: TensorFlow Lite Micro's outputs on known
// inputs, in ../shared/oracle/<model>/ (format: that directory's README.txt).
// Used by the tests and by tinyserve-model fidelity.
#ifndef TINYSERVE_CLIENTS_ORACLE_ORACLE_VECTORS_H_
#define TINYSERVE_CLIENTS_ORACLE_ORACLE_VECTORS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace tinyserve::oracle {

struct OracleVector {
  std::string set;     // "random", "edge", "real", "sweep_all_int8"
  std::string input;   // relative to the model's oracle directory
  std::string output;
};

// Every input/output pair of the index's sets (intermediates excluded). A
// file may hold several inferences back to back (the hello_world sweep).
std::vector<OracleVector> OracleVectors(const nlohmann::json& index);

// Reads `dir`/index.json: its vectors, or why it cannot.
absl::StatusOr<std::vector<OracleVector>> ReadOracleIndex(const std::string& dir);

}  // namespace tinyserve::oracle

#endif  // TINYSERVE_CLIENTS_ORACLE_ORACLE_VECTORS_H_
