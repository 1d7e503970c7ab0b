#!/usr/bin/env bash
# Re-creates serving.kserve.io_servingruntimes.yaml beside this script: KServe's
# ServingRuntime CustomResourceDefinition, unchanged, from the tagged release
# (see README.md for source and licence), and checks it is the checked-in file.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TAG=v0.20.0
FILE=config/crd/full/serving.kserve.io_servingruntimes.yaml
SHA256=380a3e1e1444cef9b8b88819596692728868205a2147dc66423be469a4a7bbb1
trap 'rm -f "$HERE/serving.kserve.io_servingruntimes.yaml.new"' EXIT
curl -fsSL "https://raw.githubusercontent.com/kserve/kserve/$TAG/$FILE" \
  -o "$HERE/serving.kserve.io_servingruntimes.yaml.new"
echo "$SHA256  $HERE/serving.kserve.io_servingruntimes.yaml.new" | sha256sum --check --quiet
mv "$HERE/serving.kserve.io_servingruntimes.yaml.new" "$HERE/serving.kserve.io_servingruntimes.yaml"
echo "fetch_crd: serving.kserve.io_servingruntimes.yaml from kserve/kserve $TAG"
