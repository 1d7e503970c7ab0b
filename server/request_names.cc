#include "server/request_names.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/safe_text.h"
#include "server/text_checks.h"

namespace tinyserve::server {
namespace {

absl::Status CheckVersion(int64_t version) {
  if (version >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("version must not be negative (0: the highest loaded), got ", version));
}

}  // namespace

absl::Status CheckRequestName(std::string_view what_view, std::string_view value) {
  const std::string what(what_view);  // absl::StrCat takes absl::string_view, not std::
  if (value.size() > kMaxRequestNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " '", EchoValue(value, 32), "' is ",
                                                   value.size(), " bytes long; at most ",
                                                   kMaxRequestNameBytes, " are allowed"));
  }
  if (const std::optional<std::size_t> bad = FirstInvalidUtf8Offset(value)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " '", EchoValue(value),
                                                   "' is not valid UTF-8 (at byte ", *bad, ")"));
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte < 0x20 || byte == 0x7F) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " '", EchoValue(value), "' holds a control character (at byte ", i, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRequestNames(const InferRequest& request) {
  if (absl::Status s = CheckRequestName("model name", request.model); !s.ok()) return s;
  if (absl::Status s = CheckRequestName("device name", request.device); !s.ok()) return s;
  for (const InputTensorView& input : request.inputs) {
    if (absl::Status s = CheckRequestName("input name", input.name); !s.ok()) return s;
  }
  return CheckVersion(request.version);
}

absl::Status CheckRequestNames(const CompareRequest& request) {
  if (request.devices.size() > static_cast<std::size_t>(kMaxCompareDevices)) {
    return absl::InvalidArgumentError(absl::StrCat("Compare names ", request.devices.size(),
                                                   " devices; at most ", kMaxCompareDevices,
                                                   " are allowed"));
  }
  for (const std::string& device : request.devices) {
    if (absl::Status s = CheckRequestName("device name", device); !s.ok()) return s;
  }
  return CheckRequestNames(request.request);
}

absl::Status CheckRequestNames(const v1::GetModelMetadataRequest& request) {
  if (absl::Status s = CheckRequestName("model name", request.model()); !s.ok()) return s;
  return CheckVersion(request.version());
}

absl::Status CheckRequestNames(const v1::GetShadowMismatchesRequest& request) {
  return CheckRequestName("model name", request.model());
}

}  // namespace tinyserve::server
