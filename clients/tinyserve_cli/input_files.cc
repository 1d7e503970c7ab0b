#include "clients/tinyserve_cli/input_files.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/tinyserve_cli/npy_reader.h"
#include "stb/stb_image.h"
#include "stb/stb_image_resize.h"

namespace tinyserve::cli {
namespace {

std::string Extension(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : absl::AsciiStrToLower(path.substr(dot + 1));
}

absl::Status FillFromImage(const std::string& path, const v1::ModelMetadata& metadata,
                           v1::ClassifyRequest& request) {
  const v1::ImagePreprocessing& image = metadata.config().image();
  if (image.color_space() == v1::ImagePreprocessing::COLOR_SPACE_UNSPECIFIED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model '", metadata.name(),
        "' has no image preprocessing in its config.pbtxt; send a .bin or .npy input"));
  }
  const v1::TensorSpec& input = metadata.inputs(0);
  const int channels = image.color_space() == v1::ImagePreprocessing::RGB ? 3 : 1;
  if (input.shape_size() != 4 || input.shape(0) != 1 || input.shape(3) != channels) {
    return absl::FailedPreconditionError(
        absl::StrCat("model '", metadata.name(), "' input shape [",
                     absl::StrJoin(input.shape(), ","), "] is not [1, H, W, ", channels, "]"));
  }
  const int height = input.shape(1), width = input.shape(2);
  int w = 0, h = 0, c = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load(path.c_str(), &w, &h, &c, channels),
                                                   stbi_image_free);
  if (!pixels) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot decode image '", path, "': ", stbi_failure_reason()));
  }
  std::vector<unsigned char> resized(static_cast<size_t>(width) * height * channels);
  if (w == width && h == height) {
    std::memcpy(resized.data(), pixels.get(), resized.size());
  } else if (!stbir_resize_uint8(pixels.get(), w, h, 0, resized.data(), width, height, 0,
                                 channels)) {
    return absl::InternalError(absl::StrCat("cannot resize image '", path, "'"));
  }
  auto* values = request.mutable_float_input()->mutable_values();
  values->Reserve(static_cast<int>(resized.size()));
  const float scale = image.pixel_scale() == 0.0f ? 1.0f : image.pixel_scale();
  for (unsigned char p : resized) values->Add(static_cast<float>(p) * scale + image.pixel_offset());
  return absl::OkStatus();
}

absl::Status FillFromNpy(const std::string& path, const std::string& bytes,
                         const v1::ModelMetadata& metadata, v1::ClassifyRequest& request) {
  auto array = ParseNpy(bytes);
  if (!array.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", array.status().message()));
  }
  if (array->dtype == "f4") {
    const size_t n = array->data.size() / sizeof(float);
    auto* values = request.mutable_float_input()->mutable_values();
    values->Resize(static_cast<int>(n), 0.0f);
    std::memcpy(values->mutable_data(), array->data.data(), n * sizeof(float));
    return absl::OkStatus();
  }
  const v1::DataType dtype = metadata.inputs(0).dtype();
  const bool matches = (array->dtype == "i1" && dtype == v1::INT8) ||
                       (array->dtype == "u1" && dtype == v1::UINT8) ||
                       (array->dtype == "i2" && dtype == v1::INT16);
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": .npy dtype '", array->dtype, "' does not match the model input's ",
        v1::DataType_Name(dtype), " (send float32 to have the server quantize)"));
  }
  request.set_raw_input(array->data);
  return absl::OkStatus();
}

}  // namespace

absl::Status FillInput(const std::string& path, const v1::ModelMetadata& metadata,
                       v1::ClassifyRequest& request) {
  if (metadata.inputs_size() != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("model '", metadata.name(), "' has ", metadata.inputs_size(), " inputs"));
  }
  const std::string ext = Extension(path);
  if (ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp") {
    return FillFromImage(path, metadata, request);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read input file '", path, "'"));
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (ext == "npy") return FillFromNpy(path, bytes, metadata, request);
  request.set_raw_input(bytes);  // .bin or anything else: raw tensor bytes
  return absl::OkStatus();
}

}  // namespace tinyserve::cli
