// The text files of a model repository, parsed from bytes (no filesystem, so
// the loader and the repository_config fuzzer run exactly the same code):
// config.pbtxt (text format of tinyserve.v1.ModelConfig) and labels files.
// Everything a client can later read back (descriptions, labels) must be
// valid UTF-8 and bounded, or one bad model would break ListModels and
// GetModelMetadata for every model.
#ifndef TINYSERVE_SERVER_REPOSITORY_TEXT_H_
#define TINYSERVE_SERVER_REPOSITORY_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tinyserve/v1/model_config.pb.h"

namespace tinyserve::server {

// Caps on what the repository may hand the server; a file past its cap fails
// its model's load (INVALID_ARGUMENT naming the file) instead of being read.
struct RepositoryLimits {
  std::uint64_t max_model_bytes = std::uint64_t{64} << 20;   // model.tflite, firmware_model
  std::uint64_t max_config_bytes = std::uint64_t{64} << 10;  // config.pbtxt
  std::uint64_t max_labels_bytes = std::uint64_t{1} << 20;   // the labels file
  std::size_t max_labels = 65536;                            // lines in the labels file
  std::size_t max_label_bytes = 1024;                        // bytes in one label
};

// Parses config.pbtxt text. INVALID_ARGUMENT naming `file_name` and the line
// when the text is not UTF-8 or not a ModelConfig, or (field path) when a
// string field holds invalid UTF-8 through escapes such as "\377".
absl::StatusOr<v1::ModelConfig> ParseModelConfig(std::string_view text,
                                                 const std::string& file_name);

// One label per line ("\n" or "\r\n"); trailing empty lines dropped.
// INVALID_ARGUMENT naming `file_name` and the line for invalid UTF-8, a label
// longer than limits.max_label_bytes, more than limits.max_labels lines or more
// than limits.max_labels_bytes in all.
absl::StatusOr<std::vector<std::string>> ParseLabels(std::string_view bytes,
                                                     const std::string& file_name,
                                                     const RepositoryLimits& limits);

}  // namespace tinyserve::server

#endif  // TINYSERVE_SERVER_REPOSITORY_TEXT_H_
