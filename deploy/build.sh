#!/usr/bin/env bash
# Configures and builds tinyserve (Release, warnings as errors) into $BUILD_DIR
# (default: build/ in the repo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYSERVE_WERROR=ON "$@"
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
