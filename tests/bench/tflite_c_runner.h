// Runs a .tflite file with TensorFlow Lite's C library, loaded at run time
// (dlopen) so the benchmark builds and runs without it. Used only as a peer in
// benchmarks: TFLite's builtin kernels, and the same with the XNNPACK delegate.
#ifndef TINYSERVE_TESTS_BENCH_TFLITE_C_RUNNER_H_
#define TINYSERVE_TESTS_BENCH_TFLITE_C_RUNNER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tinyserve::bench {

class TfliteCRunner {
 public:
  // `library`: path of libtensorflowlite_c.so. One thread; XNNPACK on request.
  static absl::StatusOr<std::unique_ptr<TfliteCRunner>> Create(const std::string& library,
                                                               const std::string& model_path,
                                                               bool xnnpack);
  ~TfliteCRunner();

  absl::Span<uint8_t> input();
  absl::Status Invoke();

 private:
  struct Api;
  TfliteCRunner() = default;
  std::unique_ptr<Api> api_;
  void* model_ = nullptr;
  void* options_ = nullptr;
  void* interpreter_ = nullptr;
  void* delegate_ = nullptr;
};

}  // namespace tinyserve::bench

#endif  // TINYSERVE_TESTS_BENCH_TFLITE_C_RUNNER_H_
