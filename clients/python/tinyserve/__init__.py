"""tinyserve: a typed client for tinyserve's tinyserve.v1 gRPC API.

    from tinyserve import Client
    with Client("localhost:8500") as c:
        r = c.classify("vww_96_int8", image_int8, device="host", top_k=2)
        print(r.classes, r.metrics.latency_us["device"])
"""
from tinyserve.client import (ClassifyResult, ClassScore, Client, CompareResult, Metrics,
                              ModelInfo, ModelSummary, Output, PairComparison, ShadowMismatches,
                              TensorSpec, TinyserveError)

__all__ = ["Client", "ClassifyResult", "ClassScore", "CompareResult", "Metrics", "ModelInfo",
           "ModelSummary", "Output", "PairComparison", "ShadowMismatches", "TensorSpec",
           "TinyserveError"]
