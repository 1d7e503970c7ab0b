"""KServe v2 REST with plain HTTP (Python's http.client, no KServe library):
the routes, JSON tensors, Triton's binary-tensor extension, keep-alive, and
every error path, each answered with a status and a JSON {"error": ...}."""
import http.client
import json

import numpy as np
import pytest

import harness

MODEL = "ad01_int8"  # int8 [1,640] -> int8 [1,640]


@pytest.fixture
def conn(server):
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    yield c
    c.close()


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r, r.read()


def json_infer_body(m, values, datatype="INT8", binary_output=False):
    return json.dumps({
        "id": "conformance-1",
        "inputs": [{"name": m.input_name, "shape": m.input_shape, "datatype": datatype,
                    "data": np.asarray(values).ravel().tolist()}],
        "outputs": [{"name": OUTPUT, "parameters": {"binary_data": binary_output}}],
    })


OUTPUT = None  # the model's output name, read from its metadata (module fixture)


@pytest.fixture(scope="module", autouse=True)
def output_name(server):
    global OUTPUT
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    c.request("GET", f"/v2/models/{MODEL}")
    OUTPUT = json.loads(c.getresponse().read())["outputs"][0]["name"]
    c.close()


def assert_error(response, body, status, *fragments):
    assert response.status == status, (response.status, body[:300])
    assert response.getheader("Content-Type", "").startswith("application/json")
    message = json.loads(body)["error"]
    assert message, "an error needs a message"
    for f in fragments:
        assert f in message, (f, message)
    return message


def test_routes(conn):
    r, body = request(conn, "GET", "/v2")
    assert r.status == 200
    md = json.loads(body)
    assert md["name"] == "tinyserve" and "binary_tensor_data" in md["extensions"]
    for path in ("/v2/health/live", "/v2/health/ready", f"/v2/models/{MODEL}/ready",
                 f"/v2/models/{MODEL}/versions/1/ready"):
        r, _ = request(conn, "GET", path)
        assert r.status == 200, path
    for path in (f"/v2/models/{MODEL}", f"/v2/models/{MODEL}/versions/1"):
        r, body = request(conn, "GET", path)
        assert r.status == 200, path
        md = json.loads(body)
        assert md["name"] == MODEL and md["inputs"][0]["datatype"] == "INT8"
    r, body = request(conn, "GET", f"/v2/models/{MODEL}/config")
    assert r.status == 200 and json.loads(body)["max_batch_size"] == 0
    r, body = request(conn, "GET", f"/v2/models/{MODEL}/stats")
    assert r.status == 200 and json.loads(body)["model_stats"][0]["name"] == MODEL


def test_json_infer_bit_exact_and_keep_alive(conn, oracle):
    m = oracle[MODEL]
    sockets = set()
    for v in m.vectors[:5]:
        r, body = request(conn, "POST", f"/v2/models/{MODEL}/infer", json_infer_body(m, v.input),
                          {"Content-Type": "application/json"})
        assert r.status == 200, body[:300]
        assert r.getheader("Connection", "").lower() != "close"
        sockets.add(id(conn.sock))
        answer = json.loads(body)
        assert answer["model_name"] == MODEL and answer["id"] == "conformance-1"
        out = answer["outputs"][0]
        assert (out["name"], out["datatype"], out["shape"]) == (OUTPUT, "INT8", m.output_shape)
        np.testing.assert_array_equal(np.array(out["data"], dtype=np.int8).reshape(m.output_shape),
                                      v.output, err_msg=v.name)
        assert answer["parameters"]["tinyserve.device"] == "host"
    assert len(sockets) == 1, "keep-alive: every request on one connection"


def binary_body(m, raw, datatype="INT8", size=None, header_extra=None):
    header = {"inputs": [{"name": m.input_name, "shape": m.input_shape, "datatype": datatype,
                          "parameters": {"binary_data_size": len(raw) if size is None else size}}],
              "outputs": [{"name": OUTPUT, "parameters": {"binary_data": True}}]}
    header.update(header_extra or {})
    text = json.dumps(header).encode()
    return text + raw, len(text)


def test_binary_extension_bit_exact(conn, oracle):
    m = oracle[MODEL]
    for v in m.vectors[:5]:
        body, header_length = binary_body(m, v.input.tobytes())
        r, answer = request(conn, "POST", f"/v2/models/{MODEL}/infer", body,
                            {"Content-Type": "application/octet-stream",
                             "Inference-Header-Content-Length": str(header_length)})
        assert r.status == 200, answer[:300]
        n = int(r.getheader("Inference-Header-Content-Length"))
        header = json.loads(answer[:n])
        out = header["outputs"][0]
        size = out["parameters"]["binary_data_size"]
        assert "data" not in out and n + size == len(answer)
        got = np.frombuffer(answer[n:n + size], dtype=np.int8).reshape(m.output_shape)
        np.testing.assert_array_equal(got, v.output, err_msg=v.name)


def test_fp32_json_infer(conn, oracle):
    m = oracle[MODEL]
    v = m.vectors[0]
    r, body = request(conn, "POST", f"/v2/models/{MODEL}/infer",
                      json_infer_body(m, harness.dequantized(m, v.input), "FP32"))
    assert r.status == 200, body[:300]
    out = json.loads(body)["outputs"][0]
    np.testing.assert_array_equal(np.array(out["data"], dtype=np.int8).reshape(m.output_shape),
                                  v.output)


def test_unknown_model_is_404(conn, oracle):
    m = oracle[MODEL]
    r, body = request(conn, "POST", "/v2/models/no_such_model/infer",
                      json_infer_body(m, m.vectors[0].input))
    assert_error(r, body, 404, "no_such_model")
    r, body = request(conn, "GET", "/v2/models/no_such_model")
    assert_error(r, body, 404, "no_such_model")
    r, body = request(conn, "GET", f"/v2/models/{MODEL}/versions/99")
    assert r.status in (400, 404), body


def test_unknown_route_is_404(conn):
    r, body = request(conn, "GET", "/v2/nothing/here")
    assert_error(r, body, 404)


def test_bad_json_is_400_and_the_connection_still_serves(conn, oracle):
    for bad in (b"{", b"not json", b"[1,2,3]", b'{"inputs": 5}', b'{"inputs": [{"name": 1}]}',
                b"\xff\xfe\x00", b"[" * 10000 + b"]" * 10000):
        r, body = request(conn, "POST", f"/v2/models/{MODEL}/infer", bad,
                          {"Content-Type": "application/json"})
        assert_error(r, body, 400)
    m = oracle[MODEL]
    r, _ = request(conn, "POST", f"/v2/models/{MODEL}/infer", json_infer_body(m, m.vectors[0].input))
    assert r.status == 200


def test_wrong_length_is_400(conn, oracle):
    m = oracle[MODEL]
    x = m.vectors[0].input.ravel()
    # JSON data with fewer elements than the shape says.
    r, body = request(conn, "POST", f"/v2/models/{MODEL}/infer", json_infer_body(m, x[:100]))
    assert_error(r, body, 400)
    # Values outside INT8.
    r, body = request(conn, "POST", f"/v2/models/{MODEL}/infer",
                      json_infer_body(m, np.full(x.size, 300)))
    assert_error(r, body, 400)
    # Binary: binary_data_size that does not match shape and datatype.
    body_bytes, n = binary_body(m, x[:320].tobytes())
    r, body = request(conn, "POST", f"/v2/models/{MODEL}/infer", body_bytes,
                      {"Inference-Header-Content-Length": str(n)})
    assert_error(r, body, 400, "binary_data_size")
    # Binary: the body shorter than binary_data_size claims.
    body_bytes, n = binary_body(m, x[:320].tobytes(), size=640)
    r, body = request(conn, "POST", f"/v2/models/{MODEL}/infer", body_bytes,
                      {"Inference-Header-Content-Length": str(n)})
    assert_error(r, body, 400)
    # Inference-Header-Content-Length past the body, or not a number.
    body_bytes, n = binary_body(m, x.tobytes())
    for header_length in (str(len(body_bytes) + 1), "abc", "-1"):
        r, body = request(conn, "POST", f"/v2/models/{MODEL}/infer", body_bytes,
                          {"Inference-Header-Content-Length": header_length})
        assert_error(r, body, 400, "Inference-Header-Content-Length")


def test_body_too_large_is_413_before_it_is_sent(server):
    """The default limit is 4 MiB (--max_http_body_bytes); a larger
    Content-Length is refused at once, without reading the body."""
    for length in (4 * 1024 * 1024 + 1, (1 << 30) + 1):
        c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
        c.putrequest("POST", f"/v2/models/{MODEL}/infer")
        c.putheader("Content-Type", "application/json")
        c.putheader("Content-Length", str(length))
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        assert r.status == 413, (r.status, body[:200])
        assert str(length).encode() in body
        c.close()


def test_wrong_method_is_405(conn):
    r, body = request(conn, "GET", f"/v2/models/{MODEL}/infer")
    assert r.status == 405, body
    r, body = request(conn, "POST", "/v2/health/live", b"{}")
    assert r.status in (405, 413), body


def test_nested_data_and_binary_data_output(conn, oracle):
    """`data` may be nested row-major arrays; binary_data_output: true sends
    every output as a binary section."""
    m = oracle[MODEL]
    v = m.vectors[1]
    body = json.dumps({"parameters": {"binary_data_output": True},
                       "inputs": [{"name": m.input_name, "shape": m.input_shape,
                                   "datatype": "INT8", "data": v.input.tolist()}]})
    r, answer = request(conn, "POST", f"/v2/models/{MODEL}/infer", body)
    assert r.status == 200, answer[:300]
    n = int(r.getheader("Inference-Header-Content-Length"))
    got = np.frombuffer(answer[n:], dtype=np.int8).reshape(m.output_shape)
    np.testing.assert_array_equal(got, v.output)


def test_chunked_is_411_and_compressed_is_415(server, oracle):
    m = oracle[MODEL]
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    c.putrequest("POST", f"/v2/models/{MODEL}/infer")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    c.send(b"5\r\nhello\r\n0\r\n\r\n")
    r = c.getresponse()
    r.read()
    assert r.status == 411
    c.close()
    c = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    r, body = request(c, "POST", f"/v2/models/{MODEL}/infer", json_infer_body(m, m.vectors[0].input),
                      {"Content-Encoding": "gzip"})
    assert_error(r, body, 415, "gzip")
    c.close()
