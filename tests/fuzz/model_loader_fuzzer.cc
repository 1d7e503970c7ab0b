// libFuzzer target: arbitrary bytes through Model::LoadBuffer. A file the loader
// accepts must compile with the reference kernels and run (all-zero and
// all-0x7f inputs); one it refuses must be refused with InvalidArgument or
// Unimplemented and a message that names the model. Anything else, and every
// sanitizer report, is a crash.
//
//   model_loader_fuzzer -max_len=400000 corpus/   (seed: models/*/1/model.tflite)
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/types/span.h"
#include "engine/model.h"
#include "tests/fuzz/model_runner.h"

namespace {

// Models estimated at more steps than this load but do not run here: it skips
// the two largest bundled models (8M and 13M steps, ~100 ms each under the
// sanitizers) and their mutants, which hostile_model_test runs, so the fuzzer
// spends its time on many small inputs. Small seeds still grow into shapes
// this large.
constexpr int64_t kFuzzMaxWork = int64_t{1} << 22;

[[noreturn]] void Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "model_loader_fuzzer: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto model = tinyserve::Model::LoadBuffer(absl::MakeConstSpan(data, size), "fuzz");
  if (!model.ok()) {
    const absl::StatusCode code = model.status().code();
    if (code != absl::StatusCode::kInvalidArgument && code != absl::StatusCode::kUnimplemented) {
      Fail("load failed with an unexpected code", model.status());
    }
    if (!absl::StartsWith(model.status().message(), "model 'fuzz'")) {
      Fail("load error does not name the model", model.status());
    }
    return 0;
  }
  const absl::StatusOr<bool> ran = tinyserve::fuzz::RunReferenceOnce(*model, kFuzzMaxWork);
  if (!ran.ok()) Fail("a loaded model failed to compile", ran.status());
  return 0;
}
