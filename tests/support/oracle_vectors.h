// The oracle's vector index, for tests: the reader lives in
// clients/oracle/oracle_vectors.h (tinyserve-model uses it too).
#ifndef TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_
#define TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_

#include "clients/oracle/oracle_vectors.h"

namespace tinyserve::testing {

using ::tinyserve::oracle::OracleVector;
using ::tinyserve::oracle::OracleVectors;

}  // namespace tinyserve::testing

#endif  // TINYSERVE_TESTS_SUPPORT_ORACLE_VECTORS_H_
