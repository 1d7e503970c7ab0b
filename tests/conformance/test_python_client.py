"""Our own Python package (clients/python, installed into the venv by
deploy/conformance-venv.sh) against the server: tinyserve.v1 Classify,
Compare, metadata, model and device lists, with numpy arrays."""
import shutil
import time

import grpc
import numpy as np
import pytest

import tinyserve

import harness


@pytest.fixture(scope="module")
def client(server):
    with tinyserve.Client(server.grpc_url) as c:
        yield c


def test_list_models_and_devices(client):
    names = [m.name for m in client.list_models()]
    assert sorted(names) == harness.bundled_models()
    vww = next(m for m in client.list_models() if m.name == "vww_96_int8")
    assert vww.kind == "CLASSIFIER" and vww.versions == [1]
    assert {d.name for d in client.list_devices()} >= {"host", "ref"}


def test_metadata(client, oracle):
    for name, m in oracle.items():
        info = client.metadata(name)
        assert info.name == name and info.version == 1
        (spec,) = info.inputs
        assert spec.name == m.input_name and list(spec.shape) == m.input_shape
        assert spec.dtype == np.dtype(harness.NUMPY_OF_DTYPE[m.input_dtype])
        assert spec.scale[0] == pytest.approx(m.input_scale, rel=1e-7)
        assert spec.zero_point[0] == m.input_zero_point
        assert info.total_macs > 0 and "host" in info.arena_bytes


def test_classify_int8_arrays_bit_exact(client, oracle):
    for name, m in oracle.items():
        for v in m.vectors[:6]:
            r = client.classify(name, v.input, device="ref")
            assert r.model == name and r.version == 1
            (out,) = r.outputs
            assert out.array.dtype == v.output.dtype and out.array.shape == v.output.shape
            np.testing.assert_array_equal(out.array, v.output, err_msg=f"{name} {v.name}")
            # The dequantized values are the raw ones through the output's scale.
            expected = (v.output.astype(np.float32) - out.spec.zero_point[0]) * out.spec.scale[0]
            np.testing.assert_allclose(out.values, expected, rtol=1e-6, atol=1e-7)
            assert r.metrics.device == "ref" and r.metrics.latency_us["total"] > 0
            assert r.metrics.input_sqnr_db is None  # raw input: nothing was quantized


def test_classify_float_arrays_are_quantized(client, oracle):
    m = oracle["vww_96_int8"]
    v = m.vectors[0]
    r = client.classify("vww_96_int8", harness.dequantized(m, v.input), top_k=2)
    np.testing.assert_array_equal(r.outputs[0].array, v.output)
    assert r.kind == "CLASSIFIER" and len(r.classes) == 2
    assert r.classes[0].raw == int(v.output.max())
    assert r.classes[0].label  # vww has labels
    assert r.metrics.input_clipped == 0
    assert r.metrics.input_sqnr_db is None or r.metrics.input_sqnr_db > 40
    # float64 is cast to float32 first.
    r64 = client.classify("vww_96_int8", harness.dequantized(m, v.input).astype(np.float64))
    np.testing.assert_array_equal(r64.outputs[0].array, v.output)


def test_autoencoder_score(client, oracle):
    m = oracle["ad01_int8"]
    r = client.classify("ad01_int8", m.vectors[0].input)
    assert r.kind == "AUTOENCODER" and r.score is not None and r.score >= 0


def test_compare_devices(client, oracle):
    m = oracle["kws_ref_model"]
    v = m.vectors[0]
    c = client.compare("kws_ref_model", v.input, devices=["ref", "host"])
    assert list(c.results) == ["ref", "host"]
    for device, result in c.results.items():
        np.testing.assert_array_equal(result.outputs[0].array, v.output, err_msg=device)
    (pair,) = c.pairs
    assert (pair.device_a, pair.device_b, pair.bit_exact, pair.differing_elements) == \
        ("ref", "host", True, 0)
    assert pair.first_diff_index is None and pair.top1_agrees


def test_shadow_mismatches_without_shadow_config(client):
    with pytest.raises(tinyserve.TinyserveError) as e:
        client.shadow_mismatches("vww_96_int8")
    assert e.value.code == grpc.StatusCode.FAILED_PRECONDITION and "shadow" in e.value.details


def test_shadow_traffic_counts(tmp_path, oracle):
    """A repository whose kws model shadows every request (ref serves, host
    shadows): the sampled count reaches the requests sent, none mismatch."""
    model = tmp_path / "kws_ref_model"
    shutil.copytree(harness.models_dir() / "kws_ref_model", model)
    with open(model / "config.pbtxt", "a") as f:
        f.write('\ndefault_device: "ref"\nshadow { device: "host" sample_fraction: 1 }\n')
    server = harness.Server(repository=tmp_path)
    try:
        with tinyserve.Client(server.grpc_url) as c:
            m = oracle["kws_ref_model"]
            for v in m.vectors[:5]:
                assert c.classify("kws_ref_model", v.input).metrics.device == "ref"
            deadline = time.monotonic() + 20
            while (s := c.shadow_mismatches("kws_ref_model")).sampled < 5:
                assert time.monotonic() < deadline, s
                time.sleep(0.05)
            assert (s.sampled, s.mismatched, s.mismatches) == (5, 0, [])
    finally:
        assert server.stop() == 0, server.log()


def test_errors_carry_the_status(client, oracle):
    with pytest.raises(tinyserve.TinyserveError) as e:
        client.classify("no_such_model", np.zeros(4, np.int8))
    assert e.value.code == grpc.StatusCode.NOT_FOUND and "no_such_model" in e.value.details
    with pytest.raises(tinyserve.TinyserveError) as e:
        client.classify("ad01_int8", np.zeros(10, np.int8))
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(tinyserve.TinyserveError) as e:
        client.compare("ad01_int8", oracle["ad01_int8"].vectors[0].input, devices=["host"])
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(TypeError, match="int32"):
        client.classify("ad01_int8", np.zeros(640, np.int32))
