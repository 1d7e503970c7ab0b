"""Triton's own gRPC client (tritonclient.grpc) against tinyserve's
inference.GRPCInferenceService: health, metadata, config, and inference on
every bundled model, bit-exact with TensorFlow Lite Micro's outputs."""
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException
import grpc

import harness


@pytest.fixture(scope="module")
def client(server):
    c = grpcclient.InferenceServerClient(url=server.grpc_url)
    yield c
    c.close()


@pytest.fixture(scope="module")
def stub(server):
    """tritonclient's generated stub, for what its wrapper cannot send (typed contents)."""
    channel = grpc.insecure_channel(server.grpc_url)
    yield service_pb2_grpc.GRPCInferenceServiceStub(channel)
    channel.close()


def test_server_live_and_ready(client):
    assert client.is_server_live()
    assert client.is_server_ready()


def test_server_metadata(client):
    md = client.get_server_metadata()
    assert md.name == "tinyserve"
    assert md.version
    # The extensions tinyserve implements (docs/kserve.md).
    for ext in ("binary_tensor_data", "classification", "model_repository", "statistics"):
        assert ext in md.extensions, md.extensions


def test_every_bundled_model_ready_with_metadata_and_config(client):
    index = client.get_model_repository_index()
    listed = {m.name for m in index.models}
    for name in harness.bundled_models():
        assert name in listed
        assert client.is_model_ready(name), name
        md = client.get_model_metadata(name)
        assert md.name == name
        assert md.versions and all(v.isdigit() for v in md.versions)
        assert md.inputs and md.outputs
        config = client.get_model_config(name).config
        assert config.name == name
        assert config.max_batch_size == 0  # perf_analyzer reads this: no batch dimension
        assert [i.name for i in config.input] == [i.name for i in md.inputs]
        assert [list(i.dims) for i in config.input] == [list(i.shape) for i in md.inputs]
        # Config datatypes are TYPE_INT8 where metadata says INT8.
        assert [grpcclient.model_config_pb2.DataType.Name(i.data_type) for i in config.input] == \
            [f"TYPE_{i.datatype}" for i in md.inputs]


def test_metadata_matches_the_oracle(client, oracle):
    for name, m in oracle.items():
        md = client.get_model_metadata(name)
        assert [(i.name, i.datatype, list(i.shape)) for i in md.inputs] == \
            [(m.input_name, harness.KSERVE_DATATYPE[m.input_dtype], m.input_shape)], name
        assert [(o.datatype, list(o.shape)) for o in md.outputs] == \
            [(harness.KSERVE_DATATYPE[m.output_dtype], m.output_shape)], name


def _output_name(client, model):
    return client.get_model_metadata(model).outputs[0].name  # once per model, not per vector


def test_raw_tensors_bit_exact_with_oracle(client, oracle):
    """InferInput.set_data_from_numpy sends raw_input_contents; the answer
    comes back in raw_output_contents."""
    checked = 0
    for name, m in oracle.items():
        out_name = _output_name(client, name)
        for v in m.vectors:
            inp = grpcclient.InferInput(m.input_name, m.input_shape,
                                        harness.KSERVE_DATATYPE[m.input_dtype])
            inp.set_data_from_numpy(v.input)
            result = client.infer(name, [inp])
            got = result.as_numpy(out_name)
            assert got is not None, f"{name} {v.name}: no output {out_name}"
            assert got.dtype == v.output.dtype and list(got.shape) == m.output_shape
            np.testing.assert_array_equal(got, v.output, err_msg=f"{name} {v.name}")
            checked += 1
    assert checked >= 6 * 14


def _typed_request(m, name, values, datatype):
    request = service_pb2.ModelInferRequest(model_name=name)
    tensor = request.inputs.add(name=m.input_name, datatype=datatype, shape=m.input_shape)
    flat = values.ravel().tolist()
    if datatype == "FP32":
        tensor.contents.fp32_contents.extend(flat)
    else:  # INT8, INT16: int_contents; UINT8: uint_contents
        (tensor.contents.uint_contents if datatype.startswith("UINT")
         else tensor.contents.int_contents).extend(flat)
    return request


def _raw_output(response, m):
    assert len(response.raw_output_contents) == 1 or response.outputs[0].HasField("contents")
    if response.raw_output_contents:
        return np.frombuffer(response.raw_output_contents[0],
                             dtype=harness.NUMPY_OF_DTYPE[m.output_dtype]).reshape(m.output_shape)
    return np.array(response.outputs[0].contents.int_contents,
                    dtype=harness.NUMPY_OF_DTYPE[m.output_dtype]).reshape(m.output_shape)


def test_typed_contents_bit_exact_with_oracle(stub, oracle):
    """ModelInferRequest with typed `contents` (int_contents for INT8)."""
    for name, m in oracle.items():
        for v in m.vectors:
            response = stub.ModelInfer(_typed_request(
                m, name, v.input, harness.KSERVE_DATATYPE[m.input_dtype]), timeout=30)
            assert response.model_name == name
            np.testing.assert_array_equal(_raw_output(response, m), v.output,
                                          err_msg=f"{name} {v.name}")


def test_fp32_inputs_are_quantized_like_classify(client, stub, oracle):
    """FP32 values that quantize exactly onto the oracle's int8 input give the
    oracle's output, sent raw (tritonclient) and typed (fp32_contents)."""
    for name, m in oracle.items():
        out_name = _output_name(client, name)
        for v in m.vectors[:4]:
            floats = harness.dequantized(m, v.input)
            inp = grpcclient.InferInput(m.input_name, m.input_shape, "FP32")
            inp.set_data_from_numpy(floats)
            result = client.infer(name, [inp])
            np.testing.assert_array_equal(result.as_numpy(out_name), v.output,
                                          err_msg=f"{name} {v.name} FP32 raw")
            params = result.get_response().parameters
            assert params["tinyserve.input_clipped"].int64_param == 0
            response = stub.ModelInfer(_typed_request(m, name, floats, "FP32"), timeout=30)
            np.testing.assert_array_equal(_raw_output(response, m), v.output,
                                          err_msg=f"{name} {v.name} FP32 typed")


def test_parameters_select_device_and_carry_metrics(client, oracle):
    m = oracle["vww_96_int8"]
    v = m.vectors[0]
    inp = grpcclient.InferInput(m.input_name, m.input_shape, "INT8")
    inp.set_data_from_numpy(v.input)
    for device in ("ref", "host"):
        result = client.infer("vww_96_int8", [inp], parameters={"device": device})
        params = result.get_response().parameters
        assert params["tinyserve.device"].string_param == device
        assert params["tinyserve.total_us"].double_param > 0
        np.testing.assert_array_equal(result.as_numpy(_output_name(client, "vww_96_int8")),
                                      v.output)


def test_classification_extension(client, oracle):
    """InferRequestedOutput(class_count=k): the top k as "value:index:label"."""
    m = oracle["vww_96_int8"]
    v = m.vectors[0]
    inp = grpcclient.InferInput(m.input_name, m.input_shape, "INT8")
    inp.set_data_from_numpy(v.input)
    out_name = _output_name(client, "vww_96_int8")
    result = client.infer("vww_96_int8", [inp],
                          outputs=[grpcclient.InferRequestedOutput(out_name, class_count=2)])
    classes = [c.decode() for c in result.as_numpy(out_name).ravel()]
    assert len(classes) == 2
    raw = v.output.ravel()
    best = int(np.argmax(raw))  # ties: lower index first, as argmax
    value, index = classes[0].split(":")[:2]
    assert (int(value), int(index)) == (int(raw[best]), best)


def _status(e: InferenceServerException) -> str:
    return str(e.status())


def test_unknown_model_is_not_found(client, oracle):
    m = oracle["ad01_int8"]
    inp = grpcclient.InferInput(m.input_name, m.input_shape, "INT8")
    inp.set_data_from_numpy(m.vectors[0].input)
    with pytest.raises(InferenceServerException) as e:
        client.infer("no_such_model", [inp])
    assert _status(e.value) == "StatusCode.NOT_FOUND"
    assert "no_such_model" in e.value.message()
    # Readiness of an unknown model: NOT_FOUND (or plain false).
    try:
        assert not client.is_model_ready("no_such_model")
    except InferenceServerException as e2:
        assert _status(e2) == "StatusCode.NOT_FOUND"


def test_bad_shape_is_invalid_argument(client, oracle):
    m = oracle["ad01_int8"]
    inp = grpcclient.InferInput(m.input_name, [1, 320], "INT8")
    inp.set_data_from_numpy(m.vectors[0].input.reshape(-1)[:320].reshape(1, 320))
    with pytest.raises(InferenceServerException) as e:
        client.infer("ad01_int8", [inp])
    assert _status(e.value) == "StatusCode.INVALID_ARGUMENT"
    assert "shape" in e.value.message() and "[1,320]" in e.value.message().replace(" ", "")


def test_bad_datatype_is_invalid_argument(client, oracle):
    m = oracle["ad01_int8"]
    inp = grpcclient.InferInput(m.input_name, m.input_shape, "INT32")
    inp.set_data_from_numpy(m.vectors[0].input.astype(np.int32))
    with pytest.raises(InferenceServerException) as e:
        client.infer("ad01_int8", [inp])
    assert _status(e.value) == "StatusCode.INVALID_ARGUMENT"
    assert "INT32" in e.value.message()


def test_wrong_input_name_is_invalid_argument(client, oracle):
    m = oracle["ad01_int8"]
    inp = grpcclient.InferInput("not_an_input", m.input_shape, "INT8")
    inp.set_data_from_numpy(m.vectors[0].input)
    with pytest.raises(InferenceServerException) as e:
        client.infer("ad01_int8", [inp])
    assert _status(e.value) == "StatusCode.INVALID_ARGUMENT"
    assert "not_an_input" in e.value.message()


def test_statistics_count_inferences(client, oracle):
    before = client.get_inference_statistics("hello_world_int8").model_stats[0]
    m = oracle["hello_world_int8"]
    out_name = _output_name(client, "hello_world_int8")
    for v in m.vectors[:3]:
        inp = grpcclient.InferInput(m.input_name, m.input_shape, "INT8")
        inp.set_data_from_numpy(v.input)
        client.infer("hello_world_int8", [inp], outputs=[grpcclient.InferRequestedOutput(out_name)])
    after = client.get_inference_statistics("hello_world_int8").model_stats[0]
    assert after.inference_count - before.inference_count == 3
    assert after.inference_stats.success.count - before.inference_stats.success.count == 3


def _edge(m, name):
    return next(v for v in m.vectors if v.name.startswith(f"edge/{name}_input"))


def test_fp32_out_of_range_clamps_and_nan_follows_non_finite(client, oracle):
    """FP32 far above the range clamps to the dtype maximum (the oracle's
    edge_max vector), counted in input_clipped; NaN is refused by default and,
    with parameter non_finite=quantize, becomes the zero point (edge_zp)."""
    m = oracle["ad01_int8"]
    out_name = _output_name(client, "ad01_int8")
    count = int(np.prod(m.input_shape))

    def fp32(values):
        inp = grpcclient.InferInput(m.input_name, m.input_shape, "FP32")
        inp.set_data_from_numpy(np.full(m.input_shape, values, dtype=np.float32))
        return inp

    result = client.infer("ad01_int8", [fp32(1e6)])
    np.testing.assert_array_equal(result.as_numpy(out_name), _edge(m, "edge_max").output)
    assert result.get_response().parameters["tinyserve.input_clipped"].int64_param == count

    with pytest.raises(InferenceServerException) as e:
        client.infer("ad01_int8", [fp32(np.nan)])
    assert _status(e.value) == "StatusCode.INVALID_ARGUMENT"
    assert "NaN" in e.value.message() or "nan" in e.value.message()

    result = client.infer("ad01_int8", [fp32(np.nan)], parameters={"non_finite": "quantize"})
    np.testing.assert_array_equal(result.as_numpy(out_name), _edge(m, "edge_zp").output)
    assert result.get_response().parameters["tinyserve.input_non_finite"].int64_param == count
