"""authd's transparency logs against a real server: checkpoints, tiles, proofs and receipts checked by an
independent RFC 6962 / C2SP implementation written here in Python, the access log's records, certctl
audit (and its detection of altered, dropped and forked history), and kill -9 during issuance."""
import base64
import hashlib
import json
import os
import subprocess
import urllib.parse

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import (ACCESS_LOG_ORIGIN, CERTCTL, KEYS, SIG_LOG_ORIGIN, Authd, assert_problem, run_certctl,
                      token)
from test_authd_licences import (COMPANY, MARRIAGE, MARRIAGE_ELEMENTS, PERSON, b64d, crash_during_issuance,
                                 issue_ok)

# ---- an independent implementation of what the log must satisfy ----


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """RFC 6962 §2.1 over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m, n, proof, old_root, root):
    """RFC 9162 §2.1.4.2."""
    if m == n:
        return not proof and old_root == root
    if m == 0 or not proof:
        return m == 0 and not proof
    if m & (m - 1) == 0:
        proof = [old_root] + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == root


def raw_public_key(name):
    with open(f"{KEYS}/log/{name}.pub", "rb") as f:
        return serialization.load_pem_public_key(f.read()).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def vkey(origin, name):
    pub = raw_public_key(name)
    key_id = hashlib.sha256(origin.encode() + b"\n\x01" + pub).digest()[:4]
    encoded = base64.b64encode(b"\x01" + pub).decode()
    return f"{origin}+{key_id.hex()}+{encoded}"


def open_note(note, origin, name):
    """C2SP signed-note: returns the text after checking the signature by the log's key."""
    text, sigs = note.split("\n\n", 1)
    text += "\n"
    pub = raw_public_key(name)
    key_id = hashlib.sha256(origin.encode() + b"\n\x01" + pub).digest()[:4]
    for line in sigs.splitlines():
        dash, signer, blob = line.split(" ")
        assert dash == "\u2014"
        blob = base64.b64decode(blob)
        if signer == origin and blob[:4] == key_id:
            Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], text.encode())
            assert text.splitlines()[0] == origin
            return text
    raise AssertionError("no signature by the log's key")


def open_checkpoint(note, origin, name):
    """C2SP tlog-checkpoint: returns (size, root) after checking the log's signature."""
    lines = open_note(note, origin, name).splitlines()
    return int(lines[1]), base64.b64decode(lines[2])


def tile_path(level, index, width):
    n, groups = index, []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if not n:
            break
    path = "/".join(["x" + g for g in reversed(groups[1:])] + [groups[0]])
    return f"tile/{level}/{path}" + (f".p/{width}" if width < 256 else "")


def fetch_entries(server, log, size, tok=None):
    entries = []
    for b in range((size + 255) // 256):
        width = min(256, size - 256 * b)
        code, headers, body = server.request("GET", f"/log/{log}/{tile_path('entries', b, width)}", token=tok)
        assert code == 200
        assert "immutable" in headers["cache-control"]
        while body:
            n = int.from_bytes(body[:2], "big")
            entries.append(body[2:2 + n])
            body = body[2 + n:]
    assert len(entries) == size
    return entries


def checkpoint(server, log="signatures", tok=None):
    code, headers, body = server.request("GET", f"/log/{log}/checkpoint", token=tok)
    assert code == 200 and headers["cache-control"] == "no-cache"
    origin, name = (SIG_LOG_ORIGIN, "signatures") if log == "signatures" else (ACCESS_LOG_ORIGIN, "access")
    return (*open_checkpoint(body.decode(), origin, name), body)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Authd(tmp_path_factory.mktemp("logs")).start()
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


def test_issuances_are_logged_checkpointed_and_tiled(server):
    before, _, _ = checkpoint(server)
    docs = [issue_ok(server) for _ in range(300)]  # more than one full tile
    size, root, _ = checkpoint(server)  # signed by the time the 201 arrived
    assert size >= before + 300
    assert [d["log"]["index"] for d in docs] == sorted(d["log"]["index"] for d in docs)
    entries = fetch_entries(server, "signatures", size)
    assert mth([leaf_hash(e) for e in entries]) == root
    # every issuance's entry: its id, type, issuer, status place and the SHA-256 of its issuerAuth
    for d in docs:
        e = entries[d["log"]["index"]].decode().split(" ")
        assert e[:2] == ["sig/v1", "issue"] and e[3] == d["licence_id"] and e[5] == "11330100002498113P"
        assert e[6] == d["status"]["list"] and int(e[7]) == d["status"]["idx"]
        licence = b64d(d["licence"])
        assert base64.urlsafe_b64decode(e[8] + "=") == hashlib.sha256(issuer_auth(licence)).digest()
    # no personal data in the public log
    blob = b"".join(entries)
    assert COMPANY.encode() not in blob and "杭州某某科技有限公司".encode() not in blob
    # level-0 and level-1 hash tiles match the tree
    code, headers, tile0 = server.request("GET", "/log/signatures/tile/0/000", token=None)
    assert code == 200 and "public" in headers["cache-control"] and "immutable" in headers["cache-control"]
    assert tile0 == b"".join(leaf_hash(e) for e in entries[:256])
    code, _, tile1 = server.request("GET", f"/log/signatures/{tile_path(1, 0, size // 256)}", token=None)
    assert code == 200 and tile1 == b"".join(mth([leaf_hash(e) for e in entries[256 * i:256 * i + 256]])
                                             for i in range(size // 256))
    # tiles the published tree does not have, and paths that are not tiles
    for path in [tile_path(0, 0, 255) + "x", tile_path(0, 99, 256), "tile/0/000.p/0", "tile/0/x000/000",
                 "tile/0/../../checkpoint", "tile/99/000", "tile/entries/x001/000"]:
        assert_problem(*server.json("GET", f"/log/signatures/{path}", token=None), 404, "tile_not_found")
    assert_problem(*server.json("GET", "/log/other/checkpoint", token=None), 404, "log_not_found")


def issuer_auth(licence):
    """The issuerAuth bytes of an IssuerSigned licence: the map's value under the text key
    "issuerAuth", which certlib writes last."""
    key = b"\x6aissuerAuth"
    at = licence.rindex(key) + len(key)
    return licence[at:]


def test_receipts_verify_offline(server, tmp_path):
    doc = issue_ok(server)
    lid = urllib.parse.quote(doc["licence_id"], safe="")
    code, headers, receipt = server.request("GET", f"/v1/licences/{lid}/receipt", token=None)
    assert code == 200 and receipt.startswith(b"c2sp.org/tlog-proof@v1\nextra ")
    # the proof, checked here independently
    head, cp = receipt.decode().split("\n\n", 1)
    lines = head.splitlines()
    entry = base64.b64decode(lines[1].split(" ")[1])
    index = int(lines[2].split(" ")[1])
    assert index == doc["log"]["index"]
    size, root = open_checkpoint(cp, SIG_LOG_ORIGIN, "signatures")
    proof = [base64.b64decode(h) for h in lines[3:]]
    assert verify_inclusion(index, size, leaf_hash(entry), proof, root)

    (tmp_path / "licence.cbor").write_bytes(b64d(doc["licence"]))
    (tmp_path / "receipt").write_bytes(receipt)
    key = vkey(SIG_LOG_ORIGIN, "signatures")

    def verify(receipt_bytes, key=key, licence="licence.cbor"):
        (tmp_path / "r").write_bytes(receipt_bytes)
        r = run_certctl("verify", "--trust", f"{KEYS}/trust.json", "--receipt", str(tmp_path / "r"), "--log-key",
                        key, "--json", str(tmp_path / licence))
        result = json.loads(r.stdout)
        return result["checks"]["logged"], result

    logged, result = verify(receipt)
    assert logged == {"state": "passed", "reason": None} and result["log_index"] == index
    # the receipt of another licence
    other = issue_ok(server)
    code, _, other_receipt = server.request(
        "GET", f"/v1/licences/{urllib.parse.quote(other['licence_id'], safe='')}/receipt", token=None)
    assert verify(other_receipt)[0]["reason"] == "not_logged"
    # an altered path, another log's key, a truncated receipt
    bad = receipt.replace(lines[3].encode(), base64.b64encode(b"\x00" * 32), 1)
    assert verify(bad)[0]["reason"] == "proof_mismatch"
    assert verify(receipt, key=vkey(SIG_LOG_ORIGIN, "access"))[0]["reason"] == "note_signature"
    assert verify(receipt[:len(head) + 3])[0]["state"] == "failed"
    # --require-logged without a receipt
    r = run_certctl("verify", "--trust", f"{KEYS}/trust.json", "--require-logged", "--json",
                    str(tmp_path / "licence.cbor"))
    assert r.returncode == 1 and json.loads(r.stdout)["checks"]["logged"] == {"state": "failed",
                                                                              "reason": "not_logged"}
    assert_problem(*server.json("GET", "/v1/licences/1.2.156.nothing/receipt", token=None), 404,
                   "licence_not_found")


def test_proof_endpoints(server):
    docs = [issue_ok(server) for _ in range(5)]
    size, root, _ = checkpoint(server)
    entries = fetch_entries(server, "signatures", size)
    leaves = [leaf_hash(e) for e in entries]
    for d in docs:
        for query in (f"index={d['log']['index']}", f"licence_id={urllib.parse.quote(d['licence_id'], safe='')}"):
            code, _, p = server.json("GET", f"/log/signatures/proof/inclusion?{query}", token=None)
            assert code == 200 and p["size"] == size
            proof = [base64.b64decode(h) for h in p["proof"]]
            assert verify_inclusion(p["index"], size, leaves[d["log"]["index"]], proof, root)
    # at an older size too, and consistency between every older size and now
    code, _, p = server.json("GET", "/log/signatures/proof/inclusion?index=2&size=7", token=None)
    assert verify_inclusion(2, 7, leaves[2], [base64.b64decode(h) for h in p["proof"]], mth(leaves[:7]))
    for old in (1, 2, 3, 7, 8, 255, 256, 257, size - 1, size):
        code, _, c = server.json("GET", f"/log/signatures/proof/consistency?from={old}", token=None)
        assert code == 200 and c["to"] == size
        assert verify_consistency(old, size, [base64.b64decode(h) for h in c["proof"]], mth(leaves[:old]), root)
    for path, status, code in [
            ("inclusion?index=01", 400, "invalid_parameter"), ("inclusion?index=-1", 400, "invalid_parameter"),
            ("inclusion", 400, "invalid_parameter"), ("inclusion?index=1&licence_id=x", 400, "invalid_parameter"),
            (f"inclusion?index={size}", 422, "index_out_of_range"),
            (f"inclusion?index=0&size={size + 1}", 422, "size_out_of_range"),
            ("inclusion?index=99999999999999999999999", 400, "invalid_parameter"),
            ("inclusion?licence_id=nope", 404, "licence_not_found"),
            ("consistency", 400, "invalid_parameter"), (f"consistency?from={size + 1}", 422, "size_out_of_range"),
            ("consistency?from=5&to=4", 422, "size_out_of_range")]:
        assert_problem(*server.json("GET", f"/log/signatures/proof/{path}", token=None), status, code)


def test_status_changes_are_logged_with_their_reason(server):
    doc = issue_ok(server)
    lid = urllib.parse.quote(doc["licence_id"], safe="")
    code, _, changed = server.json("POST", f"/v1/licences/{lid}/status",
                                   {"status": "suspended", "reason": "核查中 pending check"}, token="issuer-scjg")
    assert code == 200
    size, _, _ = checkpoint(server)
    entry = fetch_entries(server, "signatures", size)[changed["log"]["index"]].decode().split(" ")
    assert entry[:2] == ["sig/v1", "status"] and entry[3] == doc["licence_id"]
    assert entry[8] == "suspended" and urllib.parse.unquote(entry[9]) == "核查中 pending check"


IDENTITY_IN_TEXT = ["申请人11010519491231002X", "110105 19491231 002x 补办", "１１０１０５１９４９１２３１００２Ｘ",
                    "营业执照 91330106MA2H12349J", "旧证 110105491231002"]


def test_free_text_carrying_identity_data_is_refused(server):
    """A reason is published in the signature log, a use cause kept in the access log: neither may carry an
    identity number or USCC, however typed; the refusal does not echo it, and nothing is logged."""
    doc = issue_ok(server)
    lid = urllib.parse.quote(doc["licence_id"], safe="")
    sig_before, _, _ = checkpoint(server)
    access_before, _, _ = checkpoint(server, "access", "auditor")
    for text in IDENTITY_IN_TEXT:
        code, headers, problem = server.json("POST", f"/v1/licences/{lid}/status",
                                             {"status": "suspended", "reason": text}, token="issuer-scjg")
        assert_problem(code, headers, problem, 422, "identity_data_in_text")
        assert "'reason'" in problem["detail"] and "1949" not in problem["detail"] and "MA2H" not in problem["detail"]
        cause = urllib.parse.quote(text)
        code, headers, problem = server.json(
            "GET", f"/v1/holders/{PERSON}/licences?matter=ZJ-CSDJ-001&use_cause={cause}", token="counter-hz")
        assert_problem(code, headers, problem, 422, "identity_data_in_text")
        for who, matter in (("counter-hz", "matter=ZJ-QYBG-001&"), ("auditor", "")):
            code, headers, problem = server.json("GET", f"/v1/licences/{lid}?{matter}use_cause={cause}", token=who)
            assert_problem(code, headers, problem, 422, "identity_data_in_text")
    assert checkpoint(server)[0] == sig_before
    assert checkpoint(server, "access", "auditor")[0] == access_before
    # numbers that are not valid identifiers, and licence codes, are ordinary text
    for text in ("案号 2024-0001", "11010519491231002Y 作废", "type 11100000000013338W001"):
        code, _, _ = server.json("POST", f"/v1/licences/{lid}/status", {"status": "suspended", "reason": text},
                                 token="issuer-scjg")
        assert code == 200, text


def test_an_auditors_read_is_logged(server):
    """An auditor fetching a licence sees it whole: that access is recorded like a counter's, before the answer."""
    doc = issue_ok(server)
    lid = urllib.parse.quote(doc["licence_id"], safe="")
    before, _, _ = checkpoint(server, "access", "auditor")
    code, _, fetched = server.json("GET", f"/v1/licences/{lid}?use_cause={urllib.parse.quote('年度抽查')}",
                                   token="auditor")
    assert code == 200 and fetched["licence"] == doc["licence"]
    size, _, _ = checkpoint(server, "access", "auditor")
    assert size == before + 1
    entry = fetch_entries(server, "access", size, "auditor")[before].decode().split(" ")
    assert entry[:2] == ["access/v2", "lookup"] and entry[3] == "auditor" and entry[7] == doc["licence_id"]
    assert urllib.parse.unquote(entry[8]) == "年度抽查"
    # the issuer reading its own licence is not an access to another's data
    assert server.json("GET", f"/v1/licences/{lid}", token="issuer-scjg")[0] == 200
    assert checkpoint(server, "access", "auditor")[0] == size


def test_access_log_records_lookups_and_verifications(server):
    issued = issue_ok(server, client="issuer-mz", type_code=MARRIAGE, holder_id=PERSON, name="张三",
                      elements=MARRIAGE_ELEMENTS)
    before, _, _ = checkpoint(server, "access", "auditor")
    cause = urllib.parse.quote("新生儿 登记")
    code, _, look = server.json("GET", f"/v1/holders/{PERSON}/licences?matter=ZJ-CSDJ-001&use_cause={cause}",
                                token="counter-hz")
    assert code == 200 and look["licences"]
    code, _, verdict = server.json("POST", "/v1/verify", {"licence": issued["licence"]}, token="counter-hz")
    assert code == 200
    lid = urllib.parse.quote(issued["licence_id"], safe="")
    code, _, fetched = server.json("GET", f"/v1/licences/{lid}?matter=ZJ-CSDJ-001&use_cause={cause}",
                                   token="counter-hz")
    assert code == 200
    size, root, _ = checkpoint(server, "access", "auditor")
    assert size == before + 3  # recorded before the answers left
    entries = fetch_entries(server, "access", size, "auditor")
    assert mth([leaf_hash(e) for e in entries]) == root
    lookup, verify, fetch = (e.decode().split(" ") for e in entries[before:])
    assert fetch[:2] == ["access/v2", "lookup"] and fetch[4] == "ZJ-CSDJ-001" and fetch[7] == issued["licence_id"]
    assert fetch[5] == lookup[5] and urllib.parse.unquote(fetch[8]) == "新生儿 登记"
    assert lookup[:2] == ["access/v2", "lookup"] and lookup[3] == "counter-hz" and lookup[4] == "ZJ-CSDJ-001"
    assert lookup[6] == "ok" and lookup[7].split(",") == [lic["licence_id"] for lic in look["licences"]]
    assert urllib.parse.unquote(lookup[8]) == "新生儿 登记"
    assert verify[:2] == ["access/v2", "verify"] and verify[3] == "counter-hz"
    assert verify[6] == verdict["verdict"] and verify[7] == issued["licence_id"]
    # the holder appears only as a keyed hash, the same in both entries
    assert lookup[5] == verify[5] and len(base64.urlsafe_b64decode(lookup[5] + "=")) == 32
    assert PERSON.encode() not in b"".join(entries) and "张三".encode() not in b"".join(entries)
    # auditors and admins only
    for who, status in [(None, 401), ("counter-hz", 403), ("issuer-mz", 403)]:
        for path in ("checkpoint", "tile/entries/000.p/1", "proof/consistency?from=1", "key"):
            assert server.request("GET", f"/log/access/{path}", token=who)[0] == status
    assert server.request("GET", "/log/access/checkpoint", token="admin")[0] == 200


def audit(tmp_path, log, key, *extra):
    return subprocess.run([CERTCTL, "audit", "--log", log, "--key", key, "--quiet", *extra], capture_output=True,
                          text=True, timeout=120)


def test_audit_progress_in_a_file_has_no_carriage_returns(server, tmp_path):
    issue_ok(server)
    r = subprocess.run([CERTCTL, "audit", "--log", f"{server.url}/log/signatures", "--key",
                        vkey(SIG_LOG_ORIGIN, "signatures")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stderr and "entries (100%)\n" in r.stderr, r.stderr


def test_certctl_audit_and_tampering(server, tmp_path):
    for _ in range(20):
        issue_ok(server)
    issue_ok(server, client="issuer-mz", type_code=MARRIAGE, holder_id=PERSON, name="张三",
             elements=MARRIAGE_ELEMENTS)
    key = vkey(SIG_LOG_ORIGIN, "signatures")
    state, mirror = tmp_path / "state", tmp_path / "mirror"
    r = audit(tmp_path, f"{server.url}/log/signatures", key, "--state", str(state), "--mirror", str(mirror),
              "--issuer", "11330100002498121J")
    assert r.returncode == 0, r.stderr
    assert "consistent" in r.stderr and "INCONSISTENT" not in r.stderr
    listed = r.stdout.splitlines()
    assert listed and all(MARRIAGE in line for line in listed)  # only the 民政局's licences
    assert state.read_bytes() == (mirror / "checkpoint").read_bytes()
    # a window in the past lists nothing
    r = audit(tmp_path, str(mirror), key, "--issuer", "11330100002498121J", "--to", "2020-01-01")
    assert r.returncode == 0 and r.stdout == ""
    # the access log, with an auditor's token
    (tmp_path / "token").write_text(token("auditor"))
    r = audit(tmp_path, f"{server.url}/log/access", vkey(ACCESS_LOG_ORIGIN, "access"), "--token",
              str(tmp_path / "token"))
    assert r.returncode == 0, r.stderr
    r = audit(tmp_path, f"{server.url}/log/access", vkey(ACCESS_LOG_ORIGIN, "access"))
    assert r.returncode == 2 and "token" in r.stderr

    # the mirror audits offline, then each tampering is caught
    r = audit(tmp_path, str(mirror), key, "--state", str(state))
    assert r.returncode == 0, r.stderr
    bundle = mirror / "tile" / "entries" / sorted(os.listdir(mirror / "tile" / "entries"))[0]
    original = bundle.read_bytes() if bundle.is_file() else None
    if original is None:  # a partial bundle lives under NNN.p/W
        bundle = next(p for p in bundle.rglob("*") if p.is_file())
        original = bundle.read_bytes()

    def tampered(data):
        bundle.write_bytes(data)
        r = audit(tmp_path, str(mirror), key, "--state", str(state))
        bundle.write_bytes(original)
        assert r.returncode == 1, r.stderr
        assert "INCONSISTENT" in r.stderr
        return r.stderr

    i = original.index(b"11330100002498113P")
    changed = original[:i] + b"11330100002498121J" + original[i + 18:]  # one leaf names another issuer
    err = tampered(changed)
    assert "does not match the tree" in err or "root" in err or "REWRITTEN" in err
    n = int.from_bytes(original[:2], "big")  # drop the first entry
    assert "wrong number of entries" in tampered(original[2 + n:])
    assert "INCONSISTENT" in tampered(original[:-5])  # truncated
    # an altered hash tile
    tile0 = next(p for p in (mirror / "tile" / "0").rglob("*") if p.is_file())
    t = tile0.read_bytes()
    tile0.write_bytes(bytes([t[0] ^ 1]) + t[1:])
    r = audit(tmp_path, str(mirror), key)
    tile0.write_bytes(t)
    assert r.returncode == 1 and "does not match the tree" in r.stderr
    # a checkpoint signed by another key
    r = audit(tmp_path, str(mirror), vkey(SIG_LOG_ORIGIN, "access"))
    assert r.returncode == 1 and "does not verify" in r.stderr
    assert audit(tmp_path, str(mirror), key, "--state", str(state)).returncode == 0


def test_audit_detects_a_forked_history(tmp_path):
    """The same log key, a fresh store: the history an auditor saw is gone, and audit says so."""
    (tmp_path / "a").mkdir()
    first = Authd(tmp_path / "a").start()
    key, state = vkey(SIG_LOG_ORIGIN, "signatures"), tmp_path / "state"
    try:
        for _ in range(5):
            issue_ok(first)
        assert audit(tmp_path, f"{first.url}/log/signatures", key, "--state", str(state)).returncode == 0
    finally:
        first.stop()
    (tmp_path / "b").mkdir()
    fork = Authd(tmp_path / "b").start()
    try:
        for _ in range(3):  # a shorter history: the log shrank
            issue_ok(fork)
        r = audit(tmp_path, f"{fork.url}/log/signatures", key, "--state", str(state))
        assert r.returncode == 1 and "HISTORY REWRITTEN" in r.stderr and "shrank" in r.stderr
        for _ in range(5):  # a longer one that does not extend it
            issue_ok(fork)
        r = audit(tmp_path, f"{fork.url}/log/signatures", key, "--state", str(state))
        assert r.returncode == 1 and "HISTORY REWRITTEN" in r.stderr
    finally:
        fork.stop()


def test_kill_during_issuance_keeps_the_log_consistent(tmp_path):
    server = Authd(tmp_path).start()
    seen = []

    def watch(stop):  # every checkpoint handed out before the crash
        while not stop.is_set():
            try:
                code, _, body = server.request("GET", "/log/signatures/checkpoint", token=None)
            except Exception:
                return
            if code == 200:
                seen.append(body)
    acknowledged = crash_during_issuance(server, 6, lambda n: n >= 200, watch)
    try:
        size, root, _ = checkpoint(server)
        entries = fetch_entries(server, "signatures", size)
        leaves = [leaf_hash(e) for e in entries]
        assert mth(leaves) == root
        # every checkpoint handed out before the crash is a prefix of the tree after it
        distinct = {open_checkpoint(b.decode(), SIG_LOG_ORIGIN, "signatures") for b in seen}
        assert len(distinct) > 1
        for old_size, old_root in distinct:
            assert old_size <= size and mth(leaves[:old_size]) == old_root
            code, _, c = server.json("GET", f"/log/signatures/proof/consistency?from={old_size}", token=None)
            assert verify_consistency(old_size, size, [base64.b64decode(h) for h in c["proof"]], old_root, root)
        # every acknowledged issuance is in the log, at the index it was given
        for doc in acknowledged:
            e = entries[doc["log"]["index"]].decode().split(" ")
            assert e[1] == "issue" and e[3] == doc["licence_id"]
        # and the whole log audits, consistent with the last checkpoint seen before the crash
        last = max(seen, key=lambda b: open_checkpoint(b.decode(), SIG_LOG_ORIGIN, "signatures")[0])
        (tmp_path / "state").write_bytes(last)
        r = audit(tmp_path, f"{server.url}/log/signatures", vkey(SIG_LOG_ORIGIN, "signatures"), "--state",
                  str(tmp_path / "state"))
        assert r.returncode == 0, r.stderr
    finally:
        assert server.stop() == 0
