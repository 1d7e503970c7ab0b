#!/usr/bin/env python3
"""Per-op oracle for XC_conv2d_v2: the inputs the XMOS oracle leaves out.

tests/data/xmos/<model>/<config>/intermediates_input_00 (generate_xmos_oracle.py)
stores every op output of an xformed model for input_00 except XC_pad outputs. The
XC_conv2d_v2 ops that read an XC_pad output can therefore not be checked op by op
from it. This script fills that gap: for each such op it runs XMOS's host
interpreter (xmos-ai-tools, pinned in requirements-xmos.txt) on a copy of the
xformed model cut after the op producing the missing tensor, on input_00, and
writes the tensor's bytes under

  tests/data/xmos/ops/conv2d_v2/<model>/<config>/tNNN.bin   (a file per tensor; a
      tensor byte-identical to another configuration's is stored once, and
      index.json points there)
  tests/data/xmos/ops/conv2d_v2/index.json   {"<model>/<config>": {"<tensor>": path}}

The conv outputs to compare against are the XMOS oracle's own files. Nothing here
is computed by tinyserve. Run from the repository root with the oracle venv:

  python tests/oracle_tools/generate_xc_op_cases.py
"""
import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np
import tflite
from xmos_ai_tools.xinterpreters import TFLMHostInterpreter

ROOT = Path(__file__).resolve().parents[2]
ORACLE = ROOT / "tests" / "data" / "xmos"
OUT = ORACLE / "ops" / "conv2d_v2"
CUSTOM = 32  # BuiltinOperator CUSTOM
SUBGRAPH_OUTPUTS_SLOT = 8  # SubGraph field 2 (outputs): vtable offset 4 + 2 * 2
SUBGRAPH_OPERATORS_SLOT = 10  # SubGraph field 3 (operators)


def op_names(model):
    names = []
    sg = model.Subgraphs(0)
    for i in range(sg.OperatorsLength()):
        code = model.OperatorCodes(sg.Operators(i).OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        names.append(code.CustomCode().decode() if builtin == CUSTOM else str(builtin))
    return names


def cut_after(model_bytes: bytes, last_op: int, tensor: int) -> bytes:
    """The model with its operators vector cut to last_op + 1 and its outputs to [tensor].

    Patched in place (both vectors only shrink), so the offline memory plan and every
    other byte stay as xcore-opt wrote them; checked by reading the result back.
    """
    data = bytearray(model_bytes)
    tab = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0)._tab
    ops_at = tab.Vector(tab.Offset(SUBGRAPH_OPERATORS_SLOT))
    outs_at = tab.Vector(tab.Offset(SUBGRAPH_OUTPUTS_SLOT))
    struct.pack_into("<I", data, ops_at - 4, last_op + 1)
    struct.pack_into("<I", data, outs_at - 4, 1)
    struct.pack_into("<i", data, outs_at, tensor)
    cut = tflite.Model.GetRootAsModel(bytes(data), 0)
    original = tflite.Model.GetRootAsModel(model_bytes, 0)
    if (op_names(cut) != op_names(original)[:last_op + 1]
            or list(cut.Subgraphs(0).OutputsAsNumpy()) != [tensor]
            or list(cut.Subgraphs(0).InputsAsNumpy())
            != list(original.Subgraphs(0).InputsAsNumpy())):
        raise RuntimeError(f"cutting after op {last_op} changed more than two vectors")
    return bytes(data)


def host_output(model_bytes: bytes, input_bytes: bytes, tensor: int) -> bytes:
    """One inference in a fresh interpreter (tensors addressed by index): `tensor`'s bytes."""
    sg = tflite.Model.GetRootAsModel(model_bytes, 0).Subgraphs(0)
    inp = sg.Inputs(0)
    x = np.frombuffer(input_bytes, dtype=np.int8).reshape(sg.Tensors(inp).ShapeAsNumpy())
    with TFLMHostInterpreter() as interpreter:
        interpreter.set_model(model_content=model_bytes)
        interpreter.set_tensor(inp, x)
        interpreter.invoke()
        return interpreter.get_tensor(tensor).tobytes()


def missing_conv_inputs(model_bytes: bytes, stored: set) -> dict:
    """tensor index -> producing op index, for conv inputs (0 and 3) not in `stored`."""
    model = tflite.Model.GetRootAsModel(model_bytes, 0)
    sg = model.Subgraphs(0)
    names = op_names(model)
    producer = {}
    for i in range(sg.OperatorsLength()):
        for t in sg.Operators(i).OutputsAsNumpy():
            producer[int(t)] = i
    missing = {}
    for i, name in enumerate(names):
        if name != "XC_conv2d_v2":
            continue
        ins = sg.Operators(i).InputsAsNumpy()
        for slot in (0, 3):
            if slot < len(ins) and ins[slot] >= 0 and int(ins[slot]) not in stored:
                t = int(ins[slot])
                if t in producer:
                    missing[t] = producer[t]
    return missing


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    index = {}
    by_digest = {}  # sha256 of bytes -> path relative to OUT
    for cfg_index in sorted(ORACLE.glob("*/*/index.json")):
        cfg_dir = cfg_index.parent
        if cfg_dir.parent.parent != ORACLE or not (cfg_dir / "model.xc.tflite").exists():
            continue
        meta = json.loads(cfg_index.read_text())
        inter = meta.get("sets", {}).get("intermediates")
        if not inter:
            continue
        inter_dir = (cfg_dir / inter["dir"]).resolve()
        stored = {t["index"] for t in json.loads((inter_dir / "tensors.json").read_text())}
        model_bytes = (cfg_dir / "model.xc.tflite").read_bytes()
        input_bytes = (cfg_dir / inter["for_input"]).read_bytes()
        key = f"{cfg_dir.parent.name}/{cfg_dir.name}"
        entries = {}
        for tensor, op in sorted(missing_conv_inputs(model_bytes, stored).items()):
            data = host_output(cut_after(model_bytes, op, tensor), input_bytes, tensor)
            digest = hashlib.sha256(data).hexdigest()
            if digest not in by_digest:
                rel = f"{key}/t{tensor:03d}.bin"
                (OUT / rel).parent.mkdir(parents=True, exist_ok=True)
                (OUT / rel).write_bytes(data)
                by_digest[digest] = rel
            entries[str(tensor)] = by_digest[digest]
        if entries:
            index[key] = entries
            print(f"{key}: {len(entries)} conv inputs", file=sys.stderr)
    doc = {
        "generator": "tests/oracle_tools/generate_xc_op_cases.py",
        "packages": "tests/oracle_tools/requirements-xmos.txt",
        "note": "XC_conv2d_v2 inputs (XC_pad outputs) the XMOS oracle does not store, for "
                "input_00; keys are tensor indices in <model>/<config>/model.xc.tflite; "
                "values are paths relative to this directory",
        "tensors": index,
    }
    (OUT / "index.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
