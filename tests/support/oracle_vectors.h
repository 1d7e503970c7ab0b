// The vectors of one model's oracle (../shared/oracle/<model>/index.json).
#ifndef TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_
#define TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace tinyserve::testing {

struct OracleVector {
  std::string set;     // "random", "edge", "real", "sweep_all_int8"
  std::string input;   // relative to the model's oracle directory
  std::string output;
};

// Every input/output pair of the index's sets (intermediates excluded). A
// file may hold several inferences back to back (the hello_world sweep).
std::vector<OracleVector> OracleVectors(const nlohmann::json& index);

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_
