"""Re-creates tests/data/xmos/: what XMOS's own tools make of the bundled models.

For every bundled model models/<m>/1/model.tflite and each configuration in CONFIGS,
runs XMOS's graph transformer `xcore-opt` (from xmos-ai-tools, pinned in
requirements-xmos.txt) and then XMOS's host interpreter (TFLM with lib_nn's C
kernels, built for x86) on the xformed file, with inputs taken from the TFLM oracle
(../shared/oracle). The result is checked-in test data that stands alone (the inputs
are copied in); the tests never run Python. Layout and meaning: tests/data/xmos/README.md.

Usage (from the repository root):
    deploy/oracle-venv.sh
    .venv-oracle/bin/python tests/oracle_tools/generate_xmos_oracle.py \
        [--oracle-dir ../shared/oracle] [--out tests/data/xmos] [--models m1,m2]

Re-running gives byte-identical files. xcore-opt itself does not: it copies a struct
it does not fully initialise into the model's "xcoreSharedConfig" metadata, whose
unused tensor-table entries then hold leftover memory (pointer values that change
from run to run, ignored by the runtime); they are zeroed here, see
normalize_shared_config().
"""

import argparse
import collections
import hashlib
import importlib.metadata
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    import numpy as np
    import tflite
    from tflite.TensorType import TensorType
    from xmos_ai_tools.xinterpreters import TFLMHostInterpreter
except ImportError as e:
    sys.exit(f"generate_xmos_oracle: {e}; run with the venv's python "
             "(deploy/oracle-venv.sh, then .venv-oracle/bin/python)")

SCRIPT = "tests/oracle_tools/generate_xmos_oracle.py"
REPO = Path(__file__).resolve().parents[2]

# name -> xcore-opt arguments. Tests key on these names.
CONFIGS = {
    "default": [],
    "t05": ["--xcore-conv-err-threshold=0.5"],
    "t05x5": ["--xcore-conv-err-threshold=0.5", "--xcore-thread-count=5"],
}

# Inputs up to this size: every TFLM oracle vector. Bigger inputs (vww, resnet):
# only the first RANDOM_VECTORS_WHEN_BIG random vectors, plus every edge and real one.
SMALL_INPUT_BYTES = 2048
RANDOM_VECTORS_WHEN_BIG = 4

XCORE_OPT_MODEL_NAME = "model.xc.tflite"
INTERMEDIATES_DIR = "intermediates_input_00"
# Outputs of these ops are left out of the intermediates to keep the data small:
# an XC_pad output is its input plus a constant border (about half the bytes of
# vww's intermediates). XC_pad_3_to_4 / XC_pad_1_to_4 outputs are kept.
INTERMEDIATES_NOT_STORED = ("XC_pad",)

# TensorType -> (name used in the oracle's JSON, numpy dtype).
DTYPES = {
    TensorType.INT8: ("int8", np.int8),
    TensorType.UINT8: ("uint8", np.uint8),
    TensorType.INT16: ("int16", np.int16),
    TensorType.INT32: ("int32", np.int32),
    TensorType.INT64: ("int64", np.int64),
    TensorType.FLOAT32: ("float32", np.float32),
    TensorType.BOOL: ("bool", np.bool_),
}

BUILTIN_CUSTOM = 32  # BuiltinOperator.CUSTOM

# Vtable slots of SubGraph fields in TFLite's schema (slot = 4 + 2 * field id):
# outputs is field 2, operators field 3.
SUBGRAPH_OUTPUTS_SLOT = 8
SUBGRAPH_OPERATORS_SLOT = 10

# xcore_metadata_t, as written by xformer 1.4.2 (header
# xmos_ai_tools/runtime/include/lib_tflite_micro/api/xcore_shared_config.h of the
# wheel): 13 uint32 (target arch; lib_nn, lib_tflite_micro, xformer versions as
# major/minor/patch; required thread count; number of external input and output
# tensors), then two tables of 25 {index, external_address, size} uint32 triples.
SHARED_CONFIG_NAME = "xcoreSharedConfig"
SHARED_CONFIG_HEADER_WORDS = 13
SHARED_CONFIG_MAX_TENSORS = 25
SHARED_CONFIG_ENTRY_BYTES = 12


class GenerationError(Exception):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=1) + "\n")


def load_model(data: bytes):
    return tflite.Model.GetRootAs(data, 0)


def op_name(model, op) -> str:
    code = model.OperatorCodes(op.OpcodeIndex())
    # Older files keep the code in the deprecated int8 field; newer ones in both.
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    if builtin == BUILTIN_CUSTOM:
        return code.CustomCode().decode()
    return tflite.opcode2name(builtin)


def tensor_info(subgraph, index: int) -> dict:
    t = subgraph.Tensors(index)
    if t.Type() not in DTYPES:
        raise GenerationError(
            f"tensor {index} '{t.Name().decode()}' has unsupported type {t.Type()}")
    info = {
        "name": t.Name().decode(),
        "dtype": DTYPES[t.Type()][0],
        "shape": [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else [],
        "scale": None,
        "zero_point": None,
    }
    q = t.Quantization()
    if q is not None and q.ScaleLength() > 0:
        info["scale"] = float(q.Scale(0))
        info["zero_point"] = int(q.ZeroPoint(0)) if q.ZeroPointLength() else 0
    return info


def tensor_bytes(info: dict) -> int:
    return int(np.prod(info["shape"], dtype=np.int64)) * np.dtype(dtype_of(info)).itemsize


def dtype_of(info: dict):
    return next(np_type for name, np_type in DTYPES.values() if name == info["dtype"])


def graph_ops(model) -> list:
    """[(op name, [input tensor indices], [output tensor indices])] of subgraph 0."""
    sg = model.Subgraphs(0)
    ops = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        inputs = [int(x) for x in op.InputsAsNumpy()] if op.InputsLength() else []
        outputs = [int(x) for x in op.OutputsAsNumpy()] if op.OutputsLength() else []
        ops.append((op_name(model, op), inputs, outputs))
    return ops


def single_io(model, what: str) -> tuple:
    """(input index, output index) of subgraph 0; the oracle format has one of each."""
    sg = model.Subgraphs(0)
    if sg.InputsLength() != 1 or sg.OutputsLength() != 1:
        raise GenerationError(
            f"{what}: {sg.InputsLength()} inputs and {sg.OutputsLength()} outputs; "
            "the oracle format takes exactly one of each")
    return int(sg.Inputs(0)), int(sg.Outputs(0))


# --- xcore-opt ---------------------------------------------------------------

def run_xcore_opt(xcore_opt: Path, source_rel: str, args: list) -> dict:
    """Runs xcore-opt on `source_rel` (relative to the repo, so its messages name no
    machine path) in a scratch directory; keeps the .tflite, drops the .cpp/.h."""
    with tempfile.TemporaryDirectory(prefix="xcore-opt-") as tmp:
        out = Path(tmp) / XCORE_OPT_MODEL_NAME
        proc = subprocess.run([str(xcore_opt), *args, "-o", str(out), source_rel],
                              cwd=REPO, capture_output=True, text=True, check=False)
        log = proc.stderr + proc.stdout
        if proc.returncode != 0 or not out.exists():
            return {"ok": False, "log": log,
                    "error": log.strip() or f"xcore-opt exited with {proc.returncode}"}
        return {"ok": True, "log": log, "model": out.read_bytes()}


def parse_arena_size(log: str):
    m = re.search(r"Tensor arena size\s*:\s*(\d+)", log)
    return int(m.group(1)) if m else None


def parse_reverted(log: str) -> list:
    """The "Op left unoptimized" warnings: [{name, reason, quantization_error, threshold}]."""
    reverted = []
    for block in log.split("WARNING:")[1:]:
        fields = dict(re.findall(r"^(Reason|Name): (.*)$", block, flags=re.MULTILINE))
        if "Name" not in fields:
            continue
        entry = {"name": fields["Name"].strip(), "reason": fields.get("Reason", "").strip()}
        m = re.search(r"error of ([0-9.eE+-]+) larger than set threshold of ([0-9.eE+-]+)",
                      entry["reason"])
        if m:
            entry["quantization_error"] = float(m.group(1))
            entry["threshold"] = float(m.group(2))
        reverted.append(entry)
    return reverted


def locate_reverted(reverted: list, source_model, xformed_model) -> list:
    """Adds the reverted op's index in the source graph (the op whose output tensor
    carries the warning's name) and in the xformed graph (same name; or, as xcore-opt
    renames tensors, the only op of the same kind whose output has the same dtype,
    quantization and shape)."""
    def outputs_of(model):
        sg = model.Subgraphs(0)
        return [(i, name, tensor_info(sg, t))
                for i, (name, _, outputs) in enumerate(graph_ops(model))
                for t in outputs if t >= 0]

    def same_tensor(a: dict, b: dict) -> bool:
        return (squeezed(a["shape"]) == squeezed(b["shape"])
                and all(a[k] == b[k] for k in ("dtype", "scale", "zero_point")))

    src, xf = outputs_of(source_model), outputs_of(xformed_model)
    located = []
    for entry in reverted:
        e = {"source_op_index": None, "source_op": None,
             "xformed_op_index": None, "xformed_op": None}
        hits = [(i, name, info) for i, name, info in src if info["name"] == entry["name"]]
        if len(hits) == 1:
            e["source_op_index"], e["source_op"], source_out = hits[0]
            found = [(i, name) for i, name, info in xf if info["name"] == entry["name"]]
            if len(found) != 1:
                found = [(i, name) for i, name, info in xf
                         if name == e["source_op"] and same_tensor(info, source_out)]
            if len(found) == 1:
                e["xformed_op_index"], e["xformed_op"] = found[0]
        e.update(entry)
        located.append(e)
    return located


def buffer_data_position(model, buffer_index: int) -> tuple:
    buf = model.Buffers(buffer_index)
    if buf.DataLength() == 0:
        raise GenerationError(f"buffer {buffer_index} holds no inline data")
    tab = buf._tab  # flatbuffers table: Buffer.data is field 0 (vtable slot 4)
    return tab.Vector(tab.Offset(4)), buf.DataLength()


def normalize_shared_config(data: bytearray) -> dict:
    """Zeroes the unused entries of the external-tensor tables in the
    xcoreSharedConfig metadata (xcore-opt leaves uninitialised bytes there, different
    on every run; the runtime reads only the first num_external_* entries) and
    returns the header's fields."""
    model = load_model(bytes(data))
    hits = [model.Metadata(i) for i in range(model.MetadataLength())
            if model.Metadata(i).Name().decode() == SHARED_CONFIG_NAME]
    if len(hits) != 1:
        raise GenerationError(
            f"xformed model has {len(hits)} '{SHARED_CONFIG_NAME}' metadata entries")
    pos, size = buffer_data_position(model, hits[0].Buffer())
    header_bytes = 4 * SHARED_CONFIG_HEADER_WORDS
    table_bytes = SHARED_CONFIG_MAX_TENSORS * SHARED_CONFIG_ENTRY_BYTES
    if size < header_bytes + 2 * table_bytes:
        raise GenerationError(f"'{SHARED_CONFIG_NAME}' is {size} bytes, expected at least "
                              f"{header_bytes + 2 * table_bytes} (xformer 1.4.2 layout)")
    h = struct.unpack_from(f"<{SHARED_CONFIG_HEADER_WORDS}I", data, pos)
    n_in, n_out = h[11], h[12]
    if n_in > SHARED_CONFIG_MAX_TENSORS or n_out > SHARED_CONFIG_MAX_TENSORS:
        raise GenerationError(f"'{SHARED_CONFIG_NAME}' claims {n_in} external inputs and "
                              f"{n_out} outputs (at most {SHARED_CONFIG_MAX_TENSORS})")
    inputs_table = pos + header_bytes
    outputs_table = inputs_table + table_bytes
    for start, end in ((inputs_table + n_in * SHARED_CONFIG_ENTRY_BYTES, outputs_table),
                       (outputs_table + n_out * SHARED_CONFIG_ENTRY_BYTES, pos + size)):
        data[start:end] = bytes(end - start)
    return {
        "target_arch": h[0],
        "lib_nn_version": f"{h[1]}.{h[2]}.{h[3]}",
        "lib_tflite_micro_version": f"{h[4]}.{h[5]}.{h[6]}",
        "xformer_version": f"{h[7]}.{h[8]}.{h[9]}",
        "required_thread_count": h[10],
        "num_external_input_tensors": n_in,
        "num_external_output_tensors": n_out,
    }


# --- host interpreter --------------------------------------------------------

def host_invoke(model_bytes: bytes, input_index: int, input_info: dict,
                output_index: int, input_bytes: bytes) -> bytes:
    """One inference in a fresh interpreter: the output tensor's raw bytes."""
    x = np.frombuffer(input_bytes, dtype=dtype_of(input_info)).reshape(input_info["shape"])
    with TFLMHostInterpreter() as interpreter:
        interpreter.set_model(model_content=model_bytes)
        interpreter.set_tensor(input_index, x)
        interpreter.invoke()
        return interpreter.get_tensor(output_index).tobytes()


def truncated_model(model_bytes: bytes, last_op: int, output_tensor: int) -> bytes:
    """A copy of the model that stops after op `last_op` and outputs `output_tensor`.

    The host interpreter exposes only graph outputs, and the xformed file carries an
    offline memory plan (OfflineMemoryAllocation metadata) that reuses a tensor's
    memory once it is dead, so adding tensors to the outputs could read overwritten
    data (and would need a bigger outputs vector). Instead the flatbuffer is patched in place:
    the operators vector's length is cut to last_op + 1 and the outputs vector to
    one element, which is set to `output_tensor`. Only shrinking, so nothing moves.
    """
    data = bytearray(model_bytes)
    sg = load_model(bytes(data)).Subgraphs(0)
    tab = sg._tab  # flatbuffers table of SubGraph 0
    ops_pos = tab.Vector(tab.Offset(SUBGRAPH_OPERATORS_SLOT))
    outs_pos = tab.Vector(tab.Offset(SUBGRAPH_OUTPUTS_SLOT))
    struct.pack_into("<I", data, ops_pos - 4, last_op + 1)
    struct.pack_into("<I", data, outs_pos - 4, 1)
    struct.pack_into("<i", data, outs_pos, output_tensor)

    # The outputs vector could be shared with another (flatbuffers may dedupe):
    # check that everything but the two patched fields reads as before.
    before, after = load_model(model_bytes), load_model(bytes(data))
    sg_after = after.Subgraphs(0)
    if (graph_ops(after) != graph_ops(before)[:last_op + 1]
            or list(sg_after.InputsAsNumpy()) != list(before.Subgraphs(0).InputsAsNumpy())
            or list(sg_after.OutputsAsNumpy()) != [output_tensor]):
        raise GenerationError(f"truncating the graph after op {last_op} changed more than "
                              "the operators and outputs vectors")
    return bytes(data)


def squeezed(shape: list) -> list:
    return [d for d in shape if d != 1]


class SourceTensors:
    """Finds the tensor of the source model that a tensor of the xformed graph stands
    for. xcore-opt renames most tensors, so: the same name if it is unique there,
    else the next op output of the source graph (in op order, after the last match)
    with the same dtype, scale, zero point and shape but for size-1 dimensions
    (xcore-opt runs FULLY_CONNECTED as a 1x1 conv: [1, n] becomes [1, 1, 1, n]).
    Asked in xformed op order."""

    def __init__(self, source_model):
        sg = source_model.Subgraphs(0)
        names = collections.Counter(sg.Tensors(i).Name().decode()
                                    for i in range(sg.TensorsLength()))
        self._by_name = {sg.Tensors(i).Name().decode(): i for i in range(sg.TensorsLength())
                         if names[sg.Tensors(i).Name().decode()] == 1}
        self._in_order = [t for _, _, outputs in graph_ops(source_model) for t in outputs if t >= 0]
        self._info = {t: tensor_info(sg, t) for t in self._in_order}
        self._next = 0

    def match(self, info: dict) -> tuple:
        """(source tensor index, how it was matched), or (None, None)."""
        if info["name"] in self._by_name:
            index = self._by_name[info["name"]]
            if index in self._in_order:
                self._next = max(self._next, self._in_order.index(index) + 1)
            return index, "name"
        for pos in range(self._next, len(self._in_order)):
            t = self._in_order[pos]
            if (squeezed(self._info[t]["shape"]) == squeezed(info["shape"])
                    and all(self._info[t][k] == info[k] for k in ("dtype", "scale", "zero_point"))):
                self._next = pos + 1
                return t, "shape_and_quantization"
        return None, None


def write_intermediates(dest: Path, xformed: bytes, input_bytes: bytes,
                        source_model) -> dict:
    """Every op output of the xformed graph for one input, each from a fresh
    inference of the graph truncated after its producer; plus the input itself."""
    model = load_model(xformed)
    sg = model.Subgraphs(0)
    input_index, output_index = single_io(model, "xformed model")
    input_info = tensor_info(sg, input_index)
    source_tensors = SourceTensors(source_model)

    dest.mkdir(parents=True)
    entries = []

    def add(index: int, producer_op, producer, data: bytes):
        info = tensor_info(sg, index)
        if len(data) != tensor_bytes(info):
            raise GenerationError(
                f"tensor {index}: got {len(data)} bytes, expected {tensor_bytes(info)}")
        name = f"t{index:03d}.bin"
        (dest / name).write_bytes(data)
        source_index, matched_by = source_tensors.match(info)
        entries.append({"index": index, "file": name, **info, "producer_op": producer_op,
                        "producer": producer, "source_tensor_index": source_index,
                        "source_matched_by": matched_by})

    add(input_index, None, None, input_bytes)
    final = None
    not_stored = []
    for k, (name, _, outputs) in enumerate(graph_ops(model)):
        for t in outputs:
            if t < 0:
                continue
            if name in INTERMEDIATES_NOT_STORED and t != output_index:
                not_stored.append(t)
                continue
            data = host_invoke(truncated_model(xformed, k, t), input_index, input_info, t,
                               input_bytes)
            add(t, k, name, data)
            if t == output_index:
                final = data
    full = host_invoke(xformed, input_index, input_info, output_index, input_bytes)
    if final != full:
        raise GenerationError("the truncated graph's final output differs from the full graph's")
    entries.sort(key=lambda e: e["index"])
    write_json(dest / "tensors.json", entries)
    return {"tensors": len(entries), "bytes": sum(tensor_bytes(e) for e in entries),
            "not_stored": sorted(not_stored)}


def same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    return (names == sorted(p.name for p in b.iterdir())
            and all((a / n).read_bytes() == (b / n).read_bytes() for n in names))


def share_intermediates(cfg_dir: Path) -> str:
    """The intermediates directory as the config's index names it: if an earlier
    configuration of the model stored byte-identical ones, this one's copy is
    removed and theirs referenced (../<config>/intermediates_input_00)."""
    mine = cfg_dir / INTERMEDIATES_DIR
    for config in CONFIGS:
        if config == cfg_dir.name:
            break
        theirs = cfg_dir.parent / config / INTERMEDIATES_DIR
        if theirs.is_dir() and same_files(mine, theirs):
            shutil.rmtree(mine)
            return f"../{config}/{INTERMEDIATES_DIR}"
    return INTERMEDIATES_DIR


# --- vectors -----------------------------------------------------------------

def select_vectors(tflm_index: dict, input_size: int) -> dict:
    """The TFLM oracle's sets, trimmed for big inputs (see SMALL_INPUT_BYTES)."""
    chosen = {}
    for set_name, entries in tflm_index["sets"].items():
        if set_name == "intermediates":
            continue
        if isinstance(entries, list):
            if set_name == "random" and input_size > SMALL_INPUT_BYTES:
                entries = entries[:RANDOM_VECTORS_WHEN_BIG]
            chosen[set_name] = entries
        else:
            chosen[set_name] = entries
    return chosen


def each_entry(sets: dict):
    for set_name, entries in sets.items():
        for e in entries if isinstance(entries, list) else [entries]:
            yield set_name, e


def copy_inputs(sets: dict, tflm_dir: Path, inputs_dir: Path, input_size: int) -> None:
    inputs_dir.mkdir(parents=True)
    for _, e in each_entry(sets):
        data = (tflm_dir / e["input"]).read_bytes()
        if len(data) == 0 or len(data) % input_size:
            raise GenerationError(f"{tflm_dir / e['input']}: {len(data)} bytes is not a "
                                  f"whole number of {input_size}-byte inputs")
        (inputs_dir / Path(e["input"]).name).write_bytes(data)


def config_sets(sets: dict) -> dict:
    """The sets as a config's index.json names them: shared inputs one level up."""
    def rewrite(e):
        out = dict(e)
        out["input"] = "../inputs/" + Path(e["input"]).name
        out["output"] = "outputs/" + Path(e["output"]).name
        return out

    return {name: [rewrite(e) for e in entries] if isinstance(entries, list) else rewrite(entries)
            for name, entries in sets.items()}


# --- one model, one configuration ---------------------------------------------

def generate_config(model_name: str, config: str, xformed: bytes, log: str, source: bytes,
                    sets: dict, model_dir: Path, generator: dict) -> dict:
    cfg_dir = model_dir / config
    cfg_dir.mkdir(parents=True)
    raw = xformed
    data = bytearray(raw)
    shared_config = normalize_shared_config(data)
    xformed = bytes(data)
    (cfg_dir / XCORE_OPT_MODEL_NAME).write_bytes(xformed)
    (cfg_dir / "xcore-opt.log").write_text(log)

    source_model, model = load_model(source), load_model(xformed)
    sg = model.Subgraphs(0)
    input_index, output_index = single_io(model, f"{model_name}/{config}")
    input_info, output_info = tensor_info(sg, input_index), tensor_info(sg, output_index)
    in_size, out_size = tensor_bytes(input_info), tensor_bytes(output_info)

    # Raw and normalized files must compute the same (the zeroed bytes are unused).
    first = next(each_entry(sets))[1]
    first_input = (model_dir / "inputs" / Path(first["input"]).name).read_bytes()[:in_size]
    if (host_invoke(xformed, input_index, input_info, output_index, first_input)
            != host_invoke(raw, input_index, input_info, output_index, first_input)):
        raise GenerationError(f"{model_name}/{config}: normalised model computes differently")

    out_dir = cfg_dir / "outputs"
    out_dir.mkdir()
    n_inferences = 0
    for _, e in each_entry(sets):
        inputs = (model_dir / "inputs" / Path(e["input"]).name).read_bytes()
        outputs = b"".join(
            host_invoke(xformed, input_index, input_info, output_index, inputs[i:i + in_size])
            for i in range(0, len(inputs), in_size))
        assert len(outputs) == out_size * (len(inputs) // in_size)
        (out_dir / Path(e["output"]).name).write_bytes(outputs)
        n_inferences += len(inputs) // in_size

    index = {
        "model": model_name,
        "model_source": f"models/{model_name}/1/model.tflite, xformed by xcore-opt "
                        + (" ".join(CONFIGS[config]) or "(no options)"),
        "model_sha256": sha256(xformed),
        "source_model_sha256": sha256(source),
        "xformed_model": XCORE_OPT_MODEL_NAME,
        "generator": {**generator, "xcore_opt_args": CONFIGS[config]},
        "input": input_info,
        "output": output_info,
        "sets": config_sets(sets),
        "tensor_arena_size": parse_arena_size(log),
        "xcore_shared_config": shared_config,
        "operators": dict(sorted(collections.Counter(n for n, _, _ in graph_ops(model)).items())),
        "reverted_to_reference": locate_reverted(parse_reverted(log), source_model, model),
    }
    intermediates_input = index["sets"]["random"][0]["input"] if "random" in sets else None
    if intermediates_input:
        stats = write_intermediates(cfg_dir / INTERMEDIATES_DIR, xformed,
                                    (cfg_dir / intermediates_input).read_bytes()[:in_size],
                                    source_model)
        stats["dir"] = share_intermediates(cfg_dir)
        index["sets"]["intermediates"] = {
            "dir": stats["dir"],
            "for_input": intermediates_input,
            "not_stored": stats["not_stored"],
            "note": "every op output of the xformed graph (and its input) for input_00, "
                    "except those listed in not_stored (outputs of "
                    + ", ".join(INTERMEDIATES_NOT_STORED) + ": the input plus a constant "
                    "border); tNNN = tensor index NNN in subgraph 0 of model.xc.tflite; each "
                    "from a fresh inference of the graph cut after the tensor's producer op; "
                    "raw little-endian; dtype/shape/quant, producer op and the source model's "
                    "tensor it stands for (source_tensor_index = the TFLM oracle's tNNN; "
                    "source_matched_by: name, or shape_and_quantization: next in op order with "
                    "the same quantization and shape up to size-1 dimensions) in "
                    "tensors.json; a dir "
                    "starting with ../ is another configuration's identical set",
        }
    write_json(cfg_dir / "index.json", index)
    return {
        "status": "ok",
        "dir": f"{model_name}/{config}",
        "model_sha256": index["model_sha256"],
        "tensor_arena_size": index["tensor_arena_size"],
        "operators": index["operators"],
        "reverted_to_reference": [
            {k: r[k] for k in ("source_op_index", "source_op", "quantization_error") if k in r}
            for r in index["reverted_to_reference"]],
        "inferences": n_inferences,
        "intermediates": ({k: stats[k] for k in ("dir", "tensors", "bytes")}
                          if intermediates_input else None),
    }


def compare_outputs(model_dir: Path, configs: list) -> dict:
    """Whether each pair of configurations gave byte-identical outputs."""
    result = {}
    for i, a in enumerate(configs):
        for b in configs[i + 1:]:
            files = sorted(p.name for p in (model_dir / a / "outputs").iterdir())
            differ = [f for f in files
                      if (model_dir / a / "outputs" / f).read_bytes()
                      != (model_dir / b / "outputs" / f).read_bytes()]
            result[f"{a} vs {b}"] = {"identical": not differ, "differing_files": differ}
    return result


def generate_model(model_name: str, xcore_opt: Path, oracle_dir: Path, out: Path,
                   generator: dict) -> dict:
    source_rel = f"models/{model_name}/1/model.tflite"
    source = (REPO / source_rel).read_bytes()
    tflm_dir = oracle_dir / model_name
    tflm_index = json.loads((tflm_dir / "index.json").read_text())
    model_dir = out / model_name
    if model_dir.exists():
        shutil.rmtree(model_dir)

    results = {}
    sets = None
    for config, args in CONFIGS.items():
        run = run_xcore_opt(xcore_opt, source_rel, args)
        if not run["ok"]:
            results[config] = {"status": "refused", "error": run["error"]}
            print(f"  {config}: xcore-opt refused: {run['error']}")
            continue
        if sets is None:
            in_size = tensor_bytes(tflm_index["input"])
            sets = select_vectors(tflm_index, in_size)
            copy_inputs(sets, tflm_dir, model_dir / "inputs", in_size)
        results[config] = generate_config(model_name, config, run["model"], run["log"], source,
                                          sets, model_dir, generator)
        r = results[config]
        print(f"  {config}: {r['inferences']} inferences, arena {r['tensor_arena_size']}, "
              f"ops {r['operators']}, reverted {len(r['reverted_to_reference'])}")

    ok = [c for c, r in results.items() if r["status"] == "ok"]
    entry = {"source_model": source_rel, "source_model_sha256": sha256(source),
             "configs": results}
    if len(ok) > 1:
        entry["outputs_compared"] = compare_outputs(model_dir, ok)
    return entry


def tool_versions() -> dict:
    return {p: importlib.metadata.version(p)
            for p in ("xmos-ai-tools", "numpy", "tflite", "flatbuffers")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oracle-dir", type=Path, default=REPO.parent / "shared" / "oracle",
                        help="TFLM oracle to take inputs from (default: ../shared/oracle)")
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "xmos",
                        help="where to write (default: tests/data/xmos)")
    parser.add_argument("--models", default="",
                        help="comma-separated subset of models/ (default: all); the others' "
                             "entries in the summary index are kept")
    args = parser.parse_args()

    xcore_opt = Path(sys.executable).parent / "xcore-opt"
    if not xcore_opt.exists():
        sys.exit(f"no xcore-opt beside {sys.executable}: run with the venv's python "
                 "(deploy/oracle-venv.sh, then .venv-oracle/bin/python)")
    if not (args.oracle_dir / "index.json").exists():
        sys.exit(f"no TFLM oracle at {args.oracle_dir} (index.json missing); see --oracle-dir")

    all_models = sorted(p.parent.parent.name for p in (REPO / "models").glob("*/1/model.tflite"))
    models = [m for m in args.models.split(",") if m] or all_models
    unknown = sorted(set(models) - set(all_models))
    if unknown:
        sys.exit(f"not bundled models: {', '.join(unknown)} (have: {', '.join(all_models)})")

    generator = {"script": SCRIPT, "packages": tool_versions(),
                 "host_interpreter": "xmos_ai_tools.xinterpreters.TFLMHostInterpreter",
                 "inputs_from": "the TFLM oracle (../shared/oracle), copied into <model>/inputs"}
    args.out.mkdir(parents=True, exist_ok=True)
    summary_path = args.out / "index.json"
    summary = {"models": {}}
    if args.models and summary_path.exists():
        summary = json.loads(summary_path.read_text())

    for m in models:
        print(f"{m}:")
        summary["models"][m] = generate_model(m, xcore_opt, args.oracle_dir, args.out, generator)

    summary = {"generator": {**generator, "configs": CONFIGS},
               "models": dict(sorted(summary["models"].items()))}
    write_json(summary_path, summary)

    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{args.out}: {total} bytes ({total / 2**20:.2f} MiB) in "
          f"{sum(1 for p in args.out.rglob('*') if p.is_file())} files")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except GenerationError as e:
        sys.exit(f"generate_xmos_oracle: {e}")
