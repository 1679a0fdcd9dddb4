"""Traceable disclosure (数据水印溯源) against a real authd: every lookup, fetch and verification answer
carries a disclosure mark signed with the access log's key, the marks of one commit under one signature
(certlib/mark.h's batched marks, checked here by this file's own code); certctl trace follows a mark (or the ELM1:
reference printed on paper) to its access-log entry with an inclusion proof, and refuses altered marks,
marks shown with another licence, and marks whose entry is absent or different. The lookup also verifies
each licence it returns, with its issuance receipt."""
import base64
import hashlib
import os
import threading
import urllib.parse

import pytest
from cryptography.hazmat.primitives import serialization

from conftest import ACCESS_LOG_ORIGIN, KEYS, Authd, run_certctl, token
from test_authd_licences import (COMPANY, HUKOU, HUKOU_ELEMENTS, MARRIAGE, MARRIAGE_ELEMENTS, b64d, b64u,
                                 issue_ok)
from test_authd_logs import leaf_hash, open_checkpoint, open_note, verify_inclusion

HOLDER = "330106199203071230"
MATTER = "ZJ-BDCZY-001"
CAUSE = "不动产转移登记 二手房过户"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Authd(tmp_path_factory.mktemp("marks")).start()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def lookup(server):
    issue_ok(server, "issuer-ga", HUKOU, HOLDER, "钱七", HUKOU_ELEMENTS)
    issue_ok(server, "issuer-mz", MARRIAGE, HOLDER, "钱七", MARRIAGE_ELEMENTS)
    path = f"/v1/holders/{HOLDER}/licences?matter={MATTER}&use_cause=" + urllib.parse.quote(CAUSE)
    code, _, doc = server.json("GET", path + "&verify=true", token="counter-hz")
    assert code == 200, doc
    # without verify=true the same licences come unverified (the counter verifies them with certlib)
    code, _, plain = server.json("GET", path, token="counter-hz")
    assert code == 200 and [l["licence"] for l in plain["licences"]] == [l["licence"] for l in doc["licences"]]
    assert all("verdict" not in l and "receipt" not in l for l in plain["licences"])
    code, _, bad = server.json("GET", path + "&verify=yes", token="counter-hz")
    assert code == 400 and bad["code"] == "invalid_parameter"
    return doc


def files(tmp_path, server, **texts):
    key = tmp_path / "access.vkey"
    key.write_text(server.request("GET", "/log/access/key", token="auditor")[2].decode())
    (tmp_path / "auditor.token").write_text(token("auditor"))
    out = {"key": str(key), "token": str(tmp_path / "auditor.token")}
    for name, text in texts.items():
        (tmp_path / name).write_text(text) if isinstance(text, str) else (tmp_path / name).write_bytes(text)
        out[name] = str(tmp_path / name)
    return out


def sign_with_access_key(text):
    """A C2SP signed note under the demo access-log key: what only the key's holder can make."""
    with open(f"{KEYS}/log/access.key", "rb") as f:
        sk = serialization.load_pem_private_key(f.read(), password=None)
    pub = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(ACCESS_LOG_ORIGIN.encode() + b"\n\x01" + pub).digest()[:4]
    sig = base64.b64encode(key_id + sk.sign(text.encode())).decode()
    return f"{text}\n\u2014 {ACCESS_LOG_ORIGIN} {sig}\n"


def open_mark(mark):
    """A batched mark (certlib/mark.h), checked: its batch note signed by the access log's key, its text
    at its place in the batch's tree. Returns (text, batch note, position)."""
    text, rest = mark.split("\n\n", 1)
    text += "\n"
    lines = rest.split("\n")
    assert lines[0].startswith("batch ")
    position = int(lines[0][len("batch "):])
    path = []
    for line in lines[1:]:
        if not line:
            break
        path.append(b64d(line))
    note = "\n".join(lines[len(path) + 2:])
    batch = open_note(note, ACCESS_LOG_ORIGIN, "access").splitlines()
    assert len(batch) == 2
    header, size, root = batch[1].split(" ")
    assert header == "disclosure-batch/v1"
    assert verify_inclusion(position, int(size), leaf_hash(text.encode()), path, b64d(root))
    return text, note, position


def trace(server, f, *args):
    return run_certctl("trace", "--log", server.url + "/log/access", "--key", f["key"], "--token", f["token"],
                       *args)


def test_lookup_answer_is_marked_and_verified(server, lookup):
    d = lookup["disclosure"]
    assert d["client"] == "counter-hz" and d["matter"] == MATTER and d["use_cause"] == CAUSE
    assert d["reference"] == f"ELM1:{d['log_index']}:" + d["mark"].split("\n")[1].split(" ")[2]
    # one SHA-256 per licence released, over exactly the bytes released
    assert d["licences"] == [b64u(hashlib.sha256(b64d(l["licence"])).digest()) for l in lookup["licences"]]
    lines = d["mark"].split("\n")
    assert lines[0] == ACCESS_LOG_ORIGIN and lines[1].startswith(f"disclosure/v1 {d['log_index']} ")
    assert lines[2].startswith(f"lookup {d['time']} counter-hz {MATTER} ")
    assert lines[3:3 + len(d["licences"])] == d["licences"]
    # the signature over its batch and its place there, checked by this file's own code (a batch note's
    # second line is no tree size, so open_checkpoint's parse of it as a checkpoint must fail after the
    # signature passed)
    text, note, _ = open_mark(d["mark"])
    assert text == "\n".join(lines[:3 + len(d["licences"])]) + "\n"
    with pytest.raises(ValueError):
        open_checkpoint(note, ACCESS_LOG_ORIGIN, "access")
    # verify=true: each licence verified as a counter would, with its issuance receipt from the signature log
    for l in lookup["licences"]:
        assert l["verdict"] == "valid", l
        checks = l["checks"]
        for name in ("signature", "signer", "status", "logged"):
            assert checks[name]["state"] == "passed", (name, checks)
        assert checks["holder"]["state"] == "not_applicable"
        assert l["receipt"].startswith("c2sp.org/tlog-proof@v1")
    # the access log holds the entry the mark names, with the disclosure digest
    code, _, cp = server.request("GET", "/log/access/checkpoint", token="auditor")
    assert int(cp.decode().split("\n")[1]) > d["log_index"]


def test_concurrent_answers_share_a_signature(server, lookup):
    """Lookups answered in one commit carry one batch note, each mark at its own place; each opens."""
    path = f"/v1/holders/{HOLDER}/licences?matter={MATTER}&use_cause=" + urllib.parse.quote(CAUSE)
    marks, failed = [], []

    def ask():
        code, _, doc = server.json("GET", path, token="counter-hz")
        (marks if code == 200 else failed).append(doc["disclosure"]["mark"] if code == 200 else doc)

    threads = [threading.Thread(target=ask) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed and len(marks) == 32
    batches = {}
    for m in marks:
        text, note, position = open_mark(m)
        batches.setdefault(note, set()).add(position)
    assert len(batches) < len(marks)  # some answers shared a commit, and so a signature
    assert sum(len(p) for p in batches.values()) == len(marks)  # each at a place of its own


def test_trace_a_lookup(server, lookup, tmp_path):
    licence = b64d(lookup["licences"][0]["licence"])
    f = files(tmp_path, server, mark=lookup["disclosure"]["mark"], licence=licence,
              qr_text=lookup["licences"][1]["licence"])
    r = trace(server, f, "--mark", f["mark"], "--licence", f["licence"], "--licence", f["qr_text"])
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode()
    assert f"traced: entry {lookup['disclosure']['log_index']} of {ACCESS_LOG_ORIGIN}" in out
    assert "counter-hz" in out and MATTER in out and CAUSE in out and "lookup" in out
    # the printed reference alone finds and proves the same entry
    r = trace(server, f, "--reference", lookup["disclosure"]["reference"])
    assert r.returncode == 0 and "counter-hz" in r.stdout.decode() and CAUSE in r.stdout.decode(), r.stderr


def test_trace_refusals(server, lookup, tmp_path):
    mark = lookup["disclosure"]["mark"]
    other = issue_ok(server, "issuer-ga", HUKOU, "11010119900307651X", "孙八", HUKOU_ELEMENTS)
    f = files(tmp_path, server, mark=mark, other=b64d(other["licence"]),
              altered=mark.replace(f" counter-hz {MATTER} ", f" counter-nb {MATTER} "),
              whole=b64d(other["licence"]))

    def refused(*args, why):
        r = trace(server, f, *args)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert why in r.stderr.decode(), r.stderr.decode()

    # an altered mark: its signature fails
    refused("--mark", f["altered"], why="does not verify")
    # a true mark shown with a licence it was not given for
    refused("--mark", f["mark"], "--licence", f["other"], why="mark_licence_mismatch")
    # a mark naming an entry the log does not have (made with the real key: signed by authd's access log
    # key it could only be if authd signed it; here a reference is enough to show the absent entry)
    idx, h = lookup["disclosure"]["log_index"], lookup["disclosure"]["reference"].split(":")[2]
    refused("--reference", f"ELM1:{idx + 100000}:{h}", why="has no entry")
    # a mark signed with the real key but naming an entry the log does not have (a store rolled back
    # under it, or a key misused): refused, because the log is what counts
    lines = mark.split("\n\n")[0].split("\n")
    lines[1] = f"disclosure/v1 {idx + 100000} {h}"
    f["forged"] = str(tmp_path / "forged")
    (tmp_path / "forged").write_text(sign_with_access_key("\n".join(lines) + "\n"))
    refused("--mark", f["forged"], why="has no entry")
    # ... or naming the right entry with fields that the entry does not hold
    lines = mark.split("\n\n")[0].split("\n")
    lines[2] = lines[2].replace(" counter-hz ", " counter-nb ")
    (tmp_path / "forged").write_text(sign_with_access_key("\n".join(lines) + "\n"))
    refused("--mark", f["forged"], why="mark_entry_mismatch")
    # a reference naming an entry that is there, but is another one
    code, _, later = server.json("GET", f"/v1/holders/{COMPANY}/licences?matter={MATTER}&use_cause=x",
                                 token="counter-hz")
    assert code == 200
    refused("--reference", f"ELM1:{later['disclosure']['log_index']}:{h}", why="not the one the reference names")
    # a reference that is not one
    refused("--reference", "ELM1:x", why="not an ELM1: reference")
    # the wrong key: the signature log's
    code, _, sigkey = server.request("GET", "/log/signatures/key", token=None)
    (tmp_path / "sig.vkey").write_bytes(sigkey)
    f["key"] = str(tmp_path / "sig.vkey")
    refused("--mark", f["mark"], why="does not verify")


def test_every_access_answer_is_marked(server, lookup, tmp_path):
    # a verification: the mark names the bytes the counter had verified
    lic = next(l for l in lookup["licences"] if l["type"] == HUKOU)
    code, _, v = server.json("POST", "/v1/verify", {"licence": lic["licence"]}, token="counter-hz")
    assert code == 200 and v["disclosure"]["licences"] == [b64u(hashlib.sha256(b64d(lic["licence"])).digest())]
    assert v["disclosure"]["mark"].split("\n")[2].startswith("verify ")
    assert v["disclosure"]["matter"] is None and v["disclosure"]["use_cause"] is None
    # a fetch by id, with a matter
    lid = urllib.parse.quote(lic["licence_id"], safe="")
    code, _, g = server.json("GET", f"/v1/licences/{lid}?matter={MATTER}&use_cause=x", token="counter-hz")
    assert code == 200 and g["disclosure"]["licences"] == [b64u(hashlib.sha256(b64d(g["licence"])).digest())]
    f = files(tmp_path, server, vmark=v["disclosure"]["mark"], lic=b64d(lic["licence"]),
              gmark=g["disclosure"]["mark"], glic=b64d(g["licence"]))
    assert trace(server, f, "--mark", f["vmark"], "--licence", f["lic"]).returncode == 0
    assert trace(server, f, "--mark", f["gmark"], "--licence", f["glic"]).returncode == 0
    # an issuer's read of its own licence is not an access: no mark
    code, _, own = server.json("GET", f"/v1/licences/{lid}", token="issuer-ga")
    assert code == 200 and "disclosure" not in own
    # an empty lookup is marked too: it released nothing, and the mark says so
    code, _, empty = server.json("GET", f"/v1/holders/{COMPANY}/licences?matter={MATTER}&use_cause=x",
                                 token="counter-hz")
    assert code == 200 and empty["licences"] == [] and empty["disclosure"]["licences"] == []


def test_trace_from_a_mirror_directory(server, lookup, tmp_path):
    """certctl audit --mirror keeps a copy of the log; trace works on it offline as on the server."""
    f = files(tmp_path, server, mark=lookup["disclosure"]["mark"])
    mirror = tmp_path / "mirror"
    r = run_certctl("audit", "--log", server.url + "/log/access", "--key", f["key"], "--token", f["token"],
                    "--mirror", str(mirror), "--quiet")
    assert r.returncode == 0, r.stderr
    r = run_certctl("trace", "--log", str(mirror), "--key", f["key"], "--mark", f["mark"])
    assert r.returncode == 0 and CAUSE in r.stdout.decode(), r.stderr.decode()


def test_reference_qr(server, lookup):
    ref = urllib.parse.quote(lookup["disclosure"]["reference"], safe="")
    code, headers, svg = server.request("GET", f"/v1/marks/{ref}/qr", token="counter-hz")
    assert code == 200 and headers["content-type"] == "image/svg+xml" and svg.startswith(b"<svg")
    for bad in ("ELM1:x", "hello", "ELM1:01:" + ref.split("%3A")[-1]):
        code, _, doc = server.json("GET", f"/v1/marks/{urllib.parse.quote(bad, safe='')}/qr", token="counter-hz")
        assert code == 422 and doc["code"] == "invalid_reference"


def test_use_cause_pick_lists(server):
    code, _, doc = server.json("GET", "/v1/matters", token="counter-hz")
    by_code = {m["code"]: m for m in doc["matters"]}
    assert by_code[MATTER]["use_causes"][0] == "二手房买卖过户"
