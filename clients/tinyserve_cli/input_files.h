// Turns a file into the input of a Classify request: raw tensor bytes (.bin),
// a NumPy array (.npy), or an image (.png/.jpg/.jpeg/.bmp) decoded, resized
// to the model's input and mapped to real values by the model's config.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_INPUT_FILES_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_INPUT_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::cli {

// Sets request.raw_input or request.float_input from `path`, using the model's
// metadata for shapes and image preprocessing.
absl::Status FillInput(const std::string& path, const v1::ModelMetadata& metadata,
                       v1::ClassifyRequest& request);

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_INPUT_FILES_H_
