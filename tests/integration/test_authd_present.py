"""Holder binding through authd: a counter gets a challenge (POST /v1/challenges), the app (certctl
present) answers it with a licence authd issued to its device key, and POST /v1/verify checks the
answer once, in time, for that counter only; every verification is in the access log."""
import base64
import subprocess
import time

import pytest

from conftest import CERTCTL, Authd, assert_problem
from test_authd_licences import HUKOU, HUKOU_ELEMENTS, PERSON, b64d, issue_ok


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Authd(tmp_path_factory.mktemp("present"), extra_config="challenges:\n  ttl: 2\n").start()
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    d = tmp_path_factory.mktemp("phone")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    str(d / "device.key")], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(d / "device.key"), "-pubout", "-out", str(d / "device.pub")],
                   check=True, capture_output=True)
    return d


def challenge(server, client="counter-hz"):
    code, _, doc = server.json("POST", "/v1/challenges", {}, token=client)
    assert code == 201 and doc["challenge"].startswith(f"ELC1:{client}:") and doc["expires_in"] == 2
    return doc["challenge"]


def present(phone, licence, text, *extra):
    (phone / "licence.cbor").write_bytes(licence)
    r = subprocess.run([CERTCTL, "present", "--licence", str(phone / "licence.cbor"), "--device-key",
                        str(phone / "device.key"), "--challenge", text, "--keep", "holder_name,household_head",
                        *extra], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_presentations_verify_once_in_time_for_their_counter(server, phone):
    doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS,
                   device_key=(phone / "device.pub").read_text())
    licence = b64d(doc["licence"])
    text = challenge(server)
    p = present(phone, licence, text)
    code, _, v = server.json("POST", "/v1/verify", {"presentation": b64u(p), "challenge": text}, token="counter-hz")
    assert code == 200 and v["verdict"] == "valid", v
    assert v["checks"]["holder"] == {"state": "passed", "reason": None} and v["holder_bound"] is True
    # the same answer again: a replayed screenshot
    code, _, v = server.json("POST", "/v1/verify", {"presentation": b64u(p), "challenge": text}, token="counter-hz")
    assert code == 200 and v["verdict"] == "invalid" and v["reason"] == "challenge_replayed"
    # as QR text, and as CBOR with the challenge in the query
    text = challenge(server)
    qr = present(phone, licence, text, "--qr").decode().strip()
    code, _, v = server.json("POST", "/v1/verify", {"qr": qr, "challenge": text}, token="counter-hz")
    assert v["verdict"] == "valid"
    text = challenge(server)
    code, _, v = server.json("POST", f"/v1/verify?challenge={text}", raw=present(phone, licence, text),
                             content_type="application/cbor", token="counter-hz")
    assert v["verdict"] == "valid"
    # an answer to one challenge given with another: the holder check says which nonce it answered
    first, second = challenge(server), challenge(server)
    code, _, v = server.json("POST", "/v1/verify", {"presentation": b64u(present(phone, licence, first)),
                                                    "challenge": second}, token="counter-hz")
    assert v["verdict"] == "invalid" and v["reason"] == "challenge_nonce"
    # too late
    text = challenge(server)
    p = present(phone, licence, text)
    time.sleep(3.1)
    code, _, v = server.json("POST", "/v1/verify", {"presentation": b64u(p), "challenge": text}, token="counter-hz")
    assert v["verdict"] == "invalid" and v["reason"] == "challenge_expired"
    # another counter's challenge, a challenge never issued, none at all, a malformed one
    text = challenge(server, "counter-hz-full")
    p = present(phone, licence, text)
    assert_problem(*server.json("POST", "/v1/verify", {"presentation": b64u(p), "challenge": text},
                                token="counter-hz"), 403, "challenge_not_yours")
    assert_problem(*server.json("POST", "/v1/verify", {"presentation": b64u(p),
                                                       "challenge": "ELC1:counter-hz:AAAAAAAAAAAAAAAAAAAAAA"},
                                token="counter-hz"), 422, "unknown_challenge")
    assert_problem(*server.json("POST", "/v1/verify", {"presentation": b64u(p)}, token="counter-hz"), 422,
                   "missing_challenge")
    assert_problem(*server.json("POST", "/v1/verify", {"presentation": b64u(p), "challenge": "ELC1:x"},
                                token="counter-hz"), 422, "invalid_challenge")
    assert_problem(*server.json("POST", "/v1/verify", {"presentation": b64u(p), "licence": b64u(p)},
                                token="counter-hz"), 422, "invalid_request")


def test_challenges_are_for_counters(server):
    for who, status in [(None, 401), ("issuer-ga", 403), ("auditor", 403)]:
        assert server.json("POST", "/v1/challenges", {}, token=who)[0] == status
    texts = {challenge(server) for _ in range(50)}
    assert len(texts) == 50
