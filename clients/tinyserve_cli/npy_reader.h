// Reads NumPy .npy files (format versions 1-3), little-endian, C order.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_NPY_READER_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_NPY_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tinyserve::cli {

struct NpyArray {
  std::string dtype;  // NumPy descr without byte order: "f4", "i1", "u1", "i2", ...
  std::vector<int64_t> shape;
  std::string data;   // raw little-endian element bytes
};

absl::StatusOr<NpyArray> ParseNpy(const std::string& bytes);

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_NPY_READER_H_
