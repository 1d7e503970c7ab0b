"""Re-creates tests/data/xmos/ops/: single-operator cases of XMOS's data-movement and
element-wise custom operators (XC_no_op, XC_pad_3_to_4, XC_pad_1_to_4, XC_pad,
XC_slice, XC_add, XC_lookup, XC_softmax) with the outputs XMOS's host interpreter
(xmos_ai_tools.xinterpreters.TFLMHostInterpreter: TFLM with lib_nn's C kernels built
for x86, the version pinned in requirements-xmos.txt) gives on deterministic inputs.

Each case is a one-operator .tflite file written here directly (the operator, its
flexbuffer options as xcore-opt 1.4.2 writes them for the bundled models, and the
"xcoreSharedConfig" metadata that tells the runtime its thread count), so a case can
pin a geometry or an option value the bundled models do not happen to contain (byte
rather than word copies, pad values whose bytes differ, saturating XC_add
parameters, a softmax split over several threads). The files are small; the C++
tests (tests/devices/xs3/xc_ops_test.cc) read them and never run Python.

Usage (from the repository root):
    .venv-oracle/bin/python tests/oracle_tools/generate_xc_data_op_cases.py \
        [--out tests/data/xmos/ops]

Layout: <out>/index.json lists every case: its operator, model file, input files
(one per non-constant input; `vectors` inputs concatenated), the expected output file
and the thread count. Re-running gives byte-identical files.
"""

import argparse
import importlib.metadata
import json
import struct
import sys
from pathlib import Path

try:
    import flatbuffers
    import numpy as np
    import tflite
    import tflite.Buffer
    import tflite.Metadata
    import tflite.Model
    import tflite.Operator
    import tflite.OperatorCode
    import tflite.QuantizationParameters
    import tflite.SubGraph
    import tflite.Tensor
    from flatbuffers import flexbuffers
    from xmos_ai_tools.xinterpreters import TFLMHostInterpreter
except ImportError as e:
    sys.exit(f"missing package ({e}); install tests/oracle_tools/requirements-xmos.txt")

# The flatc-generated builder functions live in each table's module (the package
# exports the classes under the same names).
fb = {name: sys.modules[f"tflite.{name}"] for name in (
    "Buffer", "Metadata", "Model", "Operator", "OperatorCode", "QuantizationParameters",
    "SubGraph", "Tensor")}

INT8, UINT8, FLOAT32 = 9, 3, 0  # tflite TensorType values
CUSTOM = 32                     # tflite BuiltinOperator.CUSTOM
VECTORS = 6                     # input vectors per case

# "xcoreSharedConfig" metadata as xformer 1.4.2 writes it: 13 header words
# (target arch, lib_nn / lib_tflite_micro / xformer versions, required thread count,
# external input and output tensor counts) then two 20-entry tables of 16 bytes,
# unused here.
SHARED_CONFIG_HEADER = (0, 0, 5, 0, 0, 8, 0, 1, 4, 2)


def shared_config(threads: int) -> bytes:
    return struct.pack("<13I", *SHARED_CONFIG_HEADER, threads, 0, 0) + bytes(2 * 20 * 16)


def offline_plan(num_tensors: int, offsets: dict) -> bytes:
    """TFLM's "OfflineMemoryAllocation" metadata: version 0, subgraph 0, then one
    arena offset per tensor (-1: planned online). XC_no_op relies on it: xcore-opt
    gives its input and output the same offset and the kernel does nothing."""
    values = [0, 0, num_tensors] + [offsets.get(i, -1) for i in range(num_tensors)]
    return struct.pack(f"<{len(values)}i", *values)


def flex_options(options: dict) -> bytes:
    if options is None:
        return b""
    fbb = flexbuffers.Builder()
    with fbb.Map():
        for key, value in options.items():
            if isinstance(value, bool):
                fbb.Bool(key, value)
            else:
                fbb.Int(key, value)
    return bytes(fbb.Finish())


def build_model(op: str, tensors: list, op_inputs: list, op_outputs: list, options,
                threads: int, plan: dict = None) -> bytes:
    """tensors: (shape, type, constant bytes or None). The graph's inputs are the
    operator's non-constant inputs in order, its output the operator's output."""
    b = flatbuffers.Builder(1024)

    def vec_i32(start_fn, values):
        start_fn(b, len(values))
        for v in reversed(values):
            b.PrependInt32(v)
        return b.EndVector()

    def vec_offsets(start_fn, offsets):
        start_fn(b, len(offsets))
        for o in reversed(offsets):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    blobs = [b""] + [t[2] for t in tensors if t[2] is not None]
    metadata = [("xcoreSharedConfig", shared_config(threads))]
    if plan is not None:
        metadata.append(("OfflineMemoryAllocation", offline_plan(len(tensors), plan)))
    blobs += [m[1] for m in metadata]

    buffers = []
    for blob in blobs:
        data = None
        if blob:
            data = b.CreateByteVector(blob)
        fb["Buffer"].Start(b)
        if data is not None:
            fb["Buffer"].AddData(b, data)
        buffers.append(fb["Buffer"].End(b))

    tensor_offsets = []
    next_buffer = 1
    for i, (shape, ttype, data) in enumerate(tensors):
        name = b.CreateString(f"t{i}")
        shape_vec = vec_i32(fb["Tensor"].StartShapeVector, shape)
        buffer = 0
        if data is not None:
            buffer = next_buffer
            next_buffer += 1
        quant = None
        if ttype == INT8:
            scale = fb["QuantizationParameters"].StartScaleVector(b, 1)
            b.PrependFloat32(0.05)
            scale = b.EndVector()
            fb["QuantizationParameters"].StartZeroPointVector(b, 1)
            b.PrependInt64(0)
            zp = b.EndVector()
            fb["QuantizationParameters"].Start(b)
            fb["QuantizationParameters"].AddScale(b, scale)
            fb["QuantizationParameters"].AddZeroPoint(b, zp)
            quant = fb["QuantizationParameters"].End(b)
        fb["Tensor"].Start(b)
        fb["Tensor"].AddShape(b, shape_vec)
        fb["Tensor"].AddType(b, ttype)
        fb["Tensor"].AddBuffer(b, buffer)
        fb["Tensor"].AddName(b, name)
        if quant is not None:
            fb["Tensor"].AddQuantization(b, quant)
        tensor_offsets.append(fb["Tensor"].End(b))

    opts = flex_options(options)
    custom = None
    if opts:
        custom = b.CreateByteVector(opts)
    ins = vec_i32(fb["Operator"].StartInputsVector, op_inputs)
    outs = vec_i32(fb["Operator"].StartOutputsVector, op_outputs)
    fb["Operator"].Start(b)
    fb["Operator"].AddOpcodeIndex(b, 0)
    fb["Operator"].AddInputs(b, ins)
    fb["Operator"].AddOutputs(b, outs)
    if custom is not None:
        fb["Operator"].AddCustomOptions(b, custom)
    operator = fb["Operator"].End(b)

    graph_inputs = [i for i in op_inputs if tensors[i][2] is None]
    tensors_vec = vec_offsets(fb["SubGraph"].StartTensorsVector, tensor_offsets)
    sg_in = vec_i32(fb["SubGraph"].StartInputsVector, graph_inputs)
    sg_out = vec_i32(fb["SubGraph"].StartOutputsVector, op_outputs)
    ops_vec = vec_offsets(fb["SubGraph"].StartOperatorsVector, [operator])
    sg_name = b.CreateString("main")
    fb["SubGraph"].Start(b)
    fb["SubGraph"].AddTensors(b, tensors_vec)
    fb["SubGraph"].AddInputs(b, sg_in)
    fb["SubGraph"].AddOutputs(b, sg_out)
    fb["SubGraph"].AddOperators(b, ops_vec)
    fb["SubGraph"].AddName(b, sg_name)
    subgraph = fb["SubGraph"].End(b)

    code_name = b.CreateString(op)
    fb["OperatorCode"].Start(b)
    fb["OperatorCode"].AddDeprecatedBuiltinCode(b, CUSTOM)
    fb["OperatorCode"].AddBuiltinCode(b, CUSTOM)
    fb["OperatorCode"].AddCustomCode(b, code_name)
    fb["OperatorCode"].AddVersion(b, 1)
    code = fb["OperatorCode"].End(b)

    metadata_offsets = []
    first_metadata_buffer = len(blobs) - len(metadata)
    for k, (name, _) in enumerate(metadata):
        n = b.CreateString(name)
        fb["Metadata"].Start(b)
        fb["Metadata"].AddName(b, n)
        fb["Metadata"].AddBuffer(b, first_metadata_buffer + k)
        metadata_offsets.append(fb["Metadata"].End(b))

    codes_vec = vec_offsets(fb["Model"].StartOperatorCodesVector, [code])
    sgs_vec = vec_offsets(fb["Model"].StartSubgraphsVector, [subgraph])
    bufs_vec = vec_offsets(fb["Model"].StartBuffersVector, buffers)
    md_vec = vec_offsets(fb["Model"].StartMetadataVector, metadata_offsets)
    desc = b.CreateString("tinyserve XC op case")
    fb["Model"].Start(b)
    fb["Model"].AddVersion(b, 3)
    fb["Model"].AddOperatorCodes(b, codes_vec)
    fb["Model"].AddSubgraphs(b, sgs_vec)
    fb["Model"].AddDescription(b, desc)
    fb["Model"].AddBuffers(b, bufs_vec)
    fb["Model"].AddMetadata(b, md_vec)
    b.Finish(fb["Model"].End(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def run_host(model: bytes, inputs: list) -> bytes:
    """inputs: one bytes object per graph input (one vector)."""
    with TFLMHostInterpreter() as interpreter:
        interpreter.set_model(model_content=model)
        details = interpreter.get_input_details()
        for k, data in enumerate(inputs):
            d = details[k]
            x = np.frombuffer(data, dtype=d["dtype"]).reshape(d["shape"])
            interpreter.set_tensor(d["index"], x)
        interpreter.invoke()
        out = interpreter.get_output_details()[0]
        return interpreter.get_tensor(out["index"]).tobytes()


def nbytes(shape, ttype):
    return int(np.prod(shape)) * (4 if ttype == FLOAT32 else 1)


def cases():
    """(op, case name, tensors, op inputs, op outputs, options, threads, plan)."""
    rng = np.random.default_rng(11)
    out = []

    def case(op, name, tensors, ins, outs, options=None, threads=1, plan=None):
        out.append((op, name, tensors, ins, outs, options, threads, plan))

    # XC_no_op: a reshape that xcore-opt makes free by planning input and output at
    # the same arena offset.
    case("XC_no_op", "flat_to_4d", [([1, 8], INT8, None), ([1, 2, 1, 4], INT8, None)],
         [0], [1], None, plan={0: 0, 1: 0})
    # XC_pad_3_to_4 / XC_pad_1_to_4: pad values whose four bytes differ show which
    # byte each kernel path writes.
    for pv, tag in ((-2139062144, "zp_minus128"), (0x11223344, "mixed_bytes")):
        case("XC_pad_3_to_4", f"5x7_{tag}", [([1, 5, 7, 3], INT8, None), ([1, 5, 7, 4], INT8, None)],
             [0], [1], {"pv": pv})
        case("XC_pad_1_to_4", f"5x7_{tag}", [([1, 5, 7, 1], INT8, None), ([1, 5, 7, 4], INT8, None)],
             [0], [1], {"pv": pv})
    case("XC_pad_3_to_4", "1x8", [([1, 1, 8, 3], INT8, None), ([1, 1, 8, 4], INT8, None)],
         [0], [1], {"pv": 0x05050505})
    case("XC_pad_1_to_4", "2x6", [([1, 2, 6, 1], INT8, None), ([1, 2, 6, 4], INT8, None)],
         [0], [1], {"pv": 0x7F7F7F7F})

    # XC_pad: s bytes before, then (input row of l bytes, p pad bytes) n times, a last
    # row and e bytes after; z is the pad word (byte k of the output gets byte k % 4).
    def pad(name, in_shape, top, bottom, left, right, z, vpu):
        n_, h, w, c = in_shape
        out_shape = [n_, h + top + bottom, w + left + right, c]
        row = out_shape[2] * c
        opts = {"s": top * row + left * c, "l": w * c, "n": h - 1, "p": (left + right) * c,
                "e": right * c + bottom * row, "z": z, "v": vpu}
        case("XC_pad", name, [(in_shape, INT8, None), (out_shape, INT8, None)], [0], [1], opts)
    pad("word_1_2_2_1", [1, 3, 5, 4], 1, 2, 2, 1, -2139062144, True)
    pad("word_top_only", [1, 4, 9, 8], 1, 0, 0, 0, 0x53535353, True)
    pad("word_mixed_z", [1, 3, 5, 4], 2, 1, 1, 3, 0x04030201, True)
    pad("byte_3ch", [1, 3, 5, 3], 1, 0, 1, 0, 0x7F7F7F7F, False)
    pad("byte_mixed_z", [1, 2, 3, 3], 1, 1, 1, 2, 0x04030201, False)

    # XC_slice: n copies of l bytes from s + i * o.
    def slc(name, in_shape, out_shape, s, o, l, n, vpu):
        case("XC_slice", name, [(in_shape, INT8, None), (out_shape, INT8, None)], [0], [1],
             {"s": s, "o": o, "l": l, "n": n, "v": vpu})
    slc("columns_word", [1, 3, 8, 4], [1, 3, 4, 4], 8, 32, 16, 3, True)
    slc("channels_byte", [1, 1, 1, 12], [1, 1, 1, 10], 0, 12, 10, 1, False)
    slc("rows_offset_byte", [1, 5, 7], [1, 5, 3], 2, 7, 3, 5, False)

    # XC_add: acc = bias + x1 * m1 + x2 * m2, out = clamp(round(acc >> shift)).
    def add(name, shape, m1, m2, bias, shift):
        case("XC_add", name, [(shape, INT8, None), (shape, INT8, None), (shape, INT8, None)],
             [0, 1], [2], {"m1": m1, "m2": m2, "bias": bias, "shift": shift})
    add("resnet_params_160", [1, 4, 5, 8], 3167, 8377, -152393, 12)
    add("resnet_params_tail_63", [1, 3, 7, 3], 3167, 8377, -152393, 12)
    add("saturating_tail_37", [1, 37], 16000, -16000, 1000, 7)
    add("negative_bias_odd_shift", [1, 2, 2, 9], -9000, 12000, -400000, 13)

    # XC_lookup: a [256] uint8 table indexed by the input's byte.
    table = rng.integers(0, 256, 256, dtype=np.uint8).tobytes()
    for threads in (1, 5):
        case("XC_lookup", f"315_t{threads}",
             [([1, 7, 9, 5], INT8, None), ([256], UINT8, table), ([1, 7, 9, 5], INT8, None)],
             [0, 1], [2], None, threads=threads)

    # XC_softmax: a [256] float32 table exp(x * scale) at index x + 128; scales from
    # gentle to one element taking everything (roundf(256) - 128 clamps to 127).
    def exp_table(scale):
        x = np.arange(256, dtype=np.float32) - np.float32(128)
        return np.exp(x * np.float32(scale)).astype(np.float32).tobytes()
    for n, scale, threads in ((10, 0.05, 1), (10, 0.05, 5), (12, 0.0390625, 5), (2, 0.1, 5),
                              (37, 0.02, 5), (37, 0.02, 1), (10, 0.5, 1), (16, 0.07, 3)):
        case("XC_softmax", f"n{n}_s{scale}_t{threads}",
             [([1, n], INT8, None), ([256], FLOAT32, exp_table(scale)), ([1, n], INT8, None)],
             [0, 1], [2], None, threads=threads)
    return out


def aligned_split(threads: int, size: int) -> list:
    """lib_nn's calculateAlignedThreadSplit (alignment 4)."""
    count = max(1, min(threads, (size + 3) // 4))
    begin, end, left = [0] * count, [size] * count, size
    for i in range(count):
        split = (left + (count - i) - 1) // (count - i)
        left -= split
        end[i] = begin[i] + split
        if i != count - 1:
            begin[i + 1] = end[i]
    for i in range(1, count):
        begin[i] = (begin[i] + 3) & ~3 if (begin[i] & 3) > 1 else begin[i] & ~3
        end[i - 1] = begin[i]
    return list(zip(begin, end))


def emulated_softmax(table, x, threads):
    """lib_nn's float softmax on many vectors at once (rows of x), float32 throughout."""
    sums = []
    for begin, end in aligned_split(threads, x.shape[1]):
        acc = np.zeros(x.shape[0], np.float32)
        for i in range(begin, end):
            acc = (acc + table[x[:, i].astype(np.int64) + 128]).astype(np.float32)
        sums.append(acc)
    total = sums[0]
    for extra in sums[1:]:
        total = (total + extra).astype(np.float32)
    inv = ((np.float32(1) / total).astype(np.float32) * np.float32(256)).astype(np.float32)
    prod = (table[x.astype(np.int64) + 128] * inv[:, None]).astype(np.float32)
    rounded = np.where(prod >= 0, np.floor(prod + np.float32(0.5)), np.ceil(prod - np.float32(0.5)))
    return np.clip(rounded - 128, -128, 127)


def split_sensitive_inputs(table, shape, threads, rng, wanted=2, tries=200000):
    n = int(np.prod(shape))
    x = rng.integers(-128, 128, (tries, n), dtype=np.int8)
    differ = np.any(emulated_softmax(table, x, 1) != emulated_softmax(table, x, threads), axis=1)
    return [x[k].tobytes() for k in np.flatnonzero(differ)[:wanted]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="tests/data/xmos/ops")
    args = parser.parse_args()
    root = Path(args.out)
    rng = np.random.default_rng(2024)
    index = {
        "generator": {
            "script": "tests/oracle_tools/generate_xc_data_op_cases.py",
            "packages": {p: importlib.metadata.version(p)
                         for p in ("xmos-ai-tools", "numpy", "tflite", "flatbuffers")},
            "host_interpreter": "xmos_ai_tools.xinterpreters.TFLMHostInterpreter",
            "vectors_per_case": f"{VECTORS}, plus for XC_softmax over several threads up to 2 whose result the split changes",
        },
        "cases": [],
    }
    for op, name, tensors, ins, outs, options, threads, plan in cases():
        model = build_model(op, tensors, ins, outs, options, threads, plan)
        folder = root / op[3:]
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{op[3:]}/{name}"
        (root / f"{stem}.tflite").write_bytes(model)
        graph_inputs = [i for i in ins if tensors[i][2] is None]
        vectors = []
        for v in range(VECTORS):
            one = []
            for i in graph_inputs:
                shape, ttype, _ = tensors[i]
                size = nbytes(shape, ttype)
                if v == 0:  # the extremes first
                    data = np.array([-128, 127, 0, -1, 1, -127] * size, np.int8)[:size]
                else:
                    data = rng.integers(-128, 128, size, dtype=np.int8)
                one.append(data.tobytes())
            vectors.append(one)
        if op == "XC_softmax" and threads > 1:
            # Vectors whose result the thread split changes (found by emulating lib_nn's
            # float arithmetic; the expected outputs still come from the host interpreter).
            table = np.frombuffer(tensors[1][2], dtype=np.float32)
            vectors += [[x] for x in split_sensitive_inputs(table, tensors[0][0], threads, rng)]
        outputs = b"".join(run_host(model, one) for one in vectors)
        input_files = []
        for k in range(len(graph_inputs)):
            path = f"{stem}.input{k}.bin"
            (root / path).write_bytes(b"".join(one[k] for one in vectors))
            input_files.append(path)
        (root / f"{stem}.output.bin").write_bytes(outputs)
        index["cases"].append({
            "op": op, "name": name, "model": f"{stem}.tflite", "inputs": input_files,
            "output": f"{stem}.output.bin", "vectors": len(vectors), "threads": threads,
            "options": options,
        })
        print(f"{stem}: {len(outputs) // len(vectors)} output bytes x {len(vectors)} vectors")
    (root / "index.json").write_text(json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    main()
