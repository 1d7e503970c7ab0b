#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the bundled models:
# until the server exists (issue 3), that is tinyserve-model inspect + bench on
# the ref device for every model under models/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/deploy/install-deps.sh"
"$ROOT/deploy/build.sh"
TOOL="${BUILD_DIR:-$ROOT/build}/clients/tinyserve_model/tinyserve-model"
for model in "$ROOT"/models/*/1/model.tflite; do
  name="$(basename "$(dirname "$(dirname "$model")")")"
  echo "=== $name"
  "$TOOL" inspect "$model" | grep -E "^(input|output) |^total MACs|^weight bytes|^arena bytes"
  "$TOOL" bench "$model" --device ref --iterations 100 | tail -n 1
done
