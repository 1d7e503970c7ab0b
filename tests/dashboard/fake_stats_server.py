#!/usr/bin/env python3
"""A stand-in for tinyserve's HTTP port, for working on the dashboard without
building the server: serves server/dashboard/ and a made-up, moving
/api/v1/stats document shaped as docs/stats-api.md says.

  tests/dashboard/fake_stats_server.py --port 8099        # then open http://127.0.0.1:8099/
  tests/dashboard/fake_stats_server.py --dump fixture.json  # one document, then exit
  tests/dashboard/fake_stats_server.py --upstream http://127.0.0.1:8080
      # the page from the source tree, the stats from a running server

Not run by the tests (they start the real server); a development aid only.
fixtures/stats.json beside this file is one such document (--dump --window 10).
"""
import argparse
import http.server
import json
import math
import pathlib
import random
import time
import urllib.parse
import urllib.request

DASHBOARD = pathlib.Path(__file__).resolve().parents[2] / "server" / "dashboard"
START = time.time()
UPSTREAM = None

DEVICES = [
    {"name": "host", "kind": "cpu-simd", "state": "UP", "state_reason": "", "queue_capacity": 64,
     "capabilities": ["bit-exact-tflm", "per-op-timing"]},
    {"name": "ref", "kind": "cpu-reference", "state": "UP", "state_reason": "", "queue_capacity": 64,
     "capabilities": ["bit-exact-tflm", "per-op-timing"]},
    {"name": "xs3", "kind": "xcore-sim", "state": "DOWN", "state_reason": "unplugged",
     "queue_capacity": 16,
     "capabilities": ["cycle-estimate", "saturation-events"]},
]

# model, device, requests/s, p50 µs, float input, compare, shadow, chip estimate
SERIES = [
    ("vww_96_int8", "host", 14, 1500, True, True, None, False),
    ("vww_96_int8", "ref", 3, 9000, True, False, None, False),
    ("vww_96_int8", "xs3", 2, 4100, True, False, None, True),
    ("kws_ref_model", "host", 40, 210, False, False, "ref", False),
    ("hello_world_int8", "ref", 0, 0, False, False, None, False),
    ("ad01_int8", "host", 1, 95, True, False, None, False),
]


def point(t_ms, spec, second):
    model, device, rate, p50, float_input, compare, shadow, chip = spec
    rng = random.Random(hash((model, device, second)))
    wave = 1 + 0.6 * math.sin(second / 17.0)
    requests = max(0, int(rng.gauss(rate * wave, math.sqrt(rate) + 0.1))) if rate else 0
    errors = 1 if requests and rng.random() < 0.08 else 0
    ok = requests - errors
    lat = p50 * (1 + 0.15 * math.sin(second / 9.0)) * rng.uniform(0.95, 1.05)
    return {
        "t": t_ms,
        "requests": requests,
        "errors": errors,
        "latency_p50_us": round(lat, 1) if ok else None,
        "latency_p99_us": round(lat * rng.uniform(1.4, 2.2), 1) if ok else None,
        "device_p50_us": round(lat * 0.85, 1) if ok else None,
        "queue_depth": max(0, int(rng.gauss(rate / 12, 1))) if rate else 0,
        "input_sqnr_db": round(rng.gauss(41, 0.4), 2) if ok and float_input else None,
        "outputs_at_rails": rng.randint(0, 2) if ok and rng.random() < 0.2 else 0,
        "saturation_events": rng.randint(0, 3) if chip and ok else None,
        "estimated_chip_us": round(lat * 0.31, 1) if chip and ok else None,
        "compare": 2 if compare and ok else 0,
        "compare_mismatches": 1 if compare and ok and rng.random() < 0.1 else 0,
        "shadow_sampled": max(1, ok // 4) if shadow and ok else 0,
        "shadow_mismatches": 1 if shadow and ok and rng.random() < 0.15 else 0,
    }


def document(window):
    now = time.time()
    now_ms = int(now * 1000)
    last_second = int(now) - 1
    series = []
    for spec in SERIES:
        points = [point(s * 1000, spec, s) for s in range(last_second - window + 1, last_second + 1)]
        elapsed = int(now - START) + 600
        total = sum(p["requests"] for p in points) + (spec[2] * elapsed)
        totals = {"requests": total, "errors_by_code": {}}
        if spec[2]:
            totals["errors_by_code"] = {"RESOURCE_EXHAUSTED": 3 + elapsed // 40,
                                        "INVALID_ARGUMENT": 2, "DEADLINE_EXCEEDED": 1}
        if spec[5]:
            totals["compare"] = {"exact": 120, "differs": 7, "top1_differs": 1}
        if spec[6]:
            totals["shadow"] = {"device": spec[6], "sampled": 400, "mismatched": 9}
        series.append({"model": spec[0], "version": 1, "device": spec[1],
                       "points": points, "totals": totals})
    devices = []
    for d in DEVICES:
        depth = 0 if d["state"] == "DOWN" else int(3 + 3 * math.sin(now / 5))
        devices.append({**d, "queue_depth": depth})
    return {"now_unix_ms": now_ms, "uptime_seconds": round(now - START + 600, 1),
            "window_seconds": window, "devices": devices, "series": series}


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(DASHBOARD), **kwargs)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/api/v1/stats":
            query = urllib.parse.parse_qs(url.query)
            window = min(300, max(10, int(query.get("window", ["120"])[0])))
            if UPSTREAM:
                with urllib.request.urlopen(f"{UPSTREAM}/api/v1/stats?window={window}", timeout=3) as r:
                    body = r.read()
            else:
                body = json.dumps(document(window)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--dump", help="write one document to this file and exit")
    parser.add_argument("--window", type=int, default=60)
    parser.add_argument("--upstream", help="proxy /api/v1/stats to this server instead")
    args = parser.parse_args()
    global UPSTREAM
    UPSTREAM = args.upstream
    if args.dump:
        pathlib.Path(args.dump).write_text(json.dumps(document(args.window), indent=1) + "\n")
        return
    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
