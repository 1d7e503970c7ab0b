"""Triton's perf_analyzer (the binary in the tritonclient wheel) over gRPC and
HTTP: a short bounded measurement on ad01 and vww must finish with exit status
0, no errors, and the number of requests it reports must be what tinyserve's
/metrics counted for that model (tinyserve_requests_total, code OK) over the
run. perf_analyzer 2.48 sends no warm-up requests, and --request-count makes
it send exactly that many inferences in total (no extra stabilisation
windows); its metadata/config/statistics calls are not inferences and are not
counted by tinyserve_requests_total."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import harness

REQUESTS = 50


def perf_analyzer() -> Path:
    return Path(sys.executable).parent / "perf_analyzer"


def environment() -> dict:
    """perf_analyzer loads libcudart.so.12 even for a CPU server: from the
    nvidia-cuda-runtime-cu12 wheel in this venv."""
    import nvidia.cuda_runtime
    lib = os.path.join(list(nvidia.cuda_runtime.__path__)[0], "lib")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = lib + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH")
                                    else "")
    return env


@pytest.mark.parametrize("model", ["ad01_int8", "vww_96_int8"])
@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_bounded_measurement_counted_by_metrics(server, tmp_path, protocol, model):
    url = server.grpc_url if protocol == "grpc" else server.http_url
    before_ok = harness.requests_counted(server.metrics(), model)
    before_all = harness.requests_counted(server.metrics(), model, code=None)
    export = tmp_path / "profile.json"
    args = [str(perf_analyzer()), "-m", model, "-u", url, "-i", protocol,
            "--concurrency-range", "1", "--request-count", str(REQUESTS),
            "--profile-export-file", str(export), "-f", str(tmp_path / "report.csv")]
    run = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=120,
                         env=environment())
    # Its profile exporter warns once per request that INT8 outputs cannot be
    # shown as JSON text: that is about the export file, not the requests.
    output = "".join(line for line in (run.stdout + run.stderr).splitlines(keepends=True)
                     if "is not supported with JSON" not in line)
    assert run.returncode == 0, f"{' '.join(args)} exited {run.returncode}:\n{output}"
    bad = re.search(r"(?i).*\b(error|failed)\b.*", output)
    assert bad is None, f"{bad.group(0)!r} in:\n{output}"

    # What perf_analyzer says it sent (client side), what its export lists, and
    # what it read back from the server's statistics extension.
    reported = [int(n) for n in re.findall(r"Client: \s*Request count: (\d+)", output)]
    assert reported, output
    server_side = [int(n) for n in re.findall(r"Successful request count: (\d+)", output)]
    # The export holds each response's raw bytes as text: not valid UTF-8.
    profile = json.loads(export.read_bytes().decode("utf-8", errors="replace"))
    exported = sum(len(e["requests"]) for e in profile["experiments"])
    assert reported[0] == REQUESTS and exported == REQUESTS, (reported, exported, output)

    after = server.metrics()
    assert harness.requests_counted(after, model) - before_ok == REQUESTS
    assert harness.requests_counted(after, model, code=None) - before_all == REQUESTS, \
        "every request succeeded"
    # perf_analyzer reads the statistics extension before and after its
    # window; its "before" read can race the first request (its load threads
    # are already running), so it may see one request fewer. tinyserve counts
    # a request before answering it, so the "after" read is complete; the
    # exact check is /metrics above.
    assert len(server_side) == 1 and server_side[0] in (REQUESTS - 1, REQUESTS), output
