"""Signing keys in a token (PKCS#11, RFC 7512 URIs) against real token software: SoftHSM2 with a token of
its own in a scratch directory. authd issues licences and signs status lists with keys that exist only in
the token (P-256 and Ed25519); the licences verify with the certificate alone (certctl and the trust
bundle); a wrong PIN, a missing token and a token holding another key stop authd at start with a clear
message and no PIN in it; a token that goes away during a run gives 503 and signing resumes when it is
back."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import ACCESS_LOG_ORIGIN, KEYS, SIG_LOG_ORIGIN, Authd, assert_problem, run_certctl, signers_yaml
from test_authd_logs import checkpoint
from test_authd_licences import (BIZ, BIZ_ELEMENTS, COMPANY, HUKOU, HUKOU_ELEMENTS, MARRIAGE, MARRIAGE_ELEMENTS,
                                 PERSON, b64d, certctl_verify, issue, issue_ok)

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "246810"
TOKEN = "authd-test"
GA, MZ = "1133010000249813XA", "11330100002498121J"  # 公安 (P-256), 民政 (Ed25519)


class Token:
    """A SoftHSM2 token in its own directory (SOFTHSM2_CONF), with keys imported from keys-example."""

    def __init__(self, d):
        self.dir = d
        (d / "tokens").mkdir()
        self.conf = d / "softhsm2.conf"
        self.conf.write_text(f"directories.tokendir = {d}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n")
        self.env = {"SOFTHSM2_CONF": str(self.conf)}
        self.util("--init-token", "--free", "--label", TOKEN, "--so-pin", "13579246", "--pin", PIN)
        (d / "pin").write_text(PIN + "\n")

    def util(self, *args):
        r = subprocess.run(["softhsm2-util", *args], capture_output=True, text=True,
                           env={**os.environ, **self.env}, timeout=60)
        assert r.returncode == 0, r.stderr + r.stdout
        return r.stdout

    def add(self, key_file, label):
        self.ids = getattr(self, "ids", 0) + 1
        self.util("--import", key_file, "--token", TOKEN, "--label", label, "--id", f"{self.ids:02x}", "--pin", PIN)

    def uri(self, label, pin_file=None):
        return (f"pkcs11:token={TOKEN};object={label}?module-path={MODULE}"
                f"&pin-source=file:{pin_file or self.dir / 'pin'}")


def token_signers(token, pin_file=None):
    """ga's and mz's document and status keys in the token; every other department's from its file."""
    return signers_yaml(keys=lambda code, alg, dept: (token.uri(f"{dept}-ds", pin_file), token.uri(
        f"{alg}-status", pin_file)) if code in (GA, MZ) else None)


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    t = Token(tmp_path_factory.mktemp("softhsm"))
    # every authd of this module (authd init too) finds the token through SoftHSM2's configuration
    saved = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(t.conf)
    t.add(f"{KEYS}/pki/p256/ga.key", "ga-ds")
    t.add(f"{KEYS}/pki/ed25519/mz.key", "mz-ds")
    t.add(f"{KEYS}/pki/p256/status.key", "p256-status")
    t.add(f"{KEYS}/pki/ed25519/status.key", "ed25519-status")
    t.add(f"{KEYS}/log/signatures.key", "log-signatures")
    t.add(f"{KEYS}/log/access.key", "log-access")
    yield t
    if saved is None:
        del os.environ["SOFTHSM2_CONF"]
    else:
        os.environ["SOFTHSM2_CONF"] = saved


def token_logs(token):
    return (f"logs:\n  signatures:\n    origin: {SIG_LOG_ORIGIN}\n    key: \"{token.uri('log-signatures')}\"\n"
            f"  access:\n    origin: {ACCESS_LOG_ORIGIN}\n    key: \"{token.uri('log-access')}\"\n")


@pytest.fixture(scope="module")
def server(token, tmp_path_factory):
    s = Authd(tmp_path_factory.mktemp("pkcs11"), signers=token_signers(token), logs=token_logs(token))
    s.start(env=token.env)
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


def test_licences_signed_in_the_token_verify_with_the_certificate(server, tmp_path):
    assert "pkcs11:" in server.config.read_text() and f"{KEYS}/pki/p256/ga.key" not in server.config.read_text()
    for client, type_code, holder, name, elements in (("issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS),
                                                      ("issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)):
        doc = issue_ok(server, client, type_code, holder, name, elements)
        # the status list comes signed by the status key in the token too
        result = certctl_verify(tmp_path, server, b64d(doc["licence"]), [doc["status"]["list"]])
        assert result["verdict"] == "valid" and result["status"] == "valid", result
        assert result["checks"]["signature"]["state"] == "passed"
    # a department whose key is still a file is unaffected
    doc = issue_ok(server)
    assert certctl_verify(tmp_path, server, b64d(doc["licence"]), [doc["status"]["list"]])["verdict"] == "valid"


def test_the_logs_sign_with_keys_in_the_token(server):
    """Checkpoints (and so receipts and disclosure marks) signed by the logs' keys in the token verify under
    the same verifier keys as before: the key moved into the token, the logs' identity did not."""
    assert "log/signatures.key" not in server.config.read_text()
    issue_ok(server)
    size, _, _ = checkpoint(server)  # opened under keys-example's signatures key, checked independently
    assert size >= 1
    code, _, r = server.json("GET", f"/v1/holders/{PERSON}/licences?matter=ZJ-HYDJ-001&use_cause=%E6%9F%A5",
                             token="counter-hz")
    assert code == 200 and r["disclosure"]["mark"]
    assert checkpoint(server, "access", "auditor")[0] >= 1


def test_a_wrong_pin_stops_authd_at_start(token, tmp_path):
    bad = tmp_path / "bad-pin"
    bad.write_text("000000\n")
    s = Authd(tmp_path, signers=token_signers(token, pin_file=bad))
    s.init()
    with pytest.raises(RuntimeError) as e:
        s.start(init=False, env=token.env)
    err = s.stderr_path.read_text()
    assert s.proc.returncode == 2  # the configuration's fault
    assert "PIN is wrong" in err and "000000" not in err and PIN not in err, err


def test_a_missing_token_stops_authd_at_start(token, tmp_path):
    signers = token_signers(token).replace(f"token={TOKEN}", "token=nosuchtoken")
    s = Authd(tmp_path, signers=signers)
    s.init()
    with pytest.raises(RuntimeError):
        s.start(init=False, env=token.env)
    assert "no token matches the URI" in s.stderr_path.read_text()
    assert s.proc.returncode == 1  # not there now: a restart may find it


def test_a_token_holding_another_key_is_refused(token, tmp_path):
    signers = token_signers(token).replace(f"object=ga-ds", "object=p256-status")
    s = Authd(tmp_path, signers=signers)
    s.init()
    with pytest.raises(RuntimeError):
        s.start(init=False, env=token.env)
    assert "is not the one" in s.stderr_path.read_text() and s.proc.returncode == 2


def test_a_token_gone_during_a_run_gives_503_and_signing_resumes(token, tmp_path):
    s = Authd(tmp_path, signers=token_signers(token))
    s.start(env=token.env)
    try:
        issue_ok(s, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
        shutil.move(token.dir / "tokens", token.dir / "away")  # the token pulled out
        try:
            status, headers, doc = issue(s, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
            assert_problem(status, headers, doc, 503, "signer_unavailable")
            # other departments go on
            issue_ok(s)
        finally:
            shutil.move(token.dir / "away", token.dir / "tokens")
        # back: within a few seconds (the library looks for tokens again at most once a second)
        deadline = time.monotonic() + 10
        while (status := issue(s, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)[0]) != 201:
            assert status == 503 and time.monotonic() < deadline
            time.sleep(0.3)
        # and the other keys on the token (the status signers) sign again too
        issue_ok(s, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
    finally:
        assert s.stop() == 0, s.stderr_path.read_text()
    assert PIN not in s.stderr_path.read_text()


def test_the_runnable_example(tmp_path):
    """authd/examples/softhsm/run.sh: one command makes the demo token and starts authd on it; licences of
    a department whose key is in the token verify with the trust bundle alone."""
    import socket
    from conftest import AUTHD, REPO_ROOT, free_port
    port = free_port()
    env = {**os.environ, "SOFTHSM_DIR": str(tmp_path / "softhsm"), "SOFTHSM_PORT": str(port)}
    env.pop("SOFTHSM2_CONF", None)
    build = os.path.dirname(os.path.dirname(AUTHD))
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen([f"{REPO_ROOT}/authd/examples/softhsm/run.sh", build], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

        class Example:  # enough of conftest.Authd for issue()
            url = f"http://127.0.0.1:{port}"
            json = Authd.json
            request = Authd.request
            default_token = None
        doc = issue_ok(Example(), "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
        assert certctl_verify(tmp_path, Example(), b64d(doc["licence"]), [doc["status"]["list"]])["verdict"] == "valid"
        assert "ga-ds <- pki/p256/ga.key" in (tmp_path / "run.log").read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def keygen_in_token(token, tmp_path, alg, label):
    """A key pair generated inside the token (sensitive, not extractable); its public key as PEM."""
    pub = tmp_path / f"{label}.pub"
    token.ids = getattr(token, "ids", 0) + 1
    r = subprocess.run([os.environ.get("P11_KEYGEN", "build/bin/p11_keygen"), MODULE, TOKEN, str(token.dir / "pin"),
                        alg, label, f"{token.ids:02x}", str(pub)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return pub


def new_signer_in_token(token, tmp_path, alg, dept, code, label, status=False):
    """A key generated inside the token and a certificate for it from keys-example's root of that
    algorithm: a department's key ceremony (a status signer's, without the document-signer EKU)."""
    pub, crt, ext = keygen_in_token(token, tmp_path, alg, label), tmp_path / f"{label}.crt", tmp_path / "ds.ext"
    ext.write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n" +
                   ("" if status else "extendedKeyUsage=1.0.18013.5.1.2\n") +
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    root = f"{KEYS}/pki/{alg}"
    r = subprocess.run(["openssl", "x509", "-new", "-subj", f"/C=CN/O={dept} 2027/organizationIdentifier=NTRCN-{code}"
                        f"/CN={dept} {'status' if status else 'document'} signer 2027", "-force_pubkey", str(pub),
                        "-CA", f"{root}/root.crt", "-CAkey", f"{root}/root.key", *(["-sha256"] if alg == "p256" else []),
                        "-days", "3650", "-extfile", str(ext), "-out", str(crt)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return crt


def test_everything_signed_with_keys_generated_in_the_token(token, tmp_path):
    """A department's document signer, its status signer and both logs' keys all generated inside the token,
    none ever in a file: licences verify with the certificates (status lists too), and the checkpoints with
    verifier keys made from the token's public keys, checked here independently (Ed25519 from
    `cryptography`)."""
    import base64
    import hashlib
    import json
    from cryptography.hazmat.primitives import serialization
    ds = new_signer_in_token(token, tmp_path, "p256", "ga", GA, "ga-gen")
    st = new_signer_in_token(token, tmp_path, "p256", "status", "11330100002498148A", "status-gen", status=True)
    logs = {name: keygen_in_token(token, tmp_path, "ed25519", f"log-{name}-gen") for name in ("signatures", "access")}
    bundle = json.load(open(f"{KEYS}/trust.json"))
    ga_pem = open(f"{KEYS}/pki/p256/ga.crt").read().strip()
    bundle["signers"].append({**next(x for x in bundle["signers"] if x["certificate"].strip() == ga_pem),
                              "certificate": ds.read_text()})
    bundle["status_signers"].append({**bundle["status_signers"][0], "certificate": st.read_text()})
    (tmp_path / "trust.json").write_text(json.dumps(bundle, ensure_ascii=False))
    signers = token_signers(token).replace(token.uri("ga-ds"), token.uri("ga-gen")).replace(
        f"{KEYS}/pki/p256/ga.crt", str(ds))
    signers = signers.replace(f"status_key: \"{token.uri('p256-status')}\"\n    status_certificate: "
                              f"{KEYS}/pki/p256/status.crt",
                              f"status_key: \"{token.uri('status-gen')}\"\n    status_certificate: {st}")
    logs_yaml = (f"logs:\n  signatures:\n    origin: gen.example/log/signatures\n    key: \""
                 f"{token.uri('log-signatures-gen')}\"\n  access:\n    origin: gen.example/log/access\n    key: \""
                 f"{token.uri('log-access-gen')}\"\n")
    s = Authd(tmp_path, signers=signers, logs=logs_yaml, trust_bundle=str(tmp_path / "trust.json"))
    config = s.config.read_text()
    assert "ga.key" not in config and "status.key" not in config.split("1133010000249813XA")[1].split("issuer_code")[0]
    s.start(env=token.env)
    try:
        doc = issue_ok(s, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
        (tmp_path / "l.cbor").write_bytes(b64d(doc["licence"]))
        code, headers, body = s.request("GET", f"/v1/status/{doc['status']['list']}", token=None)
        (tmp_path / "list.cwt").write_bytes(body)
        r = run_certctl("verify", "--trust", str(tmp_path / "trust.json"), "--status", str(tmp_path / "list.cwt"),
                        "--json", str(tmp_path / "l.cbor"))
        result = json.loads(r.stdout)
        assert result["verdict"] == "valid" and result["status"] == "valid", result
        # the signature log's checkpoint, under the token's public key
        pub = serialization.load_pem_public_key(logs["signatures"].read_bytes()).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        code, _, body = s.request("GET", "/log/signatures/checkpoint", token=None)
        text, sigs = body.decode().split("\n\n", 1)
        origin = "gen.example/log/signatures"
        key_id = hashlib.sha256(origin.encode() + b"\n\x01" + pub).digest()[:4]
        line = next(l for l in sigs.splitlines() if l.split(" ")[1] == origin)
        blob = base64.b64decode(line.split(" ")[2])
        assert blob[:4] == key_id and text.split("\n")[1] != "0"
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], (text + "\n").encode())
    finally:
        assert s.stop() == 0, s.stderr_path.read_text()


def test_rotation_to_keys_generated_in_the_token(token, tmp_path):
    """A department moves to a new key generated inside the token, with a new certificate the trust bundle
    adds beside the old one: licences signed before the rotation keep verifying, new ones verify too, and
    a bundle that takes listed signers only refuses the new ones until it lists the new certificate."""
    import json
    before = Authd(tmp_path)
    before.start()
    old = issue_ok(before, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    assert before.stop() == 0

    ga_crt = new_signer_in_token(token, tmp_path, "p256", "ga", GA, "ga-2027")
    mz_crt = new_signer_in_token(token, tmp_path, "ed25519", "mz", MZ, "mz-2027")
    bundle = json.load(open(f"{KEYS}/trust.json"))
    for crt, dept_crt in ((ga_crt, "p256/ga.crt"), (mz_crt, "ed25519/mz.crt")):
        pem = open(f"{KEYS}/pki/{dept_crt}").read().strip()
        entry = next(s for s in bundle["signers"] if s["certificate"].strip() == pem)
        bundle["signers"].append({**entry, "certificate": crt.read_text()})
    (tmp_path / "trust.json").write_text(json.dumps(bundle, ensure_ascii=False))

    signers = token_signers(token).replace(token.uri("ga-ds"), token.uri("ga-2027")).replace(
        f"{KEYS}/pki/p256/ga.crt", str(ga_crt)).replace(token.uri("mz-ds"), token.uri("mz-2027")).replace(
        f"{KEYS}/pki/ed25519/mz.crt", str(mz_crt))
    after = Authd(tmp_path, signers=signers, trust_bundle=str(tmp_path / "trust.json"), public_url=before.url)
    after.start(env=token.env)
    try:
        new = issue_ok(after, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
        new_mz = issue_ok(after, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
        for doc in (old, new, new_mz):
            path = tmp_path / "l.cbor"
            path.write_bytes(b64d(doc["licence"]))
            r = run_certctl("verify", "--trust", str(tmp_path / "trust.json"), "--json", str(path))
            result = json.loads(r.stdout)
            assert all(result["checks"][c]["state"] == "passed" for c in ("signer", "signature", "certificates",
                                                                           "scope")), result
            # and authd's own verification, against the bundle it serves
            code, _, v = after.json("POST", "/v1/verify", {"licence": doc["licence"]}, token="counter-hz")
            assert code == 200 and v["verdict"] == "valid", (v["reason"], {k: c for k, c in v["checks"].items() if c["state"] != "passed"})
        # the old bundle: the new licence carries its certificate (x5chain, authd's default), which chains
        # to the root that bundle trusts; a bundle that takes listed signers only refuses it
        (tmp_path / "new.cbor").write_bytes(b64d(new["licence"]))
        r = run_certctl("verify", "--trust", f"{KEYS}/trust.json", "--json", str(tmp_path / "new.cbor"))
        assert json.loads(r.stdout)["checks"]["signer"]["state"] == "passed"
        strict = json.load(open(f"{KEYS}/trust.json"))
        strict["require_listed_signers"] = True
        (tmp_path / "strict.json").write_text(json.dumps(strict, ensure_ascii=False))
        r = run_certctl("verify", "--trust", str(tmp_path / "strict.json"), "--json", str(tmp_path / "new.cbor"))
        assert json.loads(r.stdout)["checks"]["signer"] == {"state": "failed", "reason": "signer_not_listed"}
    finally:
        assert after.stop() == 0, after.stderr_path.read_text()


def test_the_data_key_wrapped_by_a_key_in_the_token(token, tmp_path):
    """data_key_wrapping: the data key file holds the key wrapped (AES-256-GCM) by an AES key in the token,
    made with `authd data-key wrap`; authd opens it in the token at start, and the store it sealed before
    reads as ever. The wrapped file without the token, or under another key, opens nothing."""
    from conftest import AUTHD
    for label in ("data-wrap", "other-wrap"):  # AES-256 keys generated inside the token
        token.ids = getattr(token, "ids", 0) + 1
        r = subprocess.run([os.environ.get("P11_KEYGEN", "build/bin/p11_keygen"), MODULE, TOKEN,
                            str(token.dir / "pin"), "aes", label, f"{token.ids:02x}", "-"], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    plain = Authd(tmp_path)
    plain.start()
    doc = issue_ok(plain, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    assert plain.stop() == 0

    wrapping = f"data_key_wrapping: \"{token.uri('data-wrap')}\"\n"
    wrapped_file = tmp_path / "data.key.wrapped"
    wrapper = Authd(tmp_path, extra_config=wrapping, public_url=plain.url)
    r = subprocess.run([AUTHD, "--config", str(wrapper.config), "data-key", "wrap", f"{KEYS}/data.key"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("aes-256-gcm:"), r.stderr
    wrapped_file.write_text(r.stdout)
    assert open(f"{KEYS}/data.key").read().strip() not in r.stdout

    wrapped = Authd(tmp_path, extra_config=wrapping, public_url=plain.url, data_key=str(wrapped_file))
    wrapped.start(init=False)
    try:
        code, _, got = wrapped.json("GET", f"/v1/licences/{doc['licence_id']}", token="auditor")
        assert code == 200 and got["licence"] == doc["licence"]  # the records opened: the same data key
    finally:
        assert wrapped.stop() == 0
    # the wrapped file alone is no data key
    alone = Authd(tmp_path, public_url=plain.url, data_key=str(wrapped_file))
    with pytest.raises(RuntimeError):
        alone.start(init=False)
    assert alone.proc.returncode == 2 and "this one is wrapped" in alone.stderr_path.read_text()
    # nor does it open under another key of the token
    other = Authd(tmp_path, extra_config=f"data_key_wrapping: \"{token.uri('other-wrap')}\"\n", public_url=plain.url,
                  data_key=str(wrapped_file))
    with pytest.raises(RuntimeError):
        other.start(init=False)
    assert other.proc.returncode == 2 and "does not open under this key" in other.stderr_path.read_text()
