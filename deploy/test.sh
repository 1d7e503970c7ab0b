#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test. The oracle tests read
# TensorFlow Lite Micro's outputs from $TINYSERVE_ORACLE_DIR (default
# ../shared/oracle beside the repo) and skip with a message where it is absent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
"$ROOT/deploy/install-deps.sh"
"$ROOT/deploy/build.sh"
# Per-model oracle summary first ("N/N vectors bit-exact"), then the whole suite.
ctest --test-dir "$BUILD_DIR" -R 'AllVectorsBitExact' -V 2>&1 | grep -E '\[ oracle|Skipped|skipping' || true
ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)"
