#!/usr/bin/env bash
# Runs one conformance suite (a pytest file) in $ROOT/.venv-conformance.
# Usage: run_suite.sh <test_file.py> [pytest args...]
# Without the venv: exit 77 (CTest's SKIP_RETURN_CODE) with a message, or exit 1
# when TINYSERVE_REQUIRE_CONFORMANCE=1 (CI), since then the suite must run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${TINYSERVE_CONFORMANCE_PYTHON:-$ROOT/.venv-conformance/bin/python}"
if [ ! -x "$PYTHON" ]; then
  message="conformance: no $PYTHON: run deploy/conformance-venv.sh to install the pinned clients (tritonclient, perf_analyzer, tinyserve)"
  if [ "${TINYSERVE_REQUIRE_CONFORMANCE:-0}" = 1 ]; then
    echo "$message (TINYSERVE_REQUIRE_CONFORMANCE=1: failing instead of skipping)" >&2
    exit 1
  fi
  echo "$message; skipping" >&2
  exit 77
fi
suite="$1"
shift
cd "$HERE"
exec "$PYTHON" -m pytest -q "$HERE/$suite" "$@"
