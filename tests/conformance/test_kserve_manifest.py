"""deploy/kserve/servingruntime.yaml against KServe's published ServingRuntime
CRD (tests/data/kserve/, KServe v0.20.0), offline and strictly: every object
schema that lists properties and does not say x-kubernetes-preserve-unknown-fields
gets additionalProperties: false, so a misspelt field fails here as the API
server would drop it (or, with strict field validation, refuse it)."""
import copy
import hashlib
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

import harness

MANIFEST = harness.REPO / "deploy" / "kserve" / "servingruntime.yaml"
CRD = harness.REPO / "tests" / "data" / "kserve" / "serving.kserve.io_servingruntimes.yaml"
# KServe's InferenceServiceProtocol values (pkg/constants in KServe).
KSERVE_PROTOCOLS = {"v1", "v2", "grpc-v1", "grpc-v2"}
# What the API server keeps of ObjectMeta in a manifest one writes by hand.
OBJECT_META_FIELDS = {"name", "namespace", "labels", "annotations"}


def load_crd():
    return yaml.safe_load(CRD.read_text())


def served_version(crd, version):
    return next(v for v in crd["spec"]["versions"] if v["name"] == version)


def strict(schema):
    """A copy of an openAPIV3Schema that refuses unknown fields."""
    schema = copy.deepcopy(schema)

    def visit(node):
        if isinstance(node, dict):
            if ("properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return schema


@pytest.fixture(scope="module")
def manifest():
    return yaml.safe_load(MANIFEST.read_text())


@pytest.fixture(scope="module")
def schema(manifest):
    group, version = manifest["apiVersion"].split("/")
    crd = load_crd()
    assert crd["spec"]["group"] == group
    assert crd["spec"]["names"]["kind"] == manifest["kind"]
    v = served_version(crd, version)
    assert v["served"]
    return v["schema"]["openAPIV3Schema"]


def errors(schema, document):
    validator = jsonschema.Draft7Validator(schema)
    return sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))


def test_manifest_is_valid_against_the_strict_crd_schema(manifest, schema):
    found = errors(strict(schema), manifest)
    assert not found, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in found)


def test_metadata_is_plain_object_meta(manifest):
    assert set(manifest["metadata"]) <= OBJECT_META_FIELDS, manifest["metadata"]
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", manifest["metadata"]["name"])


@pytest.mark.parametrize("path,typo", [
    (["spec"], "supportedModelFormat"),
    (["spec", "supportedModelFormats", 0], "autoselect"),
    (["spec", "containers", 0], "agrs"),
    (["spec", "containers", 0, "ports", 0], "containerport"),
    (["spec", "containers", 0, "readinessProbe", "httpGet"], "paht"),
    (["spec", "containers", 0, "resources"], "limit"),
])
def test_a_misspelt_field_fails(manifest, schema, path, typo):
    bad = copy.deepcopy(manifest)
    node = bad
    for key in path:
        node = node[key]
    node[typo] = node.get(typo.lower(), "x")
    found = errors(strict(schema), bad)
    assert found, f"{typo} at {path} was accepted"
    assert any(typo in e.message and list(e.absolute_path) == path for e in found), \
        [(list(e.absolute_path), e.message) for e in found]
    # The published schema alone lets it through: the strictness is what catches it.
    assert not errors(schema, bad)


def test_a_wrong_type_fails(manifest, schema):
    bad = copy.deepcopy(manifest)
    bad["spec"]["supportedModelFormats"][0]["priority"] = "high"
    assert errors(strict(schema), bad)
    bad = copy.deepcopy(manifest)
    bad["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080"
    assert errors(strict(schema), bad)


def test_protocols_and_model_format(manifest):
    spec = manifest["spec"]
    assert set(spec["protocolVersions"]) <= KSERVE_PROTOCOLS
    assert {"v2", "grpc-v2"} <= set(spec["protocolVersions"])
    assert {"name": "tflite", "version": "3"}.items() <= spec["supportedModelFormats"][0].items()


def test_container_args_are_real_server_flags(manifest):
    """Every flag the runtime passes is one tinyserve defines, and the ports it
    listens on are the container's ports and its probes' port."""
    source = (harness.REPO / "server" / "server_app.cc").read_text()
    defined = set(re.findall(r'add_(?:option|flag)\(\s*"(--[a-z_]+)"', source))
    (container,) = manifest["spec"]["containers"]
    args = dict(a.split("=", 1) if "=" in a else (a, "") for a in container["args"])
    assert set(args) <= defined, set(args) - defined
    assert args["--model_repository"] == "/mnt/models"  # KServe's storage initializer
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert int(args["--http_port"]) == ports["http1"]
    assert int(args["--grpc_port"]) == ports["h2c"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] == ports["http1"]
        assert container[probe]["httpGet"]["path"].startswith("/v2/health/")
    assert manifest["spec"]["annotations"]["prometheus.kserve.io/port"] == str(ports["http1"])


def test_crd_is_the_pinned_release():
    text = CRD.read_text()
    readme = (CRD.parent / "README.md").read_text()
    digest = hashlib.sha256(CRD.read_bytes()).hexdigest()
    assert digest in readme and digest in (CRD.parent / "fetch_crd.sh").read_text()
    assert "name: servingruntimes.serving.kserve.io" in text
    assert Path(CRD.parent / "fetch_crd.sh").stat().st_mode & 0o111
