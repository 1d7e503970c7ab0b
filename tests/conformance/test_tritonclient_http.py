"""Triton's own HTTP client (tritonclient.http) against tinyserve's REST /v2
on the HTTP port: health, metadata, config, and inference on every bundled
model with binary tensors (its default) and JSON tensors, bit-exact with
TensorFlow Lite Micro's outputs."""
import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

import harness


@pytest.fixture(scope="module")
def client(server):
    c = httpclient.InferenceServerClient(url=server.http_url)
    yield c
    c.close()


def test_server_live_and_ready(client):
    assert client.is_server_live()
    assert client.is_server_ready()


def test_server_metadata(client):
    md = client.get_server_metadata()
    assert md["name"] == "tinyserve"
    assert md["version"]
    for ext in ("binary_tensor_data", "classification", "model_repository", "statistics"):
        assert ext in md["extensions"], md["extensions"]


def test_every_bundled_model_ready_with_metadata_and_config(client):
    listed = {m["name"] for m in client.get_model_repository_index()}
    for name in harness.bundled_models():
        assert name in listed
        assert client.is_model_ready(name), name
        md = client.get_model_metadata(name)
        assert md["name"] == name
        assert md["versions"] and all(v.isdigit() for v in md["versions"])
        config = client.get_model_config(name)
        assert config["name"] == name
        assert config.get("max_batch_size", 0) == 0
        assert [i["name"] for i in config["input"]] == [i["name"] for i in md["inputs"]]
        assert [[int(d) for d in i["dims"]] for i in config["input"]] == \
            [i["shape"] for i in md["inputs"]]
        assert [i["data_type"] for i in config["input"]] == \
            [f"TYPE_{i['datatype']}" for i in md["inputs"]]
        # A version named explicitly answers the same.
        assert client.get_model_metadata(name, model_version=md["versions"][-1])["name"] == name


def test_metadata_matches_the_oracle(client, oracle):
    for name, m in oracle.items():
        md = client.get_model_metadata(name)
        assert [(i["name"], i["datatype"], i["shape"]) for i in md["inputs"]] == \
            [(m.input_name, harness.KSERVE_DATATYPE[m.input_dtype], m.input_shape)], name
        assert [(o["datatype"], o["shape"]) for o in md["outputs"]] == \
            [(harness.KSERVE_DATATYPE[m.output_dtype], m.output_shape)], name


_output_names = {}


def _infer(client, name, m, data, datatype, binary):
    if name not in _output_names:
        _output_names[name] = client.get_model_metadata(name)["outputs"][0]["name"]
    out_name = _output_names[name]
    inp = httpclient.InferInput(m.input_name, m.input_shape, datatype)
    inp.set_data_from_numpy(data, binary_data=binary)
    result = client.infer(name, [inp],
                          outputs=[httpclient.InferRequestedOutput(out_name, binary_data=binary)])
    return result, result.as_numpy(out_name)


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_every_vector_bit_exact_with_oracle(client, oracle, binary):
    checked = 0
    for name, m in oracle.items():
        for v in m.vectors:
            _, got = _infer(client, name, m, v.input, harness.KSERVE_DATATYPE[m.input_dtype],
                            binary)
            assert got is not None and list(got.shape) == m.output_shape, f"{name} {v.name}"
            np.testing.assert_array_equal(got.astype(v.output.dtype), v.output,
                                          err_msg=f"{name} {v.name}")
            checked += 1
    assert checked >= 6 * 14


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_fp32_inputs_are_quantized_like_classify(client, oracle, binary):
    for name, m in oracle.items():
        for v in m.vectors[:4]:
            result, got = _infer(client, name, m, harness.dequantized(m, v.input), "FP32", binary)
            np.testing.assert_array_equal(got.astype(v.output.dtype), v.output,
                                          err_msg=f"{name} {v.name} FP32")
            assert result.get_response()["parameters"]["tinyserve.input_clipped"] == 0


def test_parameters_select_device_and_carry_metrics(client, oracle):
    m = oracle["kws_ref_model"]
    v = m.vectors[0]
    inp = httpclient.InferInput(m.input_name, m.input_shape, "INT8")
    inp.set_data_from_numpy(v.input)
    for device in ("ref", "host"):
        result = client.infer("kws_ref_model", [inp], parameters={"device": device})
        params = result.get_response()["parameters"]
        assert params["tinyserve.device"] == device
        assert params["tinyserve.total_us"] > 0


def test_unknown_model_is_404(client, oracle):
    m = oracle["ad01_int8"]
    with pytest.raises(InferenceServerException) as e:
        inp = httpclient.InferInput(m.input_name, m.input_shape, "INT8")
        inp.set_data_from_numpy(m.vectors[0].input)
        client.infer("no_such_model", [inp])
    assert str(e.value.status()) == "404"
    assert "no_such_model" in e.value.message()


def test_bad_shape_is_400(client, oracle):
    m = oracle["ad01_int8"]
    inp = httpclient.InferInput(m.input_name, [1, 320], "INT8")
    inp.set_data_from_numpy(m.vectors[0].input.reshape(-1)[:320].reshape(1, 320))
    with pytest.raises(InferenceServerException) as e:
        client.infer("ad01_int8", [inp])
    assert str(e.value.status()) == "400"
    assert "shape" in e.value.message()


def test_bad_datatype_is_400(client, oracle):
    m = oracle["ad01_int8"]
    inp = httpclient.InferInput(m.input_name, m.input_shape, "INT32")
    inp.set_data_from_numpy(m.vectors[0].input.astype(np.int32))
    with pytest.raises(InferenceServerException) as e:
        client.infer("ad01_int8", [inp])
    assert str(e.value.status()) == "400"
    assert "INT32" in e.value.message()


def test_statistics_count_inferences(client, oracle):
    def count():
        stats = client.get_inference_statistics("micro_speech_quantized")["model_stats"]
        return sum(int(s.get("inference_count", 0)) for s in stats)

    before = count()
    m = oracle["micro_speech_quantized"]
    for v in m.vectors[:3]:
        _infer(client, "micro_speech_quantized", m, v.input, "INT8", True)
    assert count() - before == 3
