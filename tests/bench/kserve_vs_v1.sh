#!/usr/bin/env bash
# Benchmark (not a test): the same model on the same server through KServe v2
# gRPC (Triton's perf_analyzer) and through tinyserve.v1 Classify
# (tinyserve-cli bench), closed loop at each concurrency, the two alternating so
# drift on a shared machine hits both alike. Prints, per model and concurrency,
# the median over ROUNDS of throughput and of round-trip p50/p99, and v2/v1;
# and the server's own CPU time per request (user + system, from /proc, over
# the requests /metrics counted), which the two clients' own costs on the
# shared cores do not enter.
#
# Usage: tests/bench/kserve_vs_v1.sh [BUILD_DIR]        (default: build)
#   env: MODELS="ad01_int8 vww_96_int8" CONCURRENCY="1 2 4" ROUNDS=3
#        REQUESTS=1000 (per perf_analyzer window; bench sends 3x) DEVICE=host
# Needs the tinyserve and tinyserve-cli targets built, and .venv-conformance
# (deploy/conformance-venv.sh) for perf_analyzer.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="$(cd "${1:-$ROOT/build}" && pwd)"
MODELS="${MODELS:-ad01_int8 vww_96_int8}"
CONCURRENCY="${CONCURRENCY:-1 2 4}"
ROUNDS="${ROUNDS:-3}"
REQUESTS="${REQUESTS:-1000}"
DEVICE="${DEVICE:-host}"
SERVER="$BUILD_DIR/server/tinyserve"
CLI="$BUILD_DIR/clients/tinyserve_cli/tinyserve-cli"
PYTHON="$ROOT/.venv-conformance/bin/python"
PERF="$ROOT/.venv-conformance/bin/perf_analyzer"
for f in "$SERVER" "$CLI" "$PYTHON" "$PERF"; do
  [ -x "$f" ] || { echo "kserve_vs_v1: missing $f (build tinyserve and tinyserve-cli; run deploy/conformance-venv.sh)" >&2; exit 1; }
done
CUDART_DIR="$("$PYTHON" -c 'import nvidia.cuda_runtime, os; print(os.path.join(list(nvidia.cuda_runtime.__path__)[0], "lib"))')"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# One server for everything; the selected device first, so it is the default.
"$SERVER" --model_repository "$ROOT/models" --grpc_port 0 --http_port 0 \
  --devices "$DEVICE,ref" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do
  grep -q "tinyserve ready" "$WORK/server.log" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
GRPC_PORT="$(sed -n 's/.*tinyserve ready: grpc port \([0-9]*\).*/\1/p' "$WORK/server.log")"
HTTP_PORT="$(sed -n 's/.*tinyserve ready: grpc port [0-9]* http port \([0-9]*\).*/\1/p' "$WORK/server.log")"
TICKS_PER_SECOND="$(getconf CLK_TCK)"
# "<server CPU ticks> <requests counted>" now.
server_usage() {
  local ticks requests
  ticks="$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")"
  requests="$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" |
    awk '/^tinyserve_requests_total\{/ {s += $NF} END {printf "%d", s}')"
  echo "$ticks $requests"
}
[ -n "$GRPC_PORT" ] || { echo "kserve_vs_v1: server not ready" >&2; cat "$WORK/server.log" >&2; exit 1; }
TARGET="127.0.0.1:$GRPC_PORT"

# perf_analyzer measures three windows of at least REQUESTS requests each and
# reports them together (-s 100 --max-trials 3: its stability rule, which on a
# shared 2-core machine often never settles, is left to the medians over
# rounds); its --request-count mode is not used because it reports throughput
# over a whole number of seconds. tinyserve-cli bench then sends 3 x REQUESTS.
v2() {  # model concurrency requests -> CSV file
  LD_LIBRARY_PATH="$CUDART_DIR" "$PERF" -m "$1" -u "$TARGET" -i grpc \
    --concurrency-range "$2" --measurement-mode count_windows \
    --measurement-request-count "$3" -s 100 --max-trials 3 -f "$4" >"$WORK/perf.out" 2>&1 ||
    { cat "$WORK/perf.out" >&2; exit 1; }
}
v1() {  # model concurrency requests -> JSON file
  "$CLI" --server "$TARGET" bench --model "$1" --device "$DEVICE" --concurrency "$2" \
    --requests "$((3 * $3))" --duration 600 --warmup 0 --json >"$4"
}

echo "kserve_vs_v1: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs; device $DEVICE; $REQUESTS requests per measurement; $ROUNDS rounds" >&2
results="$WORK/results.txt"
: >"$results"
for model in $MODELS; do
  v2 "$model" 1 100 "$WORK/warm.csv"   # warm both paths up, unmeasured
  v1 "$model" 1 100 "$WORK/warm.json"
  for round in $(seq "$ROUNDS"); do
    for c in $CONCURRENCY; do
      # Alternate which protocol goes first.
      order="v2 v1"; [ $((round % 2)) -eq 0 ] && order="v1 v2"
      for proto in $order; do
        out="$WORK/$model.$c.$round.$proto"
        read -r ticks0 requests0 < <(server_usage)
        if [ "$proto" = v2 ]; then v2 "$model" "$c" "$REQUESTS" "$out"; else v1 "$model" "$c" "$REQUESTS" "$out"; fi
        read -r ticks1 requests1 < <(server_usage)
        cpu_us="$(awk -v t=$((ticks1 - ticks0)) -v n=$((requests1 - requests0)) -v hz="$TICKS_PER_SECOND" \
          'BEGIN {printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0)}')"
        echo "$model $c $round $proto $out $cpu_us" >>"$results"
        echo "  $model c=$c round $round $proto done" >&2
      done
    done
  done
done

"$PYTHON" - "$results" <<'EOF'
import csv, json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    model, c, _round, proto, path, cpu_us = line.split()
    if proto == "v2":  # perf_analyzer -f: latencies in microseconds
        r = next(csv.DictReader(open(path)))
        m = (float(r["Inferences/Second"]), float(r["p50 latency"]), float(r["p99 latency"]),
             float(cpu_us))
    else:
        s = json.load(open(path))["steps"][0]
        assert s["ok"] == s["sent"], f"v1 errors: {s['errors']}"
        rt = s["latency_us"]["round_trip"]
        m = (s["throughput_rps"], rt["p50"], rt["p99"], float(cpu_us))
    rows.setdefault((model, int(c)), {}).setdefault(proto, []).append(m)
med = lambda xs, i: statistics.median(x[i] for x in xs)
print("| model | concurrency | v2 gRPC req/s | v1 req/s | v2/v1 | v2 p50 / p99 (us) | v1 p50 / p99 (us) | server CPU us/req v2 / v1 |")
print("|---|---|---|---|---|---|---|---|")
for (model, c), p in sorted(rows.items()):
    a, b = p["v2"], p["v1"]
    print(f"| {model} | {c} | {med(a,0):.0f} | {med(b,0):.0f} | {med(a,0)/med(b,0):.2f} | "
          f"{med(a,1):.0f} / {med(a,2):.0f} | {med(b,1):.0f} / {med(b,2):.0f} | "
          f"{med(a,3):.0f} / {med(b,3):.0f} |")
EOF
