#!/usr/bin/env python3
"""Writes the request_fuzzer's seed corpus (tests/fuzz/corpus/request/):
ClassifyRequest / CompareRequest wire bytes, encoded by hand (no protobuf
module needed). Run from anywhere: python3 tests/fuzz/make_request_seeds.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "request")


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(number, wire, payload):
    tag = varint((number << 3) | wire)
    if wire == 2:
        return tag + varint(len(payload)) + payload
    return tag + payload


def s(number, text):  # string / bytes
    return field(number, 2, text if isinstance(text, bytes) else text.encode())


def i(number, value):  # int32 / int64 / enum
    return field(number, 0, varint(value & ((1 << 64) - 1)))


def floats(number, values):  # FloatTensor { repeated float values = 1 (packed) }
    packed = b"".join(struct.pack("<f", v) for v in values)
    return s(number, s(1, packed))


NAN, INF = float("nan"), float("inf")
SEEDS = {
    "classify_raw_hello": s(1, "hello_world_int8") + s(5, b"\x00"),
    "classify_raw_kws": s(1, "kws_ref_model") + s(3, "ref") + s(5, bytes(490)) + i(6, 3),
    "classify_float_hello": s(1, "hello_world_int8") + floats(4, [0.5]),
    "classify_float_nan_quantize": s(1, "hello_world_int8") + floats(4, [NAN]) + i(7, 1),
    "classify_float_inf_reject": s(1, "kws_ref_model") + floats(4, [1.0, INF] + [0.0] * 488),
    "classify_version_negative": s(1, "hello_world_int8") + i(2, -1) + s(5, b"\x00"),
    "classify_bad_utf8_name": s(1, b"bad\xff\xfe") + s(5, b"\x00"),
    "classify_long_name": s(1, "m" * 200) + s(5, b"\x00"),
    "classify_control_device": s(1, "hello_world_int8") + s(3, "re\nf") + s(5, b"\x00"),
    "compare_two_devices": s(1, "hello_world_int8") + s(3, "ref") + s(3, "host") + s(5, b"\x01"),
    "compare_float_mixed": s(1, "kws_ref_model") + s(3, "ref") + s(3, "xs3")
    + floats(4, [NAN, -INF] + [100.0] * 488) + i(7, 1),
    "metadata": s(1, "kws_ref_model") + i(2, 1),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {OUT}")
