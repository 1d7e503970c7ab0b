// The input sets of `tinyserve-cli ab` and `bench`: seeded random tensors,
// every input file of a directory, or a model's oracle vectors; and the
// expected classes (labels) that go with them.
#ifndef TINYSERVE_CLIENTS_TINYSERVE_CLI_INPUT_SETS_H_
#define TINYSERVE_CLIENTS_TINYSERVE_CLI_INPUT_SETS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tinyserve/v1/tinyserve.pb.h"

namespace tinyserve::cli {

// The seed of the oracle's random vectors: --random N with this seed draws
// exactly the oracle's inputs/input_00.bin .. input_<N-1>.bin.
inline constexpr uint64_t kOracleSeed = 0x5EED0000;

struct InputItem {
  std::string name;  // file name in the directory, "random_0003", or the oracle's "set/path[#run]"
  // The request input: raw_input or float_input of a ClassifyRequest (other
  // fields unset).
  v1::ClassifyRequest input;
  std::optional<int> label;                    // expected class index
  std::optional<std::string> expected_output;  // oracle: TFLM's raw output bytes
};

// Copies the item's input into a request's input oneof.
void CopyInput(const InputItem& item, v1::ClassifyRequest& request);
void CopyInput(const InputItem& item, v1::CompareRequest& request);

// The model's single input tensor; FAILED_PRECONDITION for other input counts.
absl::StatusOr<v1::TensorSpec> SingleInput(const v1::ModelMetadata& metadata);

// `elements` SplitMix64 draws from state `seed`, one per element, each the top
// bits of the draw as the dtype's little-endian bytes (INT8 and UINT8: the top
// 8 bits, as the oracle draws; INT16: the top 16). Other dtypes:
// INVALID_ARGUMENT.
absl::StatusOr<std::string> RandomTensorBytes(v1::DataType dtype, int64_t elements, uint64_t seed);

// n random raw inputs for the model's input tensor; input i is drawn from
// state seed + i (as the oracle's vector i from 0x5EED0000 + i). All are made
// up front: more than 1 GiB in total is INVALID_ARGUMENT.
absl::StatusOr<std::vector<InputItem>> RandomInputs(const v1::ModelMetadata& metadata, int n,
                                                    uint64_t seed);

// Every .bin, .npy, .png, .jpg, .jpeg and .bmp file directly in `dir`, in name
// order, read as `classify --input` reads them. Other files are skipped.
absl::StatusOr<std::vector<InputItem>> DirectoryInputs(const std::string& dir,
                                                       const v1::ModelMetadata& metadata);

// Every input/output pair of an oracle directory (<dir>/index.json; the
// "intermediates" set excluded; files holding several runs are split). Each
// item keeps TFLM's output; for CLASSIFIER models its top-1 class (highest raw
// value, lowest index on ties) becomes the item's label.
absl::StatusOr<std::vector<InputItem>> OracleInputs(const std::string& dir,
                                                    const v1::ModelMetadata& metadata);

// The highest value's index in raw little-endian output bytes (lowest index
// on ties); nullopt for an unsupported dtype or empty output.
std::optional<int> Top1(const std::string& raw, v1::DataType dtype);

// Reads a labels file (see ParseLabels) and sets items[i].label, replacing
// labels the set came with.
absl::Status ApplyLabelsFile(const std::string& path, const v1::ModelMetadata& metadata,
                             std::vector<InputItem>& items);

// A labels file, one entry per line ('#' comments and blank lines skipped):
//   either  NAME,CLASS   (NAME: an input's name, i.e. its file name for
//                         --inputs; an optional first line "file,class" is a
//                         header; inputs not listed are unlabelled)
//   or      CLASS        (one line per input, in input order)
// CLASS is a class index in [0, classes) or one of `class_names` (the
// model's labels.txt). Returns one optional label per name.
absl::StatusOr<std::vector<std::optional<int>>> ParseLabels(
    const std::string& text, const std::vector<std::string>& names, int64_t classes,
    const std::vector<std::string>& class_names);

}  // namespace tinyserve::cli

#endif  // TINYSERVE_CLIENTS_TINYSERVE_CLI_INPUT_SETS_H_
