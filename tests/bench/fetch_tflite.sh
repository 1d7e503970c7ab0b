#!/usr/bin/env bash
# Installs TensorFlow Lite 2.9's C library from the npm package tfjs-tflite-node
# (which ships libtensorflowlite_c.so) into $1 (default build/tflite) and prints
# the TINYSERVE_TFLITE_C_LIB line to use with model_bench. Benchmarks only.
set -euo pipefail
DEST="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tflite}"
mkdir -p "$DEST"
(cd "$DEST" && npm install --silent --ignore-scripts --no-audit --no-fund tfjs-tflite-node@0.0.2 >/dev/null)
LIB="$DEST/node_modules/tfjs-tflite-node/cc_deps/linux_amd64/libtensorflowlite_c.so"
test -f "$LIB"
echo "export TINYSERVE_TFLITE_C_LIB=$LIB"
