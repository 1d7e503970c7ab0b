#!/usr/bin/env bash
# Sanitizer job: builds everything (engine, devices, the gRPC server, its
# clients, every test and every libFuzzer target) with clang 14 under
# AddressSanitizer + UndefinedBehaviorSanitizer, runs the whole CTest suite
# (the server tests start the sanitized server binary as a child), then runs
# every fuzzer in tests/fuzz for $FUZZ_SECONDS each. Any sanitizer report, test
# failure or fuzzer crash fails the job; a crashing input is left in
# $BUILD_DIR/fuzz-artifacts/<fuzzer>/.
#
#   .ci/sanitize.sh                       # BUILD_DIR=build-asan, FUZZ_SECONDS=30
#   FUZZ_SECONDS=600 .ci/sanitize.sh      # longer fuzzing
#   SANITIZE_STEPS=fuzz .ci/sanitize.sh   # only some steps: build, test, fuzz
#   build-asan/tests/fuzz/model_loader_fuzzer build-asan/fuzz-artifacts/model_loader_fuzzer/crash-<sha>
#
# Fuzzers are found, not listed: every executable tests/fuzz/*_fuzzer in the
# build runs, seeded from tests/fuzz/corpus/<name without _fuzzer>/ when that
# directory exists (and with tests/fuzz/<name without _fuzzer>.dict as its
# dictionary when that file exists). model_loader_fuzzer is also seeded with
# the bundled models, small xformed models and generated one-op models.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-asan}"
FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
JOBS="${JOBS:-$(nproc)}"
CXX_COMPILER="${SANITIZE_CXX:-clang++-14}"
STEPS="${SANITIZE_STEPS:-build test fuzz}"

step() { [[ " $STEPS " == *" $1 "* ]]; }
stamp() { echo "sanitize: $(date -u +%H:%M:%S) $*"; }

"$ROOT/deploy/install-deps.sh"

if step build; then
  stamp "configure + build (ASan+UBSan, -O1)"
  # -O1 with assertions on (no NDEBUG): fast enough for the tests and the
  # fuzzers. -gline-tables-only: file:line in every report, at a fraction of
  # -g's compile and link time. The benchmarks are not built (never run here).
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_CXX_COMPILER="$CXX_COMPILER" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DTINYSERVE_SANITIZE=address,undefined \
    -DTINYSERVE_FUZZ=ON \
    -DTINYSERVE_BUILD_SERVER=ON \
    -DTINYSERVE_BUILD_BENCH=OFF \
    -DTINYSERVE_WERROR=ON
  # tests/all: every test, fuzzer and what they run (server, CLI, model tool,
  # simulator).
  cmake --build "$BUILD_DIR" --parallel "$JOBS" --target tests/all
  stamp "build done"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# The soak test runs here too (memory errors under churn and hostile input),
# but ASan's quarantine keeps freed memory resident: its RSS is reported, not
# judged (LeakSanitizer checks leaks when the server exits).
export SOAK_CHECK_RSS=0

if step test; then
  stamp "ctest under ASan+UBSan"
  # A sanitizer report aborts the process that made it: a test binary fails
  # its test; a server child exits uncleanly, which its test asserts against.
  ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$JOBS" --timeout 1200
  stamp "ctest done"
fi

if step fuzz; then
  FUZZ_DIR="$BUILD_DIR/tests/fuzz"
  CORPORA="$BUILD_DIR/fuzz-corpus"
  ARTIFACTS="$BUILD_DIR/fuzz-artifacts"
  mapfile -t FUZZERS < <(find "$FUZZ_DIR" -maxdepth 1 -type f -executable -name '*_fuzzer' \
                           -printf '%f\n' | sort)
  if [ ${#FUZZERS[@]} -eq 0 ]; then
    echo "sanitize: no fuzzers in $FUZZ_DIR (configure with -DTINYSERVE_FUZZ=ON)" >&2
    exit 1
  fi
  rm -rf "$CORPORA" "$ARTIFACTS"

  # The model loader's seeds: the bundled models, the small xformed models (XMOS
  # operators, from tests/data/xmos), and one-op models (checked to load and run
  # as they are written). The bundled models run at ~100 inputs/s under the
  # sanitizers; the one-op seeds at tens of thousands.
  seed_model_loader() {
    local dir="$1" model
    for model in "$ROOT"/models/*/1/model.tflite; do
      cp "$model" "$dir/$(basename "$(dirname "$(dirname "$model")")").tflite"
    done
    for model in "$ROOT"/tests/data/xmos/{hello_world_int8,kws_ref_model,ad01_int8}/*/model.xc.tflite; do
      [ -f "$model" ] || continue
      cp "$model" "$dir/xmos-$(basename "$(dirname "$(dirname "$model")")")-$(basename "$(dirname "$model")").tflite"
    done
    "$FUZZ_DIR/make_fuzz_seeds" "$dir" >/dev/null
  }

  # One fuzzer for FUZZ_SECONDS. libFuzzer writes new inputs into the first
  # corpus directory (a scratch copy), never into the repo's seeds.
  run_fuzzer() {
    local name="$1" base="${1%_fuzzer}"
    local corpus="$CORPORA/$name" artifacts="$ARTIFACTS/$name"
    local -a args=(-max_total_time="$FUZZ_SECONDS" -timeout=60 -rss_limit_mb=2048
                   -print_final_stats=1 -artifact_prefix="$artifacts/")
    mkdir -p "$corpus" "$artifacts"
    [ -d "$ROOT/tests/fuzz/corpus/$base" ] && cp -r "$ROOT/tests/fuzz/corpus/$base/." "$corpus/"
    [ -f "$ROOT/tests/fuzz/$base.dict" ] && args+=(-dict="$ROOT/tests/fuzz/$base.dict")
    if [ "$name" = model_loader_fuzzer ]; then
      seed_model_loader "$corpus"
      args+=(-max_len=400000)  # whole models
    fi
    echo "sanitize: $name: $(find "$corpus" -type f | wc -l) seeds, ${FUZZ_SECONDS}s"
    "$FUZZ_DIR/$name" "${args[@]}" "$corpus" >"$ARTIFACTS/$name.log" 2>&1
  }

  # $JOBS fuzzers at a time (each is one process on one core).
  stamp "fuzzing ${#FUZZERS[@]} targets for ${FUZZ_SECONDS}s each, $JOBS at a time: ${FUZZERS[*]}"
  failed=()
  running=()
  finish_oldest() {
    local name="${running[0]%%:*}" pid="${running[0]##*:}"
    running=("${running[@]:1}")
    if wait "$pid"; then
      echo "sanitize: $name: $(grep -E '^stat::(number_of_executed_units|peak_rss_mb)' \
        "$ARTIFACTS/$name.log" | tr '\n' ' ')"
    else
      failed+=("$name")
      echo "sanitize: $name FAILED; the end of its log ($ARTIFACTS/$name.log):" >&2
      tail -n 60 "$ARTIFACTS/$name.log" >&2
    fi
  }
  for name in "${FUZZERS[@]}"; do
    [ ${#running[@]} -ge "$JOBS" ] && finish_oldest
    run_fuzzer "$name" &
    running+=("$name:$!")
  done
  while [ ${#running[@]} -gt 0 ]; do finish_oldest; done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "sanitize: fuzzers failed: ${failed[*]} (inputs in $ARTIFACTS/<fuzzer>/)" >&2
    exit 1
  fi
  stamp "fuzzing done"
fi
echo "sanitize: passed"
