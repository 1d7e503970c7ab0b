#!/usr/bin/env bash
# Installs dependencies, builds, and starts the tinyserve server on the bundled
# models (models/): gRPC on 127.0.0.1:8500, Prometheus metrics on
# http://127.0.0.1:8080/metrics (loopback only until TLS and a token are
# configured: docs/security.md). Extra arguments go to the server (see:
# build/server/tinyserve --help), e.g. --tls_cert/--tls_key/--auth_token_file.
# Stop it with Ctrl-C (it drains in-flight requests, then exits 0).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/deploy/install-deps.sh"
"$ROOT/deploy/build.sh"
exec "${BUILD_DIR:-$ROOT/build}/server/tinyserve" --model_repository "$ROOT/models" "$@"
