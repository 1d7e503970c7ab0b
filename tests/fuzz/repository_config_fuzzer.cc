// libFuzzer target: arbitrary bytes as a model's config.pbtxt and as its
// labels file, through the very functions the repository loader uses
// (server/repository_text.h). Accepted text must hold only valid UTF-8 in
// every string and respect every limit; refused text must be refused with
// InvalidArgument and a short, UTF-8 message naming the file. Anything else,
// and every sanitizer report, is a crash.
//
//   repository_config_fuzzer corpus/repository_config/
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "server/repository_text.h"
#include "server/text_checks.h"

namespace {

using tinyserve::server::IsValidUtf8;

const std::string kConfigFile = "fuzz/config.pbtxt";
const std::string kLabelsFile = "fuzz/labels.txt";

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "repository_config_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckRefusal(const absl::Status& status, const std::string& file) {
  const std::string message(status.message());
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    Fail("refused with an unexpected code", status.ToString());
  }
  if (message.rfind(file, 0) != 0) Fail("message does not start with the file", message);
  if (message.size() > 512) Fail("message longer than 512 bytes", message.substr(0, 512));
  if (!IsValidUtf8(message)) Fail("message is not UTF-8", message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  const auto config = tinyserve::server::ParseModelConfig(bytes, kConfigFile);
  if (!config.ok()) {
    CheckRefusal(config.status(), kConfigFile);
  } else {
    for (const std::string* s :
         {&config->description(), &config->labels_file(), &config->default_device(),
          &config->xcore().firmware_model(), &config->xcore().board(),
          &config->shadow().device()}) {
      if (!IsValidUtf8(*s)) Fail("accepted a config with a non-UTF-8 string", *s);
    }
    for (const auto& device : config->devices()) {
      if (!IsValidUtf8(device.device())) Fail("accepted a non-UTF-8 device", device.device());
    }
  }

  // Small limits, so the fuzzer reaches every one of them.
  tinyserve::server::RepositoryLimits limits;
  limits.max_labels = 16;
  limits.max_label_bytes = 32;
  limits.max_labels_bytes = 256;
  const auto labels = tinyserve::server::ParseLabels(bytes, kLabelsFile, limits);
  if (!labels.ok()) {
    CheckRefusal(labels.status(), kLabelsFile);
  } else {
    if (size > limits.max_labels_bytes) Fail("accepted labels past the byte cap", "");
    if (labels->size() > limits.max_labels) Fail("accepted too many labels", "");
    for (const std::string& label : *labels) {
      if (!IsValidUtf8(label)) Fail("accepted a non-UTF-8 label", label);
      if (label.size() > limits.max_label_bytes) Fail("accepted a long label", label);
      if (label.find('\n') != std::string::npos) Fail("a label holds a newline", label);
    }
    if (!labels->empty() && labels->back().empty()) Fail("kept a trailing empty label", "");
  }
  return 0;
}
