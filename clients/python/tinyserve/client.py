"""A typed client for tinyserve's own gRPC API (tinyserve.v1).

KServe v2 clients (tritonclient) cover plain inference; this client covers what
only tinyserve.v1 has: Compare across devices, shadow-traffic mismatches, the
per-request device and quantization figures as fields, labels and top-k
classes, model metadata with operators and arenas.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import grpc
import numpy as np

from tinyserve.v1 import tinyserve_pb2 as pb
from tinyserve.v1 import tinyserve_pb2_grpc as pb_grpc
from tinyserve.v1 import model_config_pb2 as config_pb

# tinyserve.v1.DataType -> numpy dtype (little-endian, as on the wire).
_NUMPY_DTYPES: Dict[int, np.dtype] = {
    pb.INT8: np.dtype("i1"),
    pb.UINT8: np.dtype("u1"),
    pb.INT16: np.dtype("<i2"),
    pb.INT32: np.dtype("<i4"),
    pb.INT64: np.dtype("<i8"),
    pb.FLOAT32: np.dtype("<f4"),
    pb.BOOL: np.dtype("?"),
}

# Already-quantized input the server takes as raw_input bytes.
_RAW_INPUT_KINDS = (np.dtype("i1"), np.dtype("u1"), np.dtype("<i2"))


class TinyserveError(Exception):
    """A call the server refused or that failed: the gRPC status and its message."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: np.dtype
    shape: Tuple[int, ...]
    scale: Tuple[float, ...]
    zero_point: Tuple[int, ...]

    @staticmethod
    def from_proto(spec: pb.TensorSpec) -> "TensorSpec":
        return TensorSpec(spec.name, _numpy_dtype(spec.dtype), tuple(spec.shape),
                          tuple(spec.scale), tuple(spec.zero_point))


@dataclass(frozen=True)
class Output:
    """One output tensor: `array` as the model computed it (its dtype and
    shape), `values` dequantized (float32, same shape)."""
    spec: TensorSpec
    array: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class ClassScore:
    index: int
    label: str
    score: float
    raw: int


@dataclass(frozen=True)
class Metrics:
    """The per-request metrics block (docs/server.md names each figure)."""
    device: str
    device_kind: str
    latency_us: Dict[str, float]  # queue, quantize, device, postprocess, total
    input_scale: float
    input_zero_point: int
    input_sqnr_db: Optional[float]  # float input only
    input_clipped: int
    input_non_finite: int
    output_at_rails: int
    device_cycles: Optional[int]  # xs3, xcore
    estimated_chip_us: Optional[float]
    device_saturation_events: Optional[int]
    link: Optional[Dict[str, float]]  # xcore boards only

    @staticmethod
    def from_proto(m: pb.RequestMetrics) -> "Metrics":
        q = m.quantization
        lat = m.latency_us
        return Metrics(
            device=m.device,
            device_kind=m.device_kind,
            latency_us={"queue": lat.queue, "quantize": lat.quantize, "device": lat.device,
                        "postprocess": lat.postprocess, "total": lat.total},
            input_scale=q.input_scale,
            input_zero_point=q.input_zero_point,
            input_sqnr_db=q.input_sqnr_db if q.HasField("input_sqnr_db") else None,
            input_clipped=q.input_clipped,
            input_non_finite=q.input_non_finite,
            output_at_rails=q.output_at_rails,
            device_cycles=m.device_cycles if m.HasField("device_cycles") else None,
            estimated_chip_us=m.estimated_chip_us if m.HasField("estimated_chip_us") else None,
            device_saturation_events=(m.device_saturation_events
                                      if m.HasField("device_saturation_events") else None),
            link=({f.name: float(v) for f, v in m.link.ListFields()}
                  if m.HasField("link") else None),
        )


@dataclass(frozen=True)
class ClassifyResult:
    model: str
    version: int
    kind: str  # CLASSIFIER, REGRESSOR, AUTOENCODER, ...
    classes: List[ClassScore]
    score: Optional[float]  # regressors and autoencoders
    outputs: List[Output]
    metrics: Metrics
    response: pb.ClassifyResponse = field(repr=False)  # everything, as sent

    @staticmethod
    def from_proto(r: pb.ClassifyResponse) -> "ClassifyResult":
        return ClassifyResult(
            model=r.model,
            version=r.version,
            kind=config_pb.ModelKind.Name(r.kind),
            classes=[ClassScore(c.index, c.label, c.score, c.raw) for c in r.classes],
            score=r.score if r.HasField("score") else None,
            outputs=[_output(o) for o in r.outputs],
            metrics=Metrics.from_proto(r.metrics),
            response=r,
        )


@dataclass(frozen=True)
class PairComparison:
    device_a: str
    device_b: str
    bit_exact: bool
    differing_elements: int
    max_abs_diff: int
    first_diff_index: Optional[int]
    top1_agrees: bool

    @staticmethod
    def from_proto(p: pb.PairComparison) -> "PairComparison":
        return PairComparison(p.device_a, p.device_b, p.bit_exact, p.differing_elements,
                              p.max_abs_diff,
                              p.first_diff_index if p.HasField("first_diff_index") else None,
                              p.top1_agrees)


@dataclass(frozen=True)
class CompareResult:
    model: str
    version: int
    results: Dict[str, ClassifyResult]  # by device, in request order
    pairs: List[PairComparison]


@dataclass(frozen=True)
class ModelSummary:
    name: str
    versions: List[int]
    kind: str
    default_device: str
    description: str


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: int
    versions: List[int]
    inputs: List[TensorSpec]
    outputs: List[TensorSpec]
    labels: List[str]
    total_macs: int
    weight_bytes: int
    arena_bytes: Dict[str, int]  # by device that compiled it
    metadata: pb.ModelMetadata = field(repr=False)


@dataclass(frozen=True)
class ShadowMismatches:
    sampled: int
    mismatched: int
    mismatches: List[pb.ShadowMismatch]  # newest first, with their raw inputs


class Client:
    """tinyserve.v1 over one gRPC channel. `target` is "host:port";
    `credentials` (grpc.ssl_channel_credentials(...)) for TLS, `token` for a
    bearer token, `timeout` in seconds per call."""

    def __init__(self, target: str, *, credentials: Optional[grpc.ChannelCredentials] = None,
                 token: Optional[str] = None, timeout: Optional[float] = 30.0):
        self._channel = (grpc.secure_channel(target, credentials) if credentials is not None
                         else grpc.insecure_channel(target))
        self._inference = pb_grpc.InferenceStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._timeout = timeout

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def classify(self, model: str, array: np.ndarray, device: Optional[str] = None,
                 top_k: Optional[int] = None, version: int = 0,
                 quantize_non_finite: bool = False) -> ClassifyResult:
        """Runs `array` through `model`. Float arrays go as float_input (the server
        quantizes them and reports the error); int8/uint8/int16 arrays go as
        raw_input, already quantized. The array's shape is not sent: its
        element count must be the input tensor's."""
        request = pb.ClassifyRequest(model=model, version=version, device=device or "",
                                     top_k=top_k or 0)
        _set_input(request, array, quantize_non_finite)
        return ClassifyResult.from_proto(self._call(self._inference.Classify, request))

    def compare(self, model: str, array: np.ndarray, devices: Sequence[str],
                top_k: Optional[int] = None, version: int = 0,
                quantize_non_finite: bool = False) -> CompareResult:
        """Runs the same input on two or more devices and diffs their raw outputs."""
        request = pb.CompareRequest(model=model, version=version, devices=list(devices),
                                    top_k=top_k or 0)
        _set_input(request, array, quantize_non_finite)
        r = self._call(self._inference.Compare, request)
        return CompareResult(
            model=r.model, version=r.version,
            results={d.device: ClassifyResult.from_proto(d.response) for d in r.results},
            pairs=[PairComparison.from_proto(p) for p in r.pairs])

    def metadata(self, model: str, version: int = 0) -> ModelInfo:
        m = self._call(self._inference.GetModelMetadata,
                       pb.GetModelMetadataRequest(model=model, version=version))
        return ModelInfo(
            name=m.name, version=m.version, versions=list(m.versions),
            inputs=[TensorSpec.from_proto(s) for s in m.inputs],
            outputs=[TensorSpec.from_proto(s) for s in m.outputs],
            labels=list(m.labels), total_macs=m.total_macs, weight_bytes=m.weight_bytes,
            arena_bytes={d.device: d.arena_bytes for d in m.devices}, metadata=m)

    def list_models(self) -> List[ModelSummary]:
        r = self._call(self._inference.ListModels, pb.ListModelsRequest())
        return [ModelSummary(m.name, list(m.versions), config_pb.ModelKind.Name(m.kind),
                             m.default_device, m.description) for m in r.models]

    def list_devices(self) -> List[pb.DeviceStatus]:
        return list(self._call(self._inference.ListDevices, pb.ListDevicesRequest()).devices)

    def shadow_mismatches(self, model: str, limit: int = 0) -> ShadowMismatches:
        r = self._call(self._inference.GetShadowMismatches,
                       pb.GetShadowMismatchesRequest(model=model, limit=limit))
        return ShadowMismatches(r.sampled, r.mismatched, list(r.mismatches))

    def _call(self, method, request):
        try:
            return method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as e:  # a grpc.Call: code() and details()
            raise TinyserveError(e.code(), e.details()) from None


def _numpy_dtype(dtype: int) -> np.dtype:
    if dtype not in _NUMPY_DTYPES:
        raise TinyserveError(grpc.StatusCode.INTERNAL,
                             f"server sent a tensor of unknown dtype {dtype}")
    return _NUMPY_DTYPES[dtype]


def _output(o: pb.OutputTensor) -> Output:
    spec = TensorSpec.from_proto(o.spec)
    array = np.frombuffer(o.raw, dtype=spec.dtype)
    values = np.asarray(o.values, dtype=np.float32)
    if spec.shape and int(np.prod(spec.shape)) == array.size:
        array = array.reshape(spec.shape)
        if values.size == array.size:
            values = values.reshape(spec.shape)
    return Output(spec, array, values)


def _set_input(request, array: np.ndarray, quantize_non_finite: bool) -> None:
    a = np.asarray(array)
    if a.dtype.kind == "f":
        request.float_input.values.extend(a.astype(np.float32, copy=False).ravel().tolist())
        if quantize_non_finite:
            request.non_finite = pb.NON_FINITE_QUANTIZE
        return
    raw = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
    if raw not in _RAW_INPUT_KINDS:
        raise TypeError(f"input dtype {a.dtype} is neither float (sent as float_input) nor "
                        "int8, uint8 or int16 (sent as raw_input)")
    request.raw_input = np.ascontiguousarray(a, dtype=raw).tobytes()
