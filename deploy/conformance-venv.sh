#!/usr/bin/env bash
# Creates the Python virtual environment $ROOT/.venv-conformance that the
# conformance tests (tests/conformance/) and the v1-vs-v2 benchmark
# (tests/bench/kserve_vs_v1.sh) run in: other people's KServe v2 clients
# (tritonclient gRPC and HTTP, the perf_analyzer binary its wheel ships), pytest,
# jsonschema, and our own Python client (clients/python), all at the versions
# pinned in tests/conformance/requirements.txt.
# Usage: deploy/conformance-venv.sh
# Idempotent: re-running installs only what is missing or at another version
# (and reinstalls clients/python, which is quick). The server never needs Python.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUIREMENTS="$ROOT/tests/conformance/requirements.txt"
VENV="$ROOT/.venv-conformance"

command -v python3 >/dev/null || { echo "conformance-venv: python3 not found" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  echo "conformance-venv: creating $VENV"
  python3 -m venv "$VENV" || {
    rm -rf "$VENV"
    echo "conformance-venv: 'python3 -m venv' failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
# Our client: its gRPC stubs are generated from proto/ at build time with the
# pinned grpcio-tools already in the venv, hence no build isolation (which
# would fetch unpinned build tools) and no dependency resolution (pinned above).
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-build-isolation --no-deps --force-reinstall "$ROOT/clients/python"
# perf_analyzer must start here: it needs libb64.so.0d (Debian libb64-0d) and
# libcudart.so.12 (nvidia-cuda-runtime-cu12, found through LD_LIBRARY_PATH).
CUDART_DIR="$("$VENV/bin/python" -c 'import nvidia.cuda_runtime, os; print(os.path.join(list(nvidia.cuda_runtime.__path__)[0], "lib"))')"
if ! LD_LIBRARY_PATH="$CUDART_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$VENV/bin/perf_analyzer" --version >/dev/null 2>&1; then
  echo "conformance-venv: $VENV/bin/perf_analyzer does not start (is libb64-0d installed? deploy/install-deps.sh)" >&2
  exit 1
fi
echo "conformance-venv: $VENV ready ($("$VENV/bin/python" -m pip freeze --disable-pip-version-check | grep -c .) packages, tritonclient $("$VENV/bin/python" -c 'import tritonclient, importlib.metadata as m; print(m.version("tritonclient"))'))"
