#!/usr/bin/env bash
# Creates the Python virtual environment $ROOT/.venv-oracle that the oracle
# generators in tests/oracle_tools/ run in, and installs a pinned requirements
# file into it (default: tests/oracle_tools/requirements-xmos.txt).
# Usage: deploy/oracle-venv.sh [requirements.txt]
# Idempotent: re-running installs only what is missing or at another version.
# Neither the build nor the tests use this: the server and tests never need Python;
# only re-creating the checked-in oracle data (tests/data/xmos/) does.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUIREMENTS="${1:-$ROOT/tests/oracle_tools/requirements-xmos.txt}"
VENV="$ROOT/.venv-oracle"

[ -f "$REQUIREMENTS" ] || { echo "oracle-venv: no requirements file '$REQUIREMENTS'" >&2; exit 1; }
command -v python3 >/dev/null || { echo "oracle-venv: python3 not found" >&2; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  echo "oracle-venv: creating $VENV"
  python3 -m venv "$VENV" || {
    echo "oracle-venv: 'python3 -m venv' failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
echo "oracle-venv: $VENV has (from $REQUIREMENTS):"
"$VENV/bin/python" -m pip freeze --disable-pip-version-check --all | grep -v -E '^(pip|setuptools)=='
