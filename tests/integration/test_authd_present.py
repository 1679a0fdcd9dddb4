"""Holder binding through authd: a counter gets a challenge (POST /v1/challenges), the app (certctl
present) answers it with a licence authd issued to its device key, and POST /v1/verify checks the
answer once, in time, for that counter only; every verification is in the access log."""
import base64
import json
import subprocess
import time

import pytest

import hashlib

from conftest import CERTCTL, Authd, assert_problem, policies_with
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


def test_a_bound_licence_needs_its_presentation(server, phone):
    """A licence bound to the holder's phone, shown as a plain licence (its issuance QR, a screenshot, a
    forwarded copy) proves nothing about who shows it: invalid, with or without the counter's challenge,
    and the challenge is not spent on it."""
    doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS,
                   device_key=(phone / "device.pub").read_text())
    text = challenge(server)
    for body in ({"licence": doc["licence"]}, {"qr": doc["qr"]}, {"qr": doc["qr"], "challenge": text},
                 {"licence": doc["licence"], "challenge": text}):
        code, _, v = server.json("POST", "/v1/verify", body, token="counter-hz")
        assert code == 200 and v["verdict"] == "invalid" and v["reason"] == "device_signature_missing", (body, v)
        assert v["checks"]["holder"] == {"state": "failed", "reason": "device_signature_missing"}
        assert v["holder_bound"] is True and v["checks"]["signature"]["state"] == "passed"
    p = present(phone, b64d(doc["licence"]), text)
    code, _, v = server.json("POST", "/v1/verify", {"presentation": b64u(p), "challenge": text}, token="counter-hz")
    assert v["verdict"] == "valid", v
    # an unbound licence binds no one: valid, and the answer says so (the counter checks the ID card)
    plain = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    code, _, v = server.json("POST", "/v1/verify", {"licence": plain["licence"], "challenge": challenge(server)},
                             token="counter-hz")
    assert v["verdict"] == "valid" and v["holder_bound"] is False
    assert v["checks"]["holder"] == {"state": "not_applicable", "reason": None}


STRICT_TOKEN = "authd_strict_counter_token_for_tests_0123456789"


def test_a_counter_that_takes_bound_licences_only(tmp_path, phone):
    """require_holder_binding (clients.yaml): that counter refuses licences bound to no one."""
    digest = hashlib.sha256(STRICT_TOKEN.encode()).hexdigest()
    policies = policies_with(tmp_path, f"""  - id: counter-strict
    name: 高风险事项窗口
    role: counter
    matters: [ZJ-BDCZY-001]
    require_holder_binding: true
    token_sha256: {digest}
""")
    s = Authd(tmp_path, policies_dir=policies).start()
    try:
        plain = issue_ok(s, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
        headers = {"authorization": f"Bearer {STRICT_TOKEN}", "content-type": "application/json"}
        code, _, body = s.request("POST", "/v1/verify", json.dumps({"licence": plain["licence"]}).encode(), headers,
                                  token=None)
        v = json.loads(body)
        assert code == 200 and v["verdict"] == "invalid" and v["reason"] == "not_holder_bound", v
        code, _, v = s.json("POST", "/v1/verify", {"licence": plain["licence"]}, token="counter-hz")
        assert v["verdict"] == "valid"
    finally:
        assert s.stop() == 0, s.stderr_path.read_text()


def test_challenge_quota_per_counter(tmp_path):
    """One counter cannot take every challenge slot: per_counter in any ttl, then 429 with Retry-After;
    other counters are unaffected, and the quota comes back as challenges age."""
    s = Authd(tmp_path, extra_config="challenges:\n  ttl: 2\n  per_counter: 8\n").start()
    try:
        for _ in range(8):
            assert s.json("POST", "/v1/challenges", {}, token="counter-hz")[0] == 201
        code, headers, doc = s.json("POST", "/v1/challenges", {}, token="counter-hz")
        assert_problem(code, headers, doc, 429, "challenge_quota")
        assert 1 <= int(headers["retry-after"]) <= 3
        assert s.json("POST", "/v1/challenges", {}, token="counter-hz-full")[0] == 201
        time.sleep(3.1)
        assert s.json("POST", "/v1/challenges", {}, token="counter-hz")[0] == 201
    finally:
        assert s.stop() == 0, s.stderr_path.read_text()
