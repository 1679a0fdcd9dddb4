"""OpenID4VP at the counter through authd: the counter makes a presentation request for a matter, the
wallet fetches the signed request object, answers with vp_token (here made by certctl present, the
session transcript of the request), and the counter reads the verified licences once they are recorded
in the access log. Each refusal has its reason. The request object is checked here with `cryptography`
(signature, x5c chain to the trust bundle's reader root, x509_hash client id), not with authd's code."""
import base64
import hashlib
import json
import subprocess
import time
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conftest import CERTCTL, KEYS, Authd, assert_problem
from test_authd_licences import HUKOU, HUKOU_ELEMENTS, PERSON, b64d, b64u, issue_ok

MATTER = "ZJ-HYDJ-001"  # 婚姻登记: 居民户口簿 (holder_name, holder_id, household_number, relationship, address)
ASKED = ["licence_type_code", "holder_name", "holder_id", "household_number", "relationship", "address"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Authd(tmp_path_factory.mktemp("oid4vp"), extra_config="presentation_requests:\n  ttl: 10\n").start()
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    d = tmp_path_factory.mktemp("phone")
    for name in ("device", "other"):
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                        str(d / f"{name}.key")], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", str(d / f"{name}.key"), "-pubout", "-out", str(d / f"{name}.pub")],
                       check=True, capture_output=True)
    return d


@pytest.fixture(scope="module")
def licence(server, phone):
    doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS,
                   device_key=(phone / "device.pub").read_text())
    return b64d(doc["licence"])


def create(server, counter="counter-hz", matter=MATTER, use_cause="结婚登记", **extra):
    return server.json("POST", "/v1/presentation-requests", {"matter": matter, "use_cause": use_cause, **extra},
                       token=counter)


def fetch(server, doc):
    """The wallet's side: the QR names the request URI; the request object is checked here."""
    qr = urllib.parse.urlparse(doc["qr"])
    assert qr.scheme == "openid4vp" and len(doc["qr"]) <= 300
    params = urllib.parse.parse_qs(qr.query)
    request_uri = params["request_uri"][0]
    assert request_uri == doc["request_uri"] and params["client_id"][0] == doc["client_id"]
    code, headers, body = server.request("GET", urllib.parse.urlparse(request_uri).path, token=None)
    assert code == 200, body
    assert headers["content-type"] == "application/oauth-authz-req+jwt"
    return verify_jwt(body.decode(), doc["client_id"])


def verify_jwt(jwt, client_id):
    h, p, s = jwt.split(".")
    header, payload = json.loads(b64d(h)), json.loads(b64d(p))
    assert header["alg"] == "ES256" and header["typ"] == "oauth-authz-req+jwt"
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"]]
    sig = b64d(s)
    chain[0].public_key().verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                                 f"{h}.{p}".encode(), ec.ECDSA(hashes.SHA256()))
    # the reader certificate is the trust bundle's reader root's, and for reader authentication
    trust = json.load(open(f"{KEYS}/trust.json"))
    root = x509.load_pem_x509_certificate(trust["reader_roots"][0]["certificate"].encode())
    assert chain[-1].issuer == root.subject
    root.public_key().verify(chain[-1].signature, chain[-1].tbs_certificate_bytes,
                             ec.ECDSA(chain[-1].signature_hash_algorithm))
    eku = chain[0].extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and x509.ObjectIdentifier("1.0.18013.5.1.6") in eku.value
    from cryptography.hazmat.primitives.serialization import Encoding
    digest = hashlib.sha256(chain[0].public_bytes(Encoding.DER)).digest()
    assert client_id == "x509_hash:" + b64u(digest) == payload["client_id"]
    return payload


def present(phone, licence, payload, keep=ASKED, key="device"):
    (phone / "licence.cbor").write_bytes(licence)
    r = subprocess.run([CERTCTL, "present", "--licence", str(phone / "licence.cbor"), "--device-key",
                        str(phone / f"{key}.key"), "--client-id", payload["client_id"], "--nonce", payload["nonce"],
                        "--response-uri", payload["response_uri"], "--keep", ",".join(keep)],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def post(server, payload, token):
    body = urllib.parse.urlencode({"vp_token": json.dumps(token), "state": payload["state"]}).encode()
    code, _, data = server.request("POST", urllib.parse.urlparse(payload["response_uri"]).path, body,
                                   {"content-type": "application/x-www-form-urlencoded"}, token=None)
    return code, json.loads(data)


def result(server, doc, counter="counter-hz"):
    return server.json("GET", f"/v1/presentation-requests/{doc['id']}", token=counter)


def test_the_whole_flow(server, phone, licence):
    code, headers, doc = create(server)
    assert code == 201, doc
    assert headers["cache-control"] == "no-store" and "qr_svg" not in doc
    code, _, drawn = create(server, qr_svg=True)  # as the counter page asks
    assert code == 201 and drawn["qr_svg"].startswith("<svg")
    payload = fetch(server, doc)
    assert payload["response_type"] == "vp_token" and payload["response_mode"] == "direct_post"
    assert payload["response_uri"] == doc["request_uri"].replace("/request", "/response")
    assert payload["state"] == doc["id"] and len(payload["nonce"]) >= 22
    assert payload["exp"] > payload["iat"] >= int(time.time()) - 5
    hukou, divorce = payload["dcql_query"]["credentials"]  # the matter's two types, each optional
    assert [q["id"] for q in (hukou, divorce)] == [HUKOU, "11100000000013338W003"]
    assert payload["dcql_query"]["credential_sets"] == [{"options": [[q["id"]]], "required": False}
                                                       for q in (hukou, divorce)]
    query = hukou
    assert query["format"] == "mso_mdoc"
    assert query["meta"] == {"doctype_value": "cn.gov.elicence.1"}
    paths = [c["path"] for c in query["claims"]]
    assert ["cn.gov.elicence.1", "licence_id"] in paths and ["cn.gov.elicence.1", "holder_name"] in paths
    assert [f"cn.gov.elicence.{HUKOU}.1", "household_number"] in paths
    assert not any(p[1] == "household_head" for p in paths)  # not what the matter needs
    code, state = result(server, doc)[::2]
    assert code == 200 and state["state"] == "pending"

    code, answer = post(server, payload, {HUKOU: [b64u(present(phone, licence, payload))]})
    assert code == 200 and answer == {}, answer
    code, _, got = result(server, doc)
    assert code == 200 and got["state"] == "answered" and got["verdict"] == "valid", got
    (lic,) = got["licences"]
    assert lic["verdict"] == "valid" and lic["holder_bound"] is True and lic["licence_type"] == HUKOU
    shown = {e["identifier"]: e["value"] for e in lic["elements"]}
    assert shown["household_number"] == "330106001234" and shown["holder_name"] == "张三"
    assert "household_head" not in shown  # not asked, not disclosed
    assert got["matter"]["code"] == MATTER and got["use_cause"] == "结婚登记"
    assert got["missing"] == [{"type": "11100000000013338W003", "type_name": "离婚证"}]
    assert got["disclosure"]["client"] == "counter-hz" and got["disclosure"]["matter"] == MATTER
    # the release is in the access log: a verification by the counter, for the matter, naming the licence
    entries = [json.loads(l) for l in server.access_log.read_text().splitlines()]
    assert any(e.get("route") == "/v1/presentation-requests/{id}" and e.get("status") == 200 for e in entries)


def test_replay_other_counter_and_expiry(server, phone, licence):
    code, _, doc = create(server)
    payload = fetch(server, doc)
    token = {HUKOU: [b64u(present(phone, licence, payload))]}
    assert post(server, payload, token)[0] == 200
    # the same answer again: the request is answered once
    code, answer = post(server, payload, token)
    assert code == 400 and answer["error"] == "invalid_request" and "answered" in answer["error_description"]
    # the request object is gone once answered
    code, headers, problem = server.json("GET", urllib.parse.urlparse(doc["request_uri"]).path, token=None)
    assert_problem(code, headers, problem, 410, "request_answered")
    # another counter cannot read it
    code, headers, problem = result(server, doc, counter="counter-hz-full")
    assert_problem(code, headers, problem, 404, "unknown_request")
    # an answer made for one request, posted to another: the transcript differs
    code, _, second = create(server)
    other = fetch(server, second)
    code, answer = post(server, other, token)
    assert code == 400 and answer["error_description"] == "device_signature_invalid"
    code, _, got = result(server, second)
    assert got["state"] == "answered" and got["verdict"] == "invalid" and got["reason"] == "device_signature_invalid"
    # expired (ttl 10 s)
    code, _, third = create(server)
    late = fetch(server, third)
    time.sleep(11)
    code, answer = post(server, late, {HUKOU: [b64u(present(phone, licence, late))]})
    assert code == 400 and "expired" in answer["error_description"]
    assert result(server, third)[2]["state"] == "expired"


def test_refusals_each_with_its_reason(server, phone, licence):
    def answered_with(token_of):
        code, _, doc = create(server)
        payload = fetch(server, doc)
        code, answer = post(server, payload, token_of(payload))
        return code, answer, result(server, doc)[2]

    # the type withheld
    code, answer, got = answered_with(lambda p: {HUKOU: [b64u(present(phone, licence, p, ASKED[1:]))]})
    assert got["reason"] == "licence_type_not_disclosed"
    # more than the request asks for
    code, answer, got = answered_with(lambda p: {HUKOU: [b64u(present(phone, licence, p, ASKED + ["household_head"]))]})
    assert code == 400 and answer["error_description"] == "beyond_request" and got["reason"] == "beyond_request"
    # another phone's key: the device signature fails
    code, answer, got = answered_with(lambda p: {HUKOU: [b64u(present(phone, licence, p, key="other"))]})
    assert got["reason"] == "device_signature_invalid"
    # the nonce altered: the transcript is not the request's
    code, answer, got = answered_with(lambda p: {HUKOU: [b64u(present(phone, licence, {**p, "nonce": p["nonce"] + "x"}))]})
    assert got["reason"] == "device_signature_invalid"
    # a tampered presentation
    def tampered(p):
        b = bytearray(present(phone, licence, p))
        b[-5] ^= 1
        return {HUKOU: [b64u(bytes(b))]}
    code, answer, got = answered_with(tampered)
    assert got["verdict"] == "invalid"
    # the wallet declines: answered, with nothing
    code, _, doc = create(server)
    payload = fetch(server, doc)
    body = urllib.parse.urlencode({"error": "access_denied", "state": payload["state"]}).encode()
    code, _, _ = server.request("POST", urllib.parse.urlparse(payload["response_uri"]).path, body,
                                {"content-type": "application/x-www-form-urlencoded"}, token=None)
    assert code == 200
    got = result(server, doc)[2]
    assert got["verdict"] == "invalid" and got["reason"] == "declined" and got["licences"] == []


def test_malformed_answers_leave_the_request_open(server, phone, licence):
    code, _, doc = create(server)
    payload = fetch(server, doc)
    path = urllib.parse.urlparse(payload["response_uri"]).path
    for body, ctype in ((b"vp_token=%7B", "application/x-www-form-urlencoded"),
                        (b"{}", "application/json"),
                        (urllib.parse.urlencode({"vp_token": json.dumps({"W999": ["AA"]})}).encode(),
                         "application/x-www-form-urlencoded"),
                        (urllib.parse.urlencode({"vp_token": json.dumps({HUKOU: "AA"})}).encode(),
                         "application/x-www-form-urlencoded"),
                        (urllib.parse.urlencode({"vp_token": json.dumps({HUKOU: ["!!"]})}).encode(),
                         "application/x-www-form-urlencoded"),
                        (urllib.parse.urlencode({"vp_token": "{}", "state": "another"}).encode(),
                         "application/x-www-form-urlencoded")):
        code, _, data = server.request("POST", path, body, {"content-type": ctype}, token=None)
        assert code == 400 and json.loads(data)["error"] == "invalid_request", (body, data)
    # each with its reason, read by hand when plain (authd/vp_token.c) and by jansson otherwise
    one = "each credential query is answered by one presentation, a base64url string"
    for token, why in (("{}", "vp_token is a JSON object of the request's credential query ids"),
                       (json.dumps({HUKOU: ["AA", "BB"]}), one), ('{"%s":["A\\u0041"],"x":1}' % HUKOU, one),
                       ('{"%s":["AA"]' % HUKOU, "vp_token is missing or not JSON")):
        body = urllib.parse.urlencode({"vp_token": token, "state": payload["state"]}).encode()
        code, _, data = server.request("POST", path, body, {"content-type": "application/x-www-form-urlencoded"},
                                       token=None)
        assert code == 400 and json.loads(data)["error_description"] == why, (token, data)
    assert result(server, doc)[2]["state"] == "pending"
    # an answer in JSON's other spellings (an escaped key: not the plain form) is read all the same
    escaped = json.dumps({HUKOU: [b64u(present(phone, licence, payload))]}).replace(HUKOU[0], "\\u00%02x" % ord(HUKOU[0]), 1)
    assert escaped.startswith('{"\\u0031')
    body = urllib.parse.urlencode({"vp_token": escaped, "state": payload["state"]}).encode()
    code, _, data = server.request("POST", path, body, {"content-type": "application/x-www-form-urlencoded"}, token=None)
    assert code == 200, data
    assert result(server, doc)[2]["verdict"] == "valid"
    # unknown and malformed ids
    for rid in ("AAAAAAAAAAAAAAAAAAAAAA", "not-an-id", "A" * 40):
        code, headers, problem = server.json("GET", f"/v1/presentation-requests/{rid}/request", token=None)
        assert_problem(code, headers, problem, 404, "unknown_request")


def test_creating_requests(server):
    for counter, body, status, problem in (
            ("counter-hz", {"matter": MATTER}, 422, "missing_use_cause"),
            ("counter-hz", {"use_cause": "x"}, 422, "missing_matter"),
            ("counter-hz", {"matter": "NO-SUCH", "use_cause": "x"}, 404, "unknown_matter"),
            ("counter-hz", {"matter": MATTER, "use_cause": "核对 11010519491231002X"}, 422, "identity_data_in_text"),
            ("counter-hz-full", {"matter": "ZJ-QYBG-001", "use_cause": "x"}, 403, "forbidden_matter"),
            ("counter-hz", {"matter": MATTER, "use_cause": "x", "extra": 1}, 400, "unknown_field")):
        code, headers, doc = server.json("POST", "/v1/presentation-requests", body, token=counter)
        assert code == status, (body, doc)
        if problem:
            assert doc["code"] == problem, doc
    # only counters make them
    code, _, doc = server.json("POST", "/v1/presentation-requests", {"matter": MATTER, "use_cause": "x"},
                               token="issuer-ga")
    assert code == 403


def test_a_counter_without_a_reader_key(tmp_path):
    s = Authd(tmp_path, readers=False).start()
    try:
        code, headers, doc = create(s)
        assert_problem(code, headers, doc, 409, "no_reader_key")
    finally:
        assert s.stop() == 0


def wallet(*args, trust=f"{KEYS}/trust.json"):
    r = subprocess.run([CERTCTL, "wallet", "--trust", str(trust), *args], capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_certctl_wallet_checks_and_answers(server, phone, licence, tmp_path):
    """certlib's wallet API from a shell: the request checked against the trust bundle (reader chain,
    registration, minimum necessary), shown, answered; the counter sees the licence."""
    (tmp_path / "licence.cbor").write_bytes(licence)
    code, _, doc = create(server)
    rc, out, err = wallet("--qr", doc["qr"], "--show")
    assert rc == 0, err
    assert "杭州市民中心 综合窗口 asks, for 婚姻登记（结婚） (ZJ-HYDJ-001)" in out and "household_number" in out
    rc, out, err = wallet("--qr", doc["qr"], "--device-key", str(phone / "device.key"), "--licence",
                          str(tmp_path / "licence.cbor"), "--json")
    assert rc == 0, err
    answer = json.loads(out)
    assert answer["status"] == 200 and answer["answered"] == 1
    assert answer["request"]["matter"]["code"] == MATTER and answer["request"]["queries"][0]["type"] == HUKOU
    got = result(server, doc)[2]
    assert got["verdict"] == "valid" and got["licences"][0]["holder_bound"] is True

    # the same request again: answered once, the counter refuses a second answer
    rc, out, err = wallet("--qr", doc["qr"], "--device-key", str(phone / "device.key"), "--licence",
                          str(tmp_path / "licence.cbor"))
    assert rc == 1 and "410" in err, (out, err)

    trust = json.load(open(f"{KEYS}/trust.json"))

    def refused_with(bundle, reason):
        (tmp_path / "trust.json").write_text(json.dumps(bundle, ensure_ascii=False))
        code, _, doc = create(server)
        rc, out, err = wallet("--qr", doc["qr"], "--show", trust=tmp_path / "trust.json")
        assert rc == 1 and reason in err, (reason, out, err)

    # a reader the bundle does not register
    refused_with({**trust, "readers": [r for r in trust["readers"] if r["name"] != "杭州市民中心 综合窗口"]},
                 "reader_unregistered")
    # registered, but not for this matter: the request asks beyond what the reader may
    refused_with({**trust, "readers": [{**r, "matters": ["ZJ-QYBG-001"]} for r in trust["readers"]]},
                 "request_beyond_matter")
    # the matter needs fewer elements in this bundle's catalogue than the counter asks for
    fewer = [{**m, "needs": [{**n, "elements": ["holder_name"]} for n in m["needs"]]} if m["code"] == MATTER else m
             for m in trust["matters"]]
    refused_with({**trust, "matters": fewer}, "request_beyond_matter")
    # a reader certificate under a root the wallet does not trust for readers (a licence root is no reader root)
    refused_with({**trust, "reader_roots": [{"name": "x", "certificate": trust["roots"][1]["certificate"]}]},
                 "reader_untrusted")
    # not an OpenID4VP QR
    rc, out, err = wallet("--qr", "ELC1:counter-hz:AAAAAAAAAAAAAAAAAAAAAA", "--show")
    assert rc == 2 and "not an OpenID4VP QR" in err


def test_a_full_table_answers_503(tmp_path):
    """The memory table's bound (one process's store): past presentation_requests.capacity, 503 overloaded.
    A shared PostgreSQL store bounds its table by age instead (docs/operations.md), so there every one fits."""
    import os
    s = Authd(tmp_path, extra_config="presentation_requests:\n  capacity: 16\n").start()
    try:
        codes = [create(s)[0] for _ in range(17)]
        if os.environ.get("AUTHD_TEST_BACKEND") == "postgresql":
            assert codes == [201] * 17
        else:
            assert codes == [201] * 16 + [503]
            code, headers, doc = create(s)
            assert_problem(code, headers, doc, 503, "overloaded")
    finally:
        assert s.stop() == 0
