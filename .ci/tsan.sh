#!/usr/bin/env bash
# ThreadSanitizer job: builds the gRPC server and the server's tests (and what
# they start: the CLI, the board simulator) with clang 14 under TSan, then runs
# those tests. The server is where the threads are (gRPC callbacks, device
# schedulers, the repository poller, HTTP workers); the engine and the devices
# run single-threaded per session and are covered by the ASan+UBSan job.
#
#   .ci/tsan.sh                  # BUILD_DIR=build-tsan
#   TSAN_STEPS=test .ci/tsan.sh  # only some steps: build, test
#   TSAN_TEST_REGEX=ClassifyTest .ci/tsan.sh   # only the tests matching a regex
#
# Any data race, lock-order inversion or other TSan report fails the job: in a
# test binary it fails the run (exit code 66); in a server child the server
# exits with 66, which its test asserts against.
#
# Debian's gRPC, protobuf and abseil are not built with TSan. Their internal
# synchronisation is invisible to it, so reports whose frames are all inside
# them are suppressed by .ci/tsan.supp (third-party frames only, each entry
# documented there). Never add our own code there: fix the race.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-tsan}"
JOBS="${JOBS:-$(nproc)}"
CXX_COMPILER="${SANITIZE_CXX:-clang++-14}"
STEPS="${TSAN_STEPS:-build test}"
# The server's tests (and what they start), not the engine's or the devices'.
# Not xcore_usb_server_test: its umockdev testbed hands objects between our
# harness and GLib's worker thread through GLib's futex-based main loop, which
# TSan cannot see, so every hand-off reads as a race in our harness frames
# (and suppressing our own frames is not allowed). It runs under ASan+UBSan.
TARGETS=(server_test server_unit_test)

step() { [[ " $STEPS " == *" $1 "* ]]; }
stamp() { echo "tsan: $(date -u +%H:%M:%S) $*"; }

"$ROOT/deploy/install-deps.sh"

if step build; then
  stamp "configure + build (TSan, -O1)"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_CXX_COMPILER="$CXX_COMPILER" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DTINYSERVE_SANITIZE=thread \
    -DTINYSERVE_BUILD_SERVER=ON \
    -DTINYSERVE_BUILD_BENCH=OFF \
    -DTINYSERVE_FUZZ=OFF \
    -DTINYSERVE_WERROR=ON
  cmake --build "$BUILD_DIR" --parallel "$JOBS" --target "${TARGETS[@]}"
  stamp "build done"
fi

if step test; then
  # second_deadlock_stack: both stacks of a lock-order inversion.
  export TSAN_OPTIONS="${TSAN_OPTIONS:-second_deadlock_stack=1:history_size=4:suppressions=$ROOT/.ci/tsan.supp}"
  stamp "ctest under TSan"
  # Only the targets above are built: the others' tests are CTest's
  # <target>_NOT_BUILT placeholders, excluded here.
  ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$JOBS" --timeout 600 \
    -E '_NOT_BUILT$|^SoakTest|^XcoreUsbServerTest' ${TSAN_TEST_REGEX:+-R "$TSAN_TEST_REGEX"}
  stamp "ctest done"
fi
echo "tsan: passed"
