#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test. The oracle tests read
# TensorFlow Lite Micro's outputs from $TINYSERVE_ORACLE_DIR (default
# ../shared/oracle beside the repo) and skip with a message where it is absent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
"$ROOT/deploy/install-deps.sh"
"$ROOT/deploy/build.sh"
# The conformance tests' Python clients (tritonclient, perf_analyzer, ours), from
# the package index. Without them those tests skip, unless
# TINYSERVE_REQUIRE_CONFORMANCE=1 (CI), where they fail.
if ! "$ROOT/deploy/conformance-venv.sh"; then
  [ "${TINYSERVE_REQUIRE_CONFORMANCE:-0}" = 1 ] && exit 1
  echo "test: conformance venv not installed; the conformance tests will skip" >&2
fi
# Per-model oracle summary first ("N/N vectors bit-exact"), then the whole suite.
ctest --test-dir "$BUILD_DIR" -R 'AllVectorsBitExact' -V 2>&1 | grep -E '\[ oracle|Skipped|skipping' || true
ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)"
