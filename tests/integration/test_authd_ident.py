"""authd's /v1/ident routes and the error handling every route shares, over real HTTP."""
import json
import socket
import subprocess

from conftest import CERTCTL, assert_problem, run_certctl


def test_healthz(authd):
    status, headers, doc = authd.json("GET", "/healthz")
    assert status == 200 and doc == {"status": "ok", "schema_version": 7}
    assert headers["cache-control"] == "no-store"


def test_get_matches_certctl(authd):
    for number in ["33010219200403064X", "91110000600037341L", "110101491001001", "830000198802110027",
                   "932682198501010017", "12345678-8", "11010519491231002Y", "110201199312010077"]:
        status, _, body = authd.request("GET", f"/v1/ident/{number}")
        assert status == 200
        expected = run_certctl("check", "--json", number).stdout.decode().strip()
        assert body.decode() == expected  # the same bytes: one renderer in certlib


def test_get_percent_encoding(authd):
    status, _, doc = authd.json("GET", "/v1/ident/%00abc")
    assert status == 200 and doc["reason"] == "ident_encoding"
    status, _, doc = authd.json("GET", "/v1/ident/11010519491231002%78")  # %78 = x
    assert status == 200 and doc["valid"] and doc["normalized"] == "11010519491231002X"
    assert_problem(*authd.json("GET", "/v1/ident/12%zz"), 400, "bad_path_encoding")
    status, _, doc = authd.json("GET", "/v1/ident/" + "9" * 5000)
    assert status == 200 and doc["reason"] == "ident_length" and doc["input_truncated"]


def test_batch(authd):
    numbers = ["11010519491231002X", "bad", "", "91110000600037341L", "\u0000", "中文"]
    status, headers, doc = authd.json("POST", "/v1/ident/check", {"numbers": numbers})
    assert status == 200 and headers["content-type"] == "application/json"
    assert doc["count"] == 6 and doc["valid"] == 2
    assert [r["input"] for r in doc["results"]] == numbers
    assert [r["reason"] for r in doc["results"]] == [None, "ident_length", "ident_empty", None, "ident_encoding",
                                                     "ident_length"]
    status, _, doc = authd.json("POST", "/v1/ident/check", {"numbers": []})
    assert status == 200 and doc == {"count": 0, "valid": 0, "results": []}


def test_batch_limit(authd):
    numbers = ["11010519491231002X"] * 10000
    status, _, doc = authd.json("POST", "/v1/ident/check", {"numbers": numbers})
    assert status == 200 and doc["valid"] == 10000
    assert_problem(*authd.json("POST", "/v1/ident/check", {"numbers": numbers + ["x"]}), 413, "batch_too_large")


def test_batch_bad_requests(authd):
    post = lambda **kw: authd.json("POST", "/v1/ident/check", **kw)
    assert_problem(*post(raw=b'{"numbers": ["1",'), 400, "malformed_json")
    assert_problem(*post(raw=b'{"numbers": ["\xff"]}'), 400, "invalid_utf8")
    assert_problem(*post(doc=["1"]), 400, "invalid_request")
    assert_problem(*post(doc={"numbers": "1"}), 400, "invalid_request")
    assert_problem(*post(doc={"numbers": [1]}), 400, "invalid_request")
    assert_problem(*post(doc={"numbers": [], "extra": 1}), 400, "unknown_field")
    assert_problem(*post(raw=b'{"numbers": [], "numbers": []}'), 400, "malformed_json")
    assert_problem(*post(raw=b"", content_type="application/json"), 400, "malformed_json")
    assert_problem(*post(doc={"numbers": []}, content_type="text/plain"), 415, "unsupported_media_type")
    # The detail never quotes the body: it may hold an identity number.
    status, _, doc = post(raw=b'{"numbers": [11010519491231002X]}')
    assert status == 400 and "11010519491231002X" not in json.dumps(doc)


def test_oversized_body_http1(authd):
    # Just over the limit: the router answers after reading the body.
    status, headers, body = authd.request("POST", "/v1/ident/check", b" " * (1024 * 1024 + 1),
                                          {"content-type": "application/json"})
    assert_problem(status, headers, json.loads(body), 413, "body_too_large")
    # Far over it: h2o refuses on the Content-Length alone, before reading the body or routing.
    with socket.create_connection(("127.0.0.1", authd.port), timeout=10) as conn:
        conn.sendall(b"POST /v1/ident/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 67108864\r\n\r\n")
        response = b""
        while chunk := conn.recv(65536):
            response += chunk
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ") and b"content-type: application/problem+json" in head
    assert json.loads(body)["code"] == "body_too_large"


def curl(*args):
    r = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code} %{http_version}", *args],
                       capture_output=True, timeout=60)
    body, _, tail = r.stdout.rpartition(b"\n")
    code, version = tail.decode().split()
    return int(code), version, body


def test_oversized_body_http2(authd, tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b" " * (1024 * 1024 + 1))
    code, version, body = curl("--http2-prior-knowledge", "-H", "content-type: application/json",
                               "--data-binary", f"@{big}", authd.url + "/v1/ident/check")
    assert (code, version) == (413, "2")
    assert json.loads(body)["code"] == "body_too_large"


def test_routing_errors(authd):
    assert_problem(*authd.json("GET", "/nope"), 404, "not_found")
    assert_problem(*authd.json("GET", "/v1/ident"), 404, "not_found")
    assert_problem(*authd.json("GET", "/v1/ident/"), 404, "not_found")
    status, headers, doc = authd.json("DELETE", "/healthz")
    assert_problem(status, headers, doc, 405, "method_not_allowed")
    assert headers["allow"] == "GET"
    status, headers, doc = authd.json("PUT", "/v1/ident/check", {"numbers": []})
    assert status == 405 and "POST" in headers["allow"]
    status, _, body = authd.request("HEAD", "/healthz")
    assert status == 200 and body == b""


def test_header_limit(authd):
    status, headers, body = authd.request("GET", "/healthz", headers={"x-filler": "a" * 9000})
    assert_problem(status, headers, json.loads(body), 431, "headers_too_large")


def test_access_log_has_no_identity_numbers(authd):
    number = "33010219200403064X"
    authd.request("GET", f"/v1/ident/{number}")
    authd.request("GET", f"/v1/idnet/{number}")  # a typo'd route still must not log the number
    authd.json("POST", "/v1/ident/check", {"numbers": [number]})
    authd.stop()
    lines = [json.loads(line) for line in authd.access_log.read_text().splitlines()]
    assert number not in authd.access_log.read_text()
    # Workers log when a request is done, so lines from different connections may come in any order.
    assert sorted((l["method"], l["route"], l["status"]) for l in lines) == [
        ("GET", "/v1/ident/{number}", 200), ("GET", "/v1/idnet/{redacted}", 404), ("POST", "/v1/ident/check", 200)]
    assert all(l["remote"] == "127.0.0.1" and l["proto"] == "HTTP/1.1" and l["bytes"] > 0 for l in lines)
