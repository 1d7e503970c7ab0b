#!/usr/bin/env bash
# Sanitizer job: builds the engine, devices and tests with clang 14 under
# AddressSanitizer + UndefinedBehaviorSanitizer, runs the whole CTest suite, then
# fuzzes the model loader for $FUZZ_SECONDS (default 60) from the bundled
# models plus small one-op seed models. Any sanitizer report, test failure or fuzzer crash fails the job; a
# crashing input is left in $BUILD_DIR/fuzz-artifacts/.
#
#   .ci/sanitize.sh                    # BUILD_DIR=build-asan, FUZZ_SECONDS=60
#   FUZZ_SECONDS=600 .ci/sanitize.sh
#   build-asan/tests/fuzz/model_loader_fuzzer crash-<sha>   # reproduce
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-asan}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
JOBS="${JOBS:-$(nproc)}"
CXX_COMPILER="${SANITIZE_CXX:-clang++-14}"

"$ROOT/deploy/install-deps.sh"

# -O1 with assertions on (no NDEBUG): fast enough for the mutant tests and the
# fuzzer, with usable stack traces.
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_CXX_COMPILER="$CXX_COMPILER" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DTINYSERVE_SANITIZE=address,undefined \
  -DTINYSERVE_FUZZ=ON \
  -DTINYSERVE_BUILD_SERVER=OFF \
  -DTINYSERVE_WERROR=ON
# tests/all: every engine and device test, the fuzzer, and what they link
# (engine, devices, the model tool its end-to-end test runs). The gRPC server
# and its tests are left out (TINYSERVE_BUILD_SERVER=OFF) to keep this job
# inside CI's time on 2 cores; only the xcore USB server test is added below.
cmake --build "$BUILD_DIR" --parallel "$JOBS" --target tests/all

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

echo "sanitize: ctest under ASan+UBSan"
ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$JOBS" --timeout 1200

# The production USB path end to end under the sanitizers: the unmodified
# tinyserve server (sanitized too) as a child of the umockdev testbed. Only
# this server test is built here: the rest of the server suite runs in the
# Release job.
echo "sanitize: the xcore USB server test (umockdev) under ASan+UBSan"
cmake -S "$ROOT" -B "$BUILD_DIR" -DTINYSERVE_BUILD_SERVER=ON
cmake --build "$BUILD_DIR" --parallel "$JOBS" --target xcore_usb_server_test
ctest --test-dir "$BUILD_DIR" --output-on-failure -R 'XcoreUsbServerTest' --timeout 600

echo "sanitize: fuzzing the model loader for ${FUZZ_SECONDS}s"
CORPUS="$BUILD_DIR/fuzz-corpus"
ARTIFACTS="$BUILD_DIR/fuzz-artifacts"
rm -rf "$CORPUS"
mkdir -p "$CORPUS" "$ARTIFACTS"
for model in "$ROOT"/models/*/1/model.tflite; do
  cp "$model" "$CORPUS/$(basename "$(dirname "$(dirname "$model")")").tflite"
done
# xformed models (XMOS operators, from tests/data/xmos): the small ones.
for model in "$ROOT"/tests/data/xmos/{hello_world_int8,kws_ref_model,ad01_int8}/*/model.xc.tflite; do
  [ -f "$model" ] || continue
  cp "$model" "$CORPUS/xmos-$(basename "$(dirname "$(dirname "$model")")")-$(basename "$(dirname "$model")").tflite"
done
# The bundled models run at ~100 inputs/s under the sanitizers; one-op seeds
# (checked to load and run as they are written) at tens of thousands.
"$BUILD_DIR/tests/fuzz/make_fuzz_seeds" "$CORPUS"
echo "sanitize: seed corpus: $(ls "$CORPUS" | wc -l) models"
# -timeout: a single input running over 60 s is a hang (the runner's budget
# keeps legitimate work far below that); -rss_limit_mb: the same for memory.
"$BUILD_DIR/tests/fuzz/model_loader_fuzzer" \
  -max_len=400000 \
  -max_total_time="$FUZZ_SECONDS" \
  -timeout=60 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$ARTIFACTS/" \
  "$CORPUS"
echo "sanitize: passed"
