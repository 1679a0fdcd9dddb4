"""authd as a C2SP tlog-witness, against real authd processes on loopback: one log (authd's signature
log) and one witness. Cosignatures are checked by an independent implementation written here (hashlib
and Ed25519 from `cryptography`) to C2SP tlog-cosignature/v1, and the consistency proofs the witness
accepts to RFC 9162; each refusal of C2SP tlog-witness (400, 403, 404, 409 with the size, 422) is
provoked; a log with the same key and another history gets 409 and no cosignature; a restarted witness
keeps what it cosigned."""
import base64
import hashlib
import json
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import KEYS, SIG_LOG_ORIGIN, Authd
from test_authd_licences import issue_ok
from test_authd_logs import verify_consistency

WITNESS = "witness-a.authd.test"


def witness_config(log_vkey, name=WITNESS, key="witness-a"):
    return (f"witness:\n  name: {name}\n  key: {KEYS}/log/{key}.key\n"
            f"  logs:\n    - \"{log_vkey}\"\n")


def witness_public_key():
    with open(f"{KEYS}/log/witness-a.pub", "rb") as f:
        return serialization.load_pem_public_key(f.read()).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def check_cosignature(line, checkpoint_text):
    """C2SP tlog-cosignature/v1: '— <name> base64(key id || u64 timestamp || Ed25519 signature)' over
    'cosignature/v1\\ntime <t>\\n' and the checkpoint's note body."""
    dash, name, blob = line.split(" ")
    assert dash == "\u2014" and name == WITNESS
    blob = base64.b64decode(blob)
    assert len(blob) == 4 + 8 + 64
    pub = witness_public_key()
    assert blob[:4] == hashlib.sha256(name.encode() + b"\n\x04" + pub).digest()[:4]
    (timestamp,) = struct.unpack(">Q", blob[4:12])
    message = b"cosignature/v1\ntime %d\n" % timestamp + checkpoint_text.encode()
    Ed25519PublicKey.from_public_bytes(pub).verify(blob[12:], message)  # raises if it does not verify
    return timestamp


def checkpoint(server):
    note = server.request("GET", "/log/signatures/checkpoint", token=None)[2].decode()
    text = note.split("\n\n")[0] + "\n"
    lines = text.splitlines()
    return note, text, int(lines[1]), base64.b64decode(lines[2])


def consistency(server, old, new):
    code, _, doc = server.json("GET", f"/log/signatures/proof/consistency?from={old}&to={new}", token=None)
    assert code == 200, doc
    return doc["proof"]


def add(witness, old, proof, note):
    body = f"old {old}\n" + "".join(p + "\n" for p in proof) + "\n" + note
    return witness.request("POST", "/witness/add-checkpoint", body.encode(), {"content-type": "text/plain"},
                           token=None)


@pytest.fixture
def log_and_witness(tmp_path):
    (tmp_path / "log").mkdir()
    log = Authd(tmp_path / "log").start()
    vkey = log.request("GET", "/log/signatures/key", token=None)[2].decode().strip()
    (tmp_path / "witness").mkdir()
    witness = Authd(tmp_path / "witness", extra_config=witness_config(vkey)).start()
    yield log, witness, tmp_path
    log.stop()
    witness.stop()


def test_witness_cosigns_a_growing_log(log_and_witness):
    log, witness, tmp_path = log_and_witness
    code, _, key = witness.request("GET", "/witness/key", token=None)
    pub = witness_public_key()
    key_id = hashlib.sha256(WITNESS.encode() + b"\n\x04" + pub).digest()[:4].hex()
    assert code == 200 and key.decode().strip() == f"{WITNESS}+{key_id}+" + base64.b64encode(b"\x04" + pub).decode()

    for _ in range(3):
        issue_ok(log)
    note1, text1, size1, root1 = checkpoint(log)
    code, headers, body = add(witness, 0, [], note1)
    assert code == 200, body
    lines = body.decode().splitlines()
    assert len(lines) == 1 and check_cosignature(lines[0], text1) > 0

    for _ in range(4):
        issue_ok(log)
    note2, text2, size2, root2 = checkpoint(log)
    # a client that does not know what the witness cosigned asks with 0 and learns it
    code, headers, body = add(witness, 0, [], note2)
    assert code == 409 and headers["content-type"] == "text/x.tlog.size" and body == f"{size1}\n".encode()
    proof = consistency(log, size1, size2)
    assert verify_consistency(size1, size2, [base64.b64decode(p) for p in proof], root1, root2)
    # a proof with one hash altered: 422, and the state does not move
    bad = [base64.b64encode(bytes([base64.b64decode(proof[0])[0] ^ 1]) + base64.b64decode(proof[0])[1:]).decode()]
    code, _, body = add(witness, size1, bad + proof[1:], note2)
    assert code == 422, body
    code, _, body = add(witness, size1, proof, note2)
    assert code == 200 and check_cosignature(body.decode().strip(), text2)
    # the same checkpoint again: cosigned again (same size, same root)
    code, _, body = add(witness, size2, [], note2)
    assert code == 200

    # the witness's state survives a restart
    witness.stop()
    witness.start(init=False)
    code, _, body = add(witness, 0, [], note2)
    assert code == 409 and body == f"{size2}\n".encode()


def test_a_forked_log_gets_no_cosignature(log_and_witness):
    log, witness, tmp_path = log_and_witness
    for _ in range(3):
        issue_ok(log)
    note, _, size, _ = checkpoint(log)
    assert add(witness, 0, [], note)[0] == 200
    # the same key and origin, another history of the same size (a fresh store, other licences)
    (tmp_path / "fork").mkdir()
    fork = Authd(tmp_path / "fork").start()
    try:
        for _ in range(size):
            issue_ok(fork)
        fork_note, _, fork_size, _ = checkpoint(fork)
        assert fork_size == size
        code, headers, body = add(witness, size, [], fork_note)
        assert code == 409 and body == f"{size}\n".encode()
        # grown further, with a proof from its own history: refused, it does not extend the cosigned one
        issue_ok(fork)
        grown_note, _, grown_size, _ = checkpoint(fork)
        code, _, body = add(witness, size, consistency(fork, size, grown_size), grown_note)
        assert code == 422, body
    finally:
        fork.stop()


def test_refusals(log_and_witness):
    log, witness, tmp_path = log_and_witness
    issue_ok(log)
    note, text, size, _ = checkpoint(log)
    # malformed bodies: 400
    for body in (b"", b"old 01\n\n" + note.encode(), b"old 0\nnot-base64\n\n" + note.encode(), b"old 0\n" + note.encode(),
                 f"old {size + 1}\n\n".encode() + note.encode()):
        code, _, doc = witness.request("POST", "/witness/add-checkpoint", body, {"content-type": "text/plain"},
                                       token=None)
        assert code == 400, (body, doc)
    # a log the witness does not know: 404
    code, _, _ = add(witness, 0, [], note.replace(SIG_LOG_ORIGIN, "other.example/log", 1))
    assert code == 404
    # the checkpoint altered (its size): the log's signature no longer verifies: 403
    altered = note.replace(f"\n{size}\n", f"\n{size + 1}\n", 1)
    code, _, _ = add(witness, 0, [], altered)
    assert code == 403
    # a proof where none may be (old size 0): 422
    code, _, _ = add(witness, 0, [base64.b64encode(b"\0" * 32).decode()], note)
    assert code == 422
    # nothing was cosigned by any of these: the first real request still starts from 0
    assert add(witness, 0, [], note)[0] == 200
    # a log that is not a witness has no witness routes
    code, _, doc = log.json("POST", "/witness/add-checkpoint", raw=b"old 0\n\n", content_type="text/plain", token=None)
    assert code == 404 and doc["code"] == "witness_not_configured"


def test_witness_configuration_errors(tmp_path):
    """A witness that cannot know its logs refuses to start, naming what is wrong; a damaged state file
    too, rather than starting from nothing and cosigning a rolled-back log."""
    import subprocess
    from conftest import AUTHD
    cases = [
        (witness_config("not a key"), "witness.logs[0]: not a C2SP verifier key"),
        (f"witness:\n  name: {WITNESS}\n  key: {KEYS}/log/witness-a.key\n", "witness: name, key and logs are required"),
        (f"witness:\n  name: bad name\n  key: {KEYS}/log/witness-a.key\n  logs: [\"x\"]\n", "a key name has no spaces"),
    ]
    for i, (extra, message) in enumerate(cases):
        (tmp_path / str(i)).mkdir()
        server = Authd(tmp_path / str(i), extra_config=extra)
        subprocess.run([AUTHD, "--config", str(server.config), "init"], capture_output=True, timeout=30)
        r = subprocess.run([AUTHD, "--config", str(server.config)], capture_output=True, timeout=30)
        assert r.returncode == 2 and message in r.stderr.decode(), r.stderr.decode()
    # a damaged state file
    (tmp_path / "log").mkdir()
    log = Authd(tmp_path / "log").start()
    vkey = log.request("GET", "/log/signatures/key", token=None)[2].decode().strip()
    log.stop()
    (tmp_path / "w").mkdir()
    witness = Authd(tmp_path / "w", extra_config=witness_config(vkey))
    witness.init()
    state_dir = tmp_path / "w" / "data.state"
    state_dir.mkdir(exist_ok=True)
    (state_dir / "witness.state").write_text(f"{SIG_LOG_ORIGIN} 12 not-base64\n")
    r = subprocess.run([AUTHD, "--config", str(witness.config)], capture_output=True, timeout=30)
    assert r.returncode != 0 and "witness.state:1: damaged" in r.stderr.decode(), r.stderr.decode()


def test_certctl_enforces_a_witness_policy(tmp_path):
    """A receipt whose checkpoint two witnesses cosigned passes a 2-of-2 policy; with one cosignature it
    is below the quorum; with a forged one it is refused. certctl audit enforces the same policy on the
    checkpoint (here on a mirrored copy of the log, to which the cosignatures are added)."""
    import subprocess
    from conftest import run_certctl
    (tmp_path / "log").mkdir()
    log = Authd(tmp_path / "log").start()
    witnesses = []
    try:
        vkey = log.request("GET", "/log/signatures/key", token=None)[2].decode().strip()
        for name, key in (("witness-a.authd.test", "witness-a"), ("witness-b.authd.test", "witness-b")):
            (tmp_path / key).mkdir()
            witnesses.append(Authd(tmp_path / key, extra_config=witness_config(vkey, name, key)).start())
        doc = issue_ok(log)
        import urllib.parse
        lid = urllib.parse.quote(doc["licence_id"], safe="")
        receipt = log.request("GET", f"/v1/licences/{lid}/receipt", token=None)[2].decode()
        note = receipt[receipt.index("\n\n") + 2:]  # the receipt ends with the log's signed checkpoint
        assert note.startswith(SIG_LOG_ORIGIN)
        lines = []
        for w in witnesses:
            code, _, body = add(w, 0, [], note)
            assert code == 200, body
            lines.append(body.decode())
        (tmp_path / "licence.cbor").write_bytes(base64.urlsafe_b64decode(doc["licence"] + "=" * (-len(doc["licence"]) % 4)))
        (tmp_path / "log.vkey").write_text(vkey)
        keys = []
        for i, w in enumerate(witnesses):
            keys.append(tmp_path / f"w{i}.vkey")
            keys[-1].write_bytes(w.request("GET", "/witness/key", token=None)[2])

        def verify(receipt_text, *policy):
            (tmp_path / "receipt").write_text(receipt_text)
            r = run_certctl("verify", "--trust", f"{KEYS}/trust.json", "--receipt", str(tmp_path / "receipt"),
                            "--log-key", str(tmp_path / "log.vkey"), "--licence-only", "--json", *policy,
                            str(tmp_path / "licence.cbor"))
            import json
            return json.loads(r.stdout)["checks"]["logged"]  # (the verdict waits on a status list not given)

        both = ["--witness", str(keys[0]), "--witness", str(keys[1])]
        logged = verify(receipt + lines[0] + lines[1], *both)
        assert logged["state"] == "passed", logged
        logged = verify(receipt + lines[0], *both)  # one of two: below the 2-of-2 quorum
        assert logged["state"] == "failed" and logged["reason"] == "not_witnessed", logged
        logged = verify(receipt + lines[0], *both, "--quorum", "1")
        assert logged["state"] == "passed", logged
        dash, name, blob = lines[1].split(" ")
        raw = bytearray(base64.b64decode(blob))
        raw[-1] ^= 1  # the signature altered, name and key id kept: a forged cosignature
        forged = f"{dash} {name} {base64.b64encode(bytes(raw)).decode()}\n"
        logged = verify(receipt + lines[0] + forged, *both, "--quorum", "1")
        assert logged["state"] == "failed" and logged["reason"] == "note_signature", logged
        logged = verify(receipt, *both)  # no cosignature at all
        assert logged["state"] == "failed" and logged["reason"] == "not_witnessed", logged
        logged = verify(receipt + lines[0] + lines[1])  # no policy given: cosignatures are not needed
        assert logged["state"] == "passed", logged

        # certctl audit: the served checkpoint carries no cosignatures yet (the log side is not built):
        # refused under the policy; a mirrored copy with both cosignatures added passes it
        mirror = tmp_path / "mirror"
        r = run_certctl("audit", "--log", log.url + "/log/signatures", "--key", str(tmp_path / "log.vkey"),
                        "--mirror", str(mirror), "--quiet", *both)
        assert r.returncode == 1 and "NOT WITNESSED" in r.stderr.decode(), r.stderr.decode()
        r = run_certctl("audit", "--log", log.url + "/log/signatures", "--key", str(tmp_path / "log.vkey"),
                        "--mirror", str(mirror), "--quiet")
        assert r.returncode == 0, r.stderr.decode()
        served = (mirror / "checkpoint").read_text()
        assert served == note  # the receipt's checkpoint is the published one (nothing was issued since)
        (mirror / "checkpoint").write_text(served + lines[0] + lines[1])
        r = run_certctl("audit", "--log", str(mirror), "--key", str(tmp_path / "log.vkey"), "--quiet", *both)
        assert r.returncode == 0, r.stderr.decode()
        (mirror / "checkpoint").write_text(served + lines[0] + forged)
        r = run_certctl("audit", "--log", str(mirror), "--key", str(tmp_path / "log.vkey"), "--quiet", *both,
                        "--quorum", "1")
        assert r.returncode == 1 and "forged" in r.stderr.decode(), r.stderr.decode()
    finally:
        log.stop()
        for w in witnesses:
            w.stop()


def with_log_witnesses(log, witnesses, quorum=None):
    """Puts `witnesses` ((url, cosigner key) pairs) under the signature log of an authd not yet started."""
    text = log.config.read_text()
    block = "    witnesses:\n" + "".join(f"      - url: {url}\n        key: \"{key}\"\n" for url, key in witnesses)
    if quorum:
        block += f"    witness_quorum: {quorum}\n"
    anchor = f"    key: {KEYS}/log/signatures.key\n"
    assert anchor in text
    log.config.write_text(text.replace(anchor, anchor + block, 1))


def wait_for(predicate, seconds=15):
    import time
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_authd_as_a_witnessed_log(tmp_path):
    """One log and two witnesses on loopback, all authd: the log's checkpoints reach 2-of-2
    cosignatures, served at /log/signatures/checkpoint and carried by receipts, which certctl accepts
    under the 2-of-2 policy; with one witness down issuance goes on, the failures show in /metrics and
    the newest checkpoint stays unwitnessed; the witness back, the log catches up."""
    import json
    import urllib.parse
    from conftest import run_certctl
    from test_authd_logs import vkey as log_vkey
    sig_vkey = log_vkey(SIG_LOG_ORIGIN, "signatures")
    witnesses = []
    for name, key in (("witness-a.authd.test", "witness-a"), ("witness-b.authd.test", "witness-b")):
        (tmp_path / key).mkdir()
        witnesses.append(Authd(tmp_path / key, extra_config=witness_config(sig_vkey, name, key)).start())
    keys = [w.request("GET", "/witness/key", token=None)[2].decode().strip() for w in witnesses]
    (tmp_path / "log").mkdir()
    log = Authd(tmp_path / "log")
    with_log_witnesses(log, [(w.url + "/witness", k) for w, k in zip(witnesses, keys)])
    log.start()
    try:
        for i, k in enumerate(keys):
            (tmp_path / f"w{i}.vkey").write_text(k)
        (tmp_path / "log.vkey").write_text(sig_vkey)
        policy = ["--witness", str(tmp_path / "w0.vkey"), "--witness", str(tmp_path / "w1.vkey")]
        doc = issue_ok(log)

        def cosigned():
            note = log.request("GET", "/log/signatures/checkpoint", token=None)[2].decode()
            return note if note.count("\u2014 ") == 3 else None  # the log's signature and two cosignatures
        note = wait_for(cosigned)
        text = note.split("\n\n")[0] + "\n"
        for line in note.split("\n\n")[1].splitlines()[1:]:
            dash, name, blob = line.split(" ")
            raw = base64.b64decode(blob)
            pub = base64.b64decode(keys[0 if name == "witness-a.authd.test" else 1].split("+", 2)[2])[1:]
            (timestamp,) = struct.unpack(">Q", raw[4:12])
            Ed25519PublicKey.from_public_bytes(pub).verify(raw[12:], b"cosignature/v1\ntime %d\n" % timestamp + text.encode())
        r = run_certctl("audit", "--log", log.url + "/log/signatures", "--key", str(tmp_path / "log.vkey"), "--quiet",
                        *policy)
        assert r.returncode == 0, r.stderr.decode()
        lid = urllib.parse.quote(doc["licence_id"], safe="")
        receipt = log.request("GET", f"/v1/licences/{lid}/receipt", token=None)[2].decode()
        (tmp_path / "receipt").write_text(receipt)
        (tmp_path / "licence.cbor").write_bytes(base64.urlsafe_b64decode(doc["licence"] + "=" * (-len(doc["licence"]) % 4)))
        r = run_certctl("verify", "--trust", f"{KEYS}/trust.json", "--receipt", str(tmp_path / "receipt"), "--log-key",
                        str(tmp_path / "log.vkey"), "--licence-only", "--json", *policy, str(tmp_path / "licence.cbor"))
        assert json.loads(r.stdout)["checks"]["logged"]["state"] == "passed", r.stdout

        # one witness down: issuance goes on; the failures are counted; the newest checkpoint is not witnessed
        witnesses[1].stop()
        for _ in range(3):
            issue_ok(log)

        def failures():
            metrics = log.request("GET", "/metrics", token="admin")[2].decode()
            n = [l for l in metrics.splitlines() if l.startswith("authd_witness_failures_total ")]
            return int(n[0].split()[1]) if n and int(n[0].split()[1]) > 0 else None
        assert wait_for(failures) > 0
        assert log.request("GET", "/log/signatures/checkpoint", token=None)[2].decode().count("\u2014 ") == 1
        metrics = log.request("GET", "/metrics", token="admin")[2].decode()
        assert 'authd_log_witnessed_size{log="signatures"} 1' in metrics
        r = run_certctl("audit", "--log", log.url + "/log/signatures", "--key", str(tmp_path / "log.vkey"), "--quiet",
                        *policy)
        assert r.returncode == 1 and "NOT WITNESSED" in r.stderr.decode()
        # back again: the log catches up, with a consistency proof from what that witness cosigned before
        witnesses[1].start(init=False)
        wait_for(cosigned)
        metrics = log.request("GET", "/metrics", token="admin")[2].decode()
        assert 'authd_log_witnessed_size{log="signatures"} 4' in metrics
    finally:
        log.stop()
        for w in witnesses:
            w.stop()


def test_the_runnable_example(tmp_path):
    """authd/examples/witnessed/run.sh: one command starts the log and its two witnesses; a licence
    issued on the log ends up in a checkpoint both witnesses cosigned."""
    import os
    import random
    import signal
    import socket
    import subprocess
    import time
    from conftest import AUTHD, REPO_ROOT, token
    for _ in range(50):  # three free consecutive loopback ports
        base = random.randrange(20000, 60000)
        try:
            for p in range(base, base + 3):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            break
        except OSError:
            continue
    env = dict(os.environ, WITNESSED_DIR=str(tmp_path), WITNESSED_PORT=str(base))
    build = os.path.dirname(os.path.dirname(AUTHD))
    proc = subprocess.Popen([f"{REPO_ROOT}/authd/examples/witnessed/run.sh", build], env=env,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        import urllib.request

        def get(path):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{base}{path}", timeout=2) as r:
                    return r.read().decode()
            except OSError:
                return None
        wait_for(lambda: get("/healthz"), 30)
        body = json.dumps({"type": "11100000000013338W001", "holder": {"id": "91330106MA2H12349J", "name": "杭州某某科技有限公司"},
                           "elements": {"entity_type": "有限责任公司", "legal_representative": "王五",
                                        "registered_capital": 100, "established": "2020-05-01",
                                        "address": "杭州市西湖区文三路1号", "business_scope": "软件开发"}}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{base}/v1/licences", data=body, method="POST",
                                     headers={"authorization": "Bearer " + token("issuer-scjg"),
                                              "content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 201
        note = wait_for(lambda: (lambda n: n if n and n.count("\u2014 ") == 3 else None)(
            get("/log/signatures/checkpoint")), 30)
        assert "witness-a.hangzhou.example" in note and "witness-b.ningbo.example" in note
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
