"""OpenID4VP interoperability with other people's code, installed from npm by the test:
- a wallet written with @openid4vc/openid4vp and @owf/mdoc (tests/interop/oid4vp_wallet.mjs) completes
  the flow against a real authd: it fetches and checks the counter's signed request with its own code,
  builds the DeviceResponse, posts it; authd accepts it and the counter sees the elements; each way of
  cheating is refused with its own reason;
- @owf/mdoc verifies certlib's presentations: an OpenID4VP one (certctl present --client-id ...) and an
  offline one answering a counter's ELC1 challenge, as the session present.h maps it to;
- the other way round: certlib's wallet API (certctl wallet) answers a request made by the verifier side of
  @openid4vc/openid4vp (tests/interop/oid4vp_verifier.mjs), which validates the answer and has @owf/mdoc
  verify the DeviceResponse; the wallet refuses that verifier's request when it asks beyond the matter or
  comes from a reader the trust bundle does not register."""
import base64
import datetime
import json
import os
import subprocess
import time
import urllib.parse

import pytest

from conftest import AUTHD, CERTCTL, KEYS, Authd, npm_install, run_certctl
from test_authd_licences import HUKOU, HUKOU_ELEMENTS, PERSON, b64d, b64u, issue_ok
from test_authd_oid4vp import ASKED, MATTER, create, fetch, post, present, result
from test_interop_mdoc import INTEROP_FILES, SOURCE, WORK


@pytest.fixture(scope="module")
def node():
    npm_install(SOURCE, WORK, INTEROP_FILES, "@openid4vc/openid4vp", "OPENID4VP INTEROP TEST")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(AUTHD):
        pytest.skip("authd is not built")
    s = Authd(tmp_path_factory.mktemp("oid4vp-interop"), extra_config="presentation_requests:\n  ttl: 10\n").start()
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


@pytest.fixture(scope="module")
def phone(tmp_path_factory, server):
    d = tmp_path_factory.mktemp("wallet")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    str(d / "device.key")], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "pkey", "-in", str(d / "device.key"), "-pubout"], check=True,
                         capture_output=True, text=True).stdout
    doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS, device_key=pub)
    (d / "licence.cbor").write_bytes(b64d(doc["licence"]))
    return d


def wallet(phone, qr, mode="honest"):
    r = subprocess.run(["node", os.path.join(WORK, "oid4vp_wallet.mjs"), qr, str(phone / "licence.cbor"),
                        str(phone / "device.key"), f"{KEYS}/trust.json", mode], capture_output=True, timeout=120)
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else r.stderr.decode())


def test_a_standard_wallet_completes_the_flow(node, server, phone):
    code, _, doc = create(server)
    assert code == 201 and len(doc["qr"]) <= 300, doc
    rc, out = wallet(phone, doc["qr"])
    assert rc == 0, out
    # what the wallet's own code found in the request: the client it checked, what is asked
    assert out["request"]["client_prefix"] == "x509_hash" and out["request"]["client_id"] == doc["client_id"]
    assert out["request"]["response_mode"] == "direct_post"
    assert out["request"]["credentials"][0]["id"] == HUKOU
    assert out["status"] == 200, out
    code, _, got = result(server, doc)
    assert code == 200 and got["verdict"] == "valid", got
    shown = {e["identifier"]: e["value"] for e in got["licences"][0]["elements"]}
    assert shown["household_number"] == HUKOU_ELEMENTS["household_number"] and shown["holder_id"] == PERSON
    assert "household_head" not in shown
    # the same presentation posted again: answered once
    payload = {"state": doc["id"], "response_uri": doc["request_uri"].replace("/request", "/response")}
    code, answer = post(server, payload, {HUKOU: [out["presentation"]]})
    assert code == 400 and "answered" in answer["error_description"]
    # posted to another request (another counter's): its transcript is not that one's
    code, _, other = create(server, counter="counter-hz-full", matter="ZJ-BDCZY-001", use_cause="二手房买卖过户")
    assert code == 201, other
    payload = {"state": other["id"], "response_uri": other["request_uri"].replace("/request", "/response")}
    code, answer = post(server, payload, {"11100000000013338W004": [out["presentation"]]})
    assert code == 400 and answer["error_description"] == "device_signature_invalid", answer
    assert result(server, other, counter="counter-hz-full")[2]["verdict"] == "invalid"


def test_the_wallets_refusals(node, server, phone):
    for mode, reason in (("extra", "beyond_request"), ("stale-nonce", "device_signature_invalid")):
        code, _, doc = create(server)
        rc, out = wallet(phone, doc["qr"], mode)
        assert rc == 0, out
        assert out["status"] == 400 and out["body"]["error_description"] == reason, (mode, out)
        assert result(server, doc)[2]["reason"] == reason
    # an expired request: the wallet cannot fetch it (410), and says so
    code, _, doc = create(server)
    time.sleep(11)
    rc, out = wallet(phone, doc["qr"], "request-only")
    assert rc != 0 and "410" in out, out
    # a request whose object is signed by a reader the bundle does not know: the wallet's check refuses it
    bogus = dict(json.load(open(f"{KEYS}/trust.json")))
    bogus["reader_roots"] = [{"name": "another", "certificate": open(f"{KEYS}/pki/p256/root.crt").read()}]
    (phone / "bogus-trust.json").write_text(json.dumps(bogus))
    code, _, doc = create(server)
    r = subprocess.run(["node", os.path.join(WORK, "oid4vp_wallet.mjs"), doc["qr"], str(phone / "licence.cbor"),
                        str(phone / "device.key"), str(phone / "bogus-trust.json"), "request-only"],
                       capture_output=True, timeout=120)
    assert r.returncode != 0 and b"reader root" in r.stderr, r.stderr


def verify_presentation(path, client_id, nonce, response_uri, root="p256"):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return subprocess.run(["node", os.path.join(WORK, "verify_presentation.mjs"), str(path), f"{KEYS}/pki/{root}/root.crt",
                           client_id, nonce, response_uri, now], capture_output=True, timeout=120)


def test_owf_mdoc_verifies_certlib_presentations(node, server, phone, tmp_path):
    licence = (phone / "licence.cbor").read_bytes()
    session = {"client_id": "x509_hash:abc", "nonce": "n-123", "response_uri": "https://authd.example/v1/r/x/response"}
    p = tmp_path / "online.cbor"
    p.write_bytes(present(phone, licence, session))
    r = verify_presentation(p, session["client_id"], session["nonce"], session["response_uri"])
    assert r.returncode == 0 and b"0 failed" in r.stdout, r.stdout.decode() + r.stderr.decode()
    r = verify_presentation(p, session["client_id"], "n-124", session["response_uri"])
    assert r.returncode == 1 and b"FAILED" in r.stdout
    # an offline answer to a counter's challenge: the session present.h maps ELC1:<counter>:<nonce> to
    challenge = run_certctl("challenge", "--counter", "counter-hz").stdout.decode().strip()
    (phone / "licence.cbor").write_bytes(licence)
    r = subprocess.run([CERTCTL, "present", "--licence", str(phone / "licence.cbor"), "--device-key",
                        str(phone / "device.key"), "--challenge", challenge, "--keep", ",".join(ASKED)],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    (tmp_path / "offline.cbor").write_bytes(r.stdout)
    _, counter, nonce = challenge.split(":")
    r = verify_presentation(tmp_path / "offline.cbor", counter, nonce, "urn:cn.gov.elicence:offline")
    assert r.returncode == 0 and b"0 failed" in r.stdout, r.stdout.decode() + r.stderr.decode()


HUKOU_CLAIMS = [{"path": ["cn.gov.elicence.1", "licence_id"]},
                {"path": ["cn.gov.elicence.1", "licence_type_code"], "values": [HUKOU]},
                {"path": ["cn.gov.elicence.1", "holder_name"]},
                {"path": [f"cn.gov.elicence.{HUKOU}.1", "household_number"]}]


def other_verifier(claims, reader="counter-hz"):
    """@openid4vc/openid4vp's verifier, serving its request on loopback: (process, its openid4vp:// URI)."""
    p = subprocess.Popen(["node", os.path.join(WORK, "oid4vp_verifier.mjs"), f"{KEYS}/readers/{reader}.key",
                          f"{KEYS}/readers/{reader}.crt", f"{KEYS}/pki/p256/root.crt", json.dumps(claims)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p, p.stdout.readline().strip()


def certctl_wallet(phone, qr, trust=f"{KEYS}/trust.json"):
    return subprocess.run([CERTCTL, "wallet", "--trust", str(trust), "--qr", qr, "--device-key", str(phone / "device.key"),
                           "--licence", str(phone / "licence.cbor"), "--json"], capture_output=True, text=True,
                          timeout=60)


def test_certlib_wallet_answers_another_verifier(node, phone, tmp_path):
    p, qr = other_verifier(HUKOU_CLAIMS)
    try:
        assert qr.startswith("openid4vp://"), p.stderr.read() if p.poll() is not None else qr
        r = certctl_wallet(phone, qr)
        assert r.returncode == 0, r.stderr
        answer = json.loads(r.stdout)
        assert answer["request"]["matter"]["code"] == MATTER and answer["status"] == 200
        out = json.loads(p.stdout.readline())
        assert p.wait(timeout=30) == 0, out
        # @owf/mdoc checked the issuer's signature, every digest and the device signature over the transcript
        assert out["credentials"]["hukou"]["failed"] == 0 and out["credentials"]["hukou"]["checks"] >= 5, out
    finally:
        p.kill()

    # that verifier asking beyond the matter: the wallet refuses before disclosing anything
    p, qr = other_verifier(HUKOU_CLAIMS + [{"path": [f"cn.gov.elicence.{HUKOU}.1", "household_head"]}])
    try:
        r = certctl_wallet(phone, qr)
        assert r.returncode == 1 and "request_beyond_matter" in r.stderr, r.stderr
    finally:
        p.kill()

    # and from a reader the wallet's bundle does not register
    trust = json.load(open(f"{KEYS}/trust.json"))
    trust["readers"] = [x for x in trust["readers"] if x["name"] != "杭州市民中心 综合窗口"]
    (tmp_path / "trust.json").write_text(json.dumps(trust, ensure_ascii=False))
    p, qr = other_verifier(HUKOU_CLAIMS)
    try:
        r = certctl_wallet(phone, qr, trust=tmp_path / "trust.json")
        assert r.returncode == 1 and "reader_unregistered" in r.stderr, r.stderr
    finally:
        p.kill()
