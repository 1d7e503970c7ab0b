"""What the conformance suites share: the real tinyserve binary as a child
process on free loopback ports, the bundled models, the oracle's vectors and
tinyserve's own /metrics.

Paths come from the environment CTest sets (tests/conformance/CMakeLists.txt),
with defaults for running pytest by hand from the repository:
  TINYSERVE_BINARY      the server (default build/server/tinyserve)
  TINYSERVE_MODELS_DIR  the model repository (default models/)
  TINYSERVE_ORACLE_DIR  TensorFlow Lite Micro's outputs (default: CTest's
                        TINYSERVE_DEFAULT_ORACLE_DIR, else ../shared/oracle)
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
READY = re.compile(r"tinyserve ready: grpc port (\d+) http port (\d+)")
# Device order for every suite: host (fast) serves by default; both are
# bit-exact with the oracle.
DEVICES = "host,ref"

NUMPY_OF_DTYPE = {"int8": np.int8, "uint8": np.uint8, "int16": np.dtype("<i2"),
                  "int32": np.dtype("<i4"), "float32": np.dtype("<f4")}
KSERVE_DATATYPE = {"int8": "INT8", "uint8": "UINT8", "int16": "INT16", "int32": "INT32",
                   "float32": "FP32"}


def server_binary() -> Path:
    return Path(os.environ.get("TINYSERVE_BINARY", REPO / "build" / "server" / "tinyserve"))


def models_dir() -> Path:
    return Path(os.environ.get("TINYSERVE_MODELS_DIR", REPO / "models"))


def oracle_dir() -> Path:
    return Path(os.environ.get("TINYSERVE_ORACLE_DIR")
                or os.environ.get("TINYSERVE_DEFAULT_ORACLE_DIR")
                or REPO.parent / "shared" / "oracle")


class Server:
    """tinyserve on 127.0.0.1 with ports it picks itself; stopped with SIGTERM."""

    def __init__(self, extra_args: Optional[List[str]] = None, ready_timeout: float = 120.0,
                 repository: Optional[Path] = None):
        binary = server_binary()
        if not os.access(binary, os.X_OK):
            pytest.fail(f"no server binary at {binary} (build the 'tinyserve' target or "
                        "set TINYSERVE_BINARY)")
        args = [str(binary), "--model_repository", str(repository or models_dir()), "--grpc_port", "0",
                "--http_port", "0", "--devices", DEVICES] + (extra_args or [])
        self._log: List[str] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, errors="replace")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + ready_timeout
        while not self._ready.is_set():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"tinyserve did not become ready ({' '.join(args)}):\n{self.log()}")
            self._ready.wait(0.1)
        match = READY.search(self.log())
        assert match is not None
        self.grpc_port, self.http_port = int(match.group(1)), int(match.group(2))
        self.grpc_url = f"127.0.0.1:{self.grpc_port}"
        self.http_url = f"127.0.0.1:{self.http_port}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self._log.append(line)
            if READY.search(line):
                self._ready.set()

    def log(self) -> str:
        with self._lock:
            return "".join(self._log)

    def stop(self) -> int:
        """SIGTERM, then the drain; returns the exit status (SIGKILL after 30 s)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://{self.http_url}/metrics", timeout=10) as r:
            return r.read().decode()


def requests_counted(metrics_text: str, model: str, code: Optional[str] = "OK") -> float:
    """Sum of tinyserve_requests_total over the model's series (every device
    and version), only those with status `code` unless it is None."""
    total = 0.0
    for line in metrics_text.splitlines():
        if not line.startswith("tinyserve_requests_total{"):
            continue
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line[:line.rindex("}") + 1]))
        if labels.get("model") != model or (code is not None and labels.get("code") != code):
            continue
        total += float(line.rsplit(" ", 1)[1])
    return total


@dataclass(frozen=True)
class Vector:
    model: str
    name: str  # set/file, for failure messages
    input: np.ndarray  # the model input's dtype and shape
    output: np.ndarray  # what TensorFlow Lite Micro computed, output dtype and shape


@dataclass(frozen=True)
class OracleModel:
    name: str
    input_name: str
    input_dtype: str  # "int8", ...
    input_shape: List[int]
    input_scale: float
    input_zero_point: int
    output_name: str
    output_dtype: str
    output_shape: List[int]
    vectors: List[Vector]


def oracle_available() -> bool:
    return (oracle_dir() / "index.json").is_file()


def require_oracle() -> None:
    """Skips without the oracle, unless TINYSERVE_REQUIRE_ORACLE=1 (CI)."""
    if oracle_available():
        return
    message = f"no oracle at {oracle_dir()} (set TINYSERVE_ORACLE_DIR)"
    if os.environ.get("TINYSERVE_REQUIRE_ORACLE") == "1":
        pytest.fail(message + "; TINYSERVE_REQUIRE_ORACLE=1 makes that a failure")
    pytest.skip(message)


def _read_tensor(path: Path, dtype: str, shape: List[int]) -> Iterator[np.ndarray]:
    """One or more tensors packed back to back in a file (sweep sets pack many)."""
    data = np.fromfile(path, dtype=NUMPY_OF_DTYPE[dtype])
    per = int(np.prod(shape))
    if per == 0 or data.size % per != 0:
        raise ValueError(f"{path}: {data.size} elements is not a multiple of {per}")
    for i in range(data.size // per):
        yield data[i * per:(i + 1) * per].reshape(shape)


def load_oracle_model(name: str) -> OracleModel:
    root = oracle_dir() / name
    index = json.loads((root / "index.json").read_text())
    inp, out = index["input"], index["output"]
    vectors: List[Vector] = []
    for set_name, entries in index["sets"].items():
        if isinstance(entries, dict):
            entries = [entries]
        for e in entries:
            if "input" not in e or "output" not in e:
                continue  # intermediates: per-tensor dumps, not a vector
            ins = list(_read_tensor(root / e["input"], inp["dtype"], inp["shape"]))
            outs = list(_read_tensor(root / e["output"], out["dtype"], out["shape"]))
            assert len(ins) == len(outs), f"{name}/{e['input']}: inputs and outputs differ in count"
            for k, (i, o) in enumerate(zip(ins, outs)):
                suffix = f"[{k}]" if len(ins) > 1 else ""
                vectors.append(Vector(name, f"{set_name}/{Path(e['input']).name}{suffix}", i, o))
    return OracleModel(name, inp["name"], inp["dtype"], list(inp["shape"]), float(inp["scale"]),
                       int(inp["zero_point"]), out["name"], out["dtype"], list(out["shape"]),
                       vectors)


def oracle_models() -> Dict[str, OracleModel]:
    """Every model of the oracle that is also bundled in models/."""
    index = json.loads((oracle_dir() / "index.json").read_text())
    return {m: load_oracle_model(m) for m in sorted(index["models"])
            if (models_dir() / m).is_dir()}


def bundled_models() -> List[str]:
    return sorted(p.name for p in models_dir().iterdir()
                  if p.is_dir() and any(v.name.isdigit() for v in p.iterdir()))


def dequantized(m: OracleModel, x: np.ndarray) -> np.ndarray:
    """Float values that the server's quantizer maps back onto exactly `x`
    (round half away from zero of (x - zp) * scale / scale lands on x)."""
    return ((x.astype(np.float64) - m.input_zero_point) * m.input_scale).astype(np.float32)
