"""The citizen's use record (用证记录) against a real authd: a holder proves control of the device key one of
their licences is bound to and gets every access-log entry about them, each proven in the signed access
checkpoint (checked here independently: Ed25519 from `cryptography`, RFC 9162 hashing from hashlib), as
many as an auditor reading the whole access log finds for that holder; never another holder's. Another
device's key, another holder's licence, an unbound or revoked licence, a nonce not made here or too old:
refused. certctl use-record is the citizen's side."""
import base64
import json
import subprocess
import time
import urllib.parse

import pytest

from conftest import ACCESS_LOG_ORIGIN, BACKEND, CERTCTL, Authd, assert_problem, valid_numbers
from test_authd_licences import HUKOU, HUKOU_ELEMENTS, b64d, issue_ok
from test_authd_logs import (checkpoint, fetch_entries, leaf_hash, mth, node_hash, open_checkpoint, tile_path,
                             verify_inclusion, vkey)

MATTER = "ZJ-HYDJ-001"  # 婚姻登记: needs the 居民户口簿
HOLDER, OTHER, UNBOUND, REVOKED, BUSY = valid_numbers(5)
NONCE_TTL = 3


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Authd(tmp_path_factory.mktemp("use-record"), extra_config=f"challenges:\n  ttl: {NONCE_TTL}\n").start()
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


def device(d, name):
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    str(d / f"{name}.key")], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(d / f"{name}.key"), "-pubout", "-out", str(d / f"{name}.pub")],
                   check=True, capture_output=True)
    return d / f"{name}.key"


@pytest.fixture(scope="module")
def world(server, tmp_path_factory):
    """Licences of several holders, each on its own phone, and the accesses counters and an auditor made."""
    d = tmp_path_factory.mktemp("phones")
    keys = {who: device(d, who) for who in ("holder", "other", "revoked", "busy")}
    licences = {}
    for who, number, name in (("holder", HOLDER, "张三"), ("other", OTHER, "李四"), ("revoked", REVOKED, "王五"),
                              ("busy", BUSY, "赵六")):
        doc = issue_ok(server, "issuer-ga", HUKOU, number, name, HUKOU_ELEMENTS,
                       device_key=keys[who].with_suffix(".pub").read_text())
        licences[who] = doc["licence_id"]
        (d / f"{who}.cbor").write_bytes(b64d(doc["licence"]))
    doc = issue_ok(server, "issuer-ga", HUKOU, UNBOUND, "孙八", HUKOU_ELEMENTS)
    licences["unbound"] = doc["licence_id"]
    (d / "unbound.cbor").write_bytes(b64d(doc["licence"]))
    for cause, holder in (("婚姻登记", HOLDER), ("补领结婚证", HOLDER), ("婚姻登记", OTHER), ("离婚登记", HOLDER)):
        code, _, r = server.json("GET", f"/v1/holders/{holder}/licences?matter={MATTER}&use_cause="
                                 + urllib.parse.quote(cause), token="counter-hz")
        assert code == 200, r
    # an auditor's read of the licence is an access too
    code, _, r = server.json("GET", f"/v1/licences/{licences['holder']}", token="auditor")
    assert code == 200, r
    code, _, r = server.json("POST", f"/v1/licences/{licences['revoked']}/status",
                             {"status": "revoked", "reason": "手机丢失"}, token="issuer-ga")
    assert code == 200, r
    return {"dir": d, "keys": keys, "licences": licences}


def nonce(server):
    code, headers, doc = server.json("GET", "/v1/use-record/nonce", token=None)
    assert code == 200 and headers["cache-control"] == "no-store" and doc["expires_in"] == NONCE_TTL
    return doc["nonce"]


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + n.to_bytes(4, "big")


def tstr(s):
    b = s.encode()
    return cbor_head(3, len(b)) + b


def bstr(b):
    return cbor_head(2, len(b)) + b


def proof_of(key_path, licence_id, nonce_b64):
    """A holder request signed as a wallet would sign an ISO 18013-5 DeviceAuthentication, written here
    from the spec (docs/formats.md), not with certlib: COSE_Sign1 ES256 with a detached payload over
    #6.24(bstr .cbor ["DeviceAuthentication", [null, null, [label, licence id, nonce]], docType, #6.24(<<{}>>)])."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    nonce_bytes = base64.urlsafe_b64decode(nonce_b64 + "=" * (-len(nonce_b64) % 4))
    handover = cbor_head(4, 3) + tstr("cn.gov.elicence.holder-request.1") + tstr(licence_id) + bstr(nonce_bytes)
    transcript = cbor_head(4, 3) + b"\xf6\xf6" + handover
    empty = b"\xa0"
    inner = (cbor_head(4, 4) + tstr("DeviceAuthentication") + transcript + tstr("cn.gov.elicence.1")
             + b"\xd8\x18" + bstr(empty))
    payload = b"\xd8\x18" + bstr(inner)
    protected = b"\xa1\x01\x26"  # {1: -7}: ES256
    to_sign = cbor_head(4, 4) + tstr("Signature1") + bstr(protected) + bstr(b"") + bstr(payload)
    r, s = utils.decode_dss_signature(key.sign(to_sign, ec.ECDSA(hashes.SHA256())))
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return b64u(cbor_head(4, 4) + bstr(protected) + b"\xa0" + b"\xf6" + bstr(sig))


def ask(server, licence_id, key_path, n=None, **extra):
    n = n or nonce(server)
    body = {"licence_id": licence_id, "nonce": n, "proof": proof_of(key_path, licence_id, n), **extra}
    return server.json("POST", "/v1/use-record", body, token=None)


def auditor_counts(server):
    """The auditor's view: every access-log entry, counted by the holder it names."""
    size, _, _ = checkpoint(server, "access", "auditor")
    counts = {}
    for e in fetch_entries(server, "access", size, "auditor"):
        holder = e.decode().split(" ")[5]
        counts[holder] = counts.get(holder, 0) + 1
    return counts


def test_the_citizen_sees_every_access_about_them_proven(server, world):
    code, _, doc = ask(server, world["licences"]["holder"], world["keys"]["holder"])
    assert code == 200, doc
    size, root = open_checkpoint(doc["checkpoint"], ACCESS_LOG_ORIGIN, "access")
    assert size == doc["size"] and "next" not in doc
    entries = doc["entries"]
    for e in entries:
        proof = [base64.b64decode(h) for h in e["inclusion"]]
        assert verify_inclusion(e["index"], size, leaf_hash(e["entry"].encode()), proof, root)
        fields = e["entry"].split(" ")
        assert fields[0] == "access/v2" and fields[5] == doc["holder"]
    assert [e["index"] for e in entries] == sorted(e["index"] for e in entries)
    # three counter lookups and the auditor's read, with what each was for
    causes = [urllib.parse.unquote(e["entry"].split(" ")[8]) for e in entries]
    assert causes == ["婚姻登记", "补领结婚证", "离婚登记", "-"]
    assert [e["entry"].split(" ")[3] for e in entries] == ["counter-hz"] * 3 + ["auditor"]
    # as many as an auditor reading the whole log finds for this holder, and none of anyone else's
    counts = auditor_counts(server)
    assert counts[doc["holder"]] == len(entries) == 4
    code, _, other = ask(server, world["licences"]["other"], world["keys"]["other"])
    assert code == 200 and other["holder"] != doc["holder"] and len(other["entries"]) == counts[other["holder"]] == 1
    # no identity number in the answer
    assert HOLDER not in json.dumps(doc, ensure_ascii=False)


def test_a_lookup_shows_in_the_record_at_once(server, world):
    before = len(ask(server, world["licences"]["holder"], world["keys"]["holder"])[2]["entries"])
    code, _, _ = server.json("GET", f"/v1/holders/{HOLDER}/licences?matter={MATTER}&use_cause=%E5%A9%9A%E5%A7%BB",
                             token="counter-hz")
    assert code == 200
    assert len(ask(server, world["licences"]["holder"], world["keys"]["holder"])[2]["entries"]) == before + 1


def test_another_device_or_another_holders_licence_is_refused(server, world):
    lic, keys = world["licences"], world["keys"]
    # the holder's licence, signed with someone else's phone
    assert_problem(*ask(server, lic["holder"], keys["other"]), 403, "not_holder")
    # the holder's own phone, naming another holder's licence
    assert_problem(*ask(server, lic["other"], keys["holder"]), 403, "not_holder")
    # a licence bound to no phone proves nothing
    assert_problem(*ask(server, lic["unbound"], keys["holder"]), 403, "not_holder_bound")
    # a revoked licence's phone (a lost one) proves nothing any more
    assert_problem(*ask(server, lic["revoked"], keys["revoked"]), 403, "licence_not_in_force")
    assert_problem(*ask(server, "113301000024981130001-nosuchlicence", keys["holder"]), 422, "invalid_request")


def test_nonces_are_authds_and_short_lived(server, world):
    lic, key = world["licences"]["holder"], world["keys"]["holder"]
    good = nonce(server)
    raw = bytearray(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    raw[20] ^= 1
    assert_problem(*ask(server, lic, key, n=b64u(bytes(raw))), 422, "unknown_nonce")
    assert_problem(*ask(server, lic, key, n=b64u(b"\x00" * 32)), 422, "unknown_nonce")
    time.sleep(NONCE_TTL + 1.5)
    assert_problem(*ask(server, lic, key, n=good), 422, "nonce_expired")
    # a signature over one nonce does not serve another
    a, b = nonce(server), nonce(server)
    body = {"licence_id": lic, "nonce": b, "proof": proof_of(key, lic, a)}
    assert_problem(*server.json("POST", "/v1/use-record", body, token=None), 403, "not_holder")


def test_malformed_requests(server, world):
    lic = world["licences"]["holder"]
    n = nonce(server)
    proof = proof_of(world["keys"]["holder"], lic, n)
    for body, code in (({"licence_id": lic, "nonce": n}, "invalid_request"),
                       ({"licence_id": lic, "nonce": n, "proof": "%%%"}, "invalid_request"),
                       ({"licence_id": lic, "nonce": n, "proof": proof, "from": -1}, "invalid_request"),
                       ({"licence_id": 7, "nonce": n, "proof": proof}, "invalid_request"),
                       ({"licence_id": lic, "nonce": n, "proof": "A" * 4000}, "invalid_request")):
        status, headers, doc = server.json("POST", "/v1/use-record", body, token=None)
        assert status == 422 and doc["code"] == code, (body, doc)
    status, _, doc = server.json("POST", "/v1/use-record", {"licence_id": lic, "nonce": n, "proof": proof,
                                                            "holder_id": HOLDER}, token=None)
    assert status == 400 or status == 422, doc
    status, _, doc = server.json("POST", "/v1/use-record", raw=b"{", token=None)
    assert status in (400, 422)


def test_pages(server, world):
    lic, key = world["licences"]["busy"], world["keys"]["busy"]
    for i in range(205):
        code, _, _ = server.json("GET", f"/v1/holders/{BUSY}/licences?matter={MATTER}&use_cause=%E6%9F%A5%E8%AF%A2", token="counter-hz")
        assert code == 200
    code, _, first = ask(server, lic, key)
    assert code == 200 and len(first["entries"]) == 200 and first["next"] > first["entries"][-1]["index"]
    code, _, rest = ask(server, lic, key, **{"from": first["next"]})
    assert code == 200 and len(rest["entries"]) == 5 and "next" not in rest
    assert rest["entries"][0]["index"] == first["next"]


def certctl_use_record(server, world, who, key=None, *extra):
    d = world["dir"]
    (d / "access.vkey").write_text(vkey(ACCESS_LOG_ORIGIN, "access") + "\n")
    return subprocess.run([CERTCTL, "use-record", "--url", server.url, "--licence", str(d / f"{who}.cbor"),
                           "--device-key", str(key or world["keys"][who]), "--key", str(d / "access.vkey"), *extra],
                          capture_output=True, timeout=60)


def test_certctl_use_record(server, world):
    r = certctl_use_record(server, world, "holder", None, "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.decode().splitlines()]
    code, _, doc = ask(server, world["licences"]["holder"], world["keys"]["holder"])
    assert len(lines) == len(doc["entries"]) == auditor_counts(server)[doc["holder"]]
    assert lines[0]["counter"] == "counter-hz" and lines[0]["matter"] == MATTER and lines[0]["use_cause"] == "婚姻登记"
    # across pages
    r = certctl_use_record(server, world, "busy", None, "--json")
    assert r.returncode == 0 and len(r.stdout.decode().splitlines()) == 205, r.stderr
    # the table, and its summary
    r = certctl_use_record(server, world, "holder")
    assert r.returncode == 0 and "婚姻登记" in r.stdout.decode() and b"each proven" in r.stderr
    # another phone: authd refuses, certctl says why and exits 1
    r = certctl_use_record(server, world, "holder", world["keys"]["other"])
    assert r.returncode == 1 and b"not_holder" in r.stderr
    # a wrong access-log key: the answer does not check out
    d = world["dir"]
    (d / "wrong.vkey").write_text(vkey(ACCESS_LOG_ORIGIN, "signatures") + "\n")
    r = subprocess.run([CERTCTL, "use-record", "--url", server.url, "--licence", str(d / "holder.cbor"),
                        "--device-key", str(world["keys"]["holder"]), "--key", str(d / "wrong.vkey")],
                       capture_output=True, timeout=60)
    assert r.returncode == 1 and b"REFUSED" in r.stderr, r.stderr


# A schema 7 database set back to the layout of schema 6 (its text keys in the database's collation), 5
# (as 6, and every subtree hash above the leaves stored), 4 (as 5, and every leaf's hash stored too, and the
# holder-access index a table of its own) or 3 (as 4, without that index): the access entries' holders in
# no column, as they were.
KEY_COLUMNS = (("authd_licences", "id"), ("authd_holders", "id"), ("authd_challenges", "counter_id"),
               ("authd_list_counters", "issuer"))
KEYS_COLLATED = "".join(f'ALTER TABLE {t} ALTER COLUMN {c} TYPE text COLLATE "default"; ' for t, c in KEY_COLUMNS)
LEAVES_STORED = ("ALTER TABLE authd_log_entries DROP COLUMN holder_key; "
                 "INSERT INTO authd_log_hashes SELECT log, 0, idx, sha256('\\x00'::bytea || entry) FROM authd_log_entries; ")
OLDER_LAYOUT = {  # beyond KEYS_COLLATED, which every older layout has
    3: LEAVES_STORED,
    4: "CREATE TABLE authd_holder_access (holder_key bytea NOT NULL, idx bigint NOT NULL, "
       "PRIMARY KEY (holder_key, idx)); "
       "INSERT INTO authd_holder_access SELECT holder_key, idx FROM authd_log_entries WHERE holder_key IS NOT NULL; "
       + LEAVES_STORED,
    5: "",
    6: "",
}


def key_collations(pg, db):
    """The collation of each text key column, as PostgreSQL names it."""
    where = " OR ".join(f"(a.attrelid = '{t}'::regclass AND a.attname = '{c}')" for t, c in KEY_COLUMNS)
    return pg.psql(f"SELECT string_agg(c.collname, ',' ORDER BY a.attrelid, a.attname) FROM pg_attribute a "
                   f"JOIN pg_collation c ON c.oid = a.attcollation WHERE {where}", dbname=db).split(",")


def low_subtrees_stored(pg, db):
    """The statement storing the hashes of levels 1 to 3 that schemas 3 to 5 kept, computed here."""
    logs = {}
    for line in pg.psql("SELECT log, idx, encode(entry, 'hex') FROM authd_log_entries ORDER BY log, idx",
                        dbname=db).splitlines():
        log, _, entry = line.split("|")
        logs.setdefault(int(log), []).append(leaf_hash(bytes.fromhex(entry)))
    rows = []
    for log, hashes in logs.items():
        for level in (1, 2, 3):
            hashes = [node_hash(left, right) for left, right in zip(hashes[0::2], hashes[1::2])]
            rows += [f"({log}, {level}, {i}, '\\x{h.hex()}')" for i, h in enumerate(hashes)]
    return f"INSERT INTO authd_log_hashes VALUES {', '.join(rows)}; "


@pytest.mark.skipif(BACKEND != "postgresql", reason="the LMDB upgrade is unit-tested (lmdb_upgrade_test)")
@pytest.mark.parametrize("version", [3, 4, 5, 6])
def test_an_older_database_is_upgraded_at_start(server, world, version):
    """A database of authd's schema 3, 4, 5 or 6: the next start brings it to schema 7 (the holder-access
    index in the access log's rows, no hash of a subtree under 16 leaves stored, text keys in byte order).
    The use record and its proofs, the log's entries, its leaf-hash tiles and its root are what they were,
    licences are read by their ids, and the next lookup is filed."""
    from conftest import database_for, pg_server
    pg = pg_server()
    # a log of 64 entries at least, whatever ran before: subtrees at every level the upgrade drops
    while checkpoint(server, "access", "auditor")[0] < 64:
        code, _, _ = server.json("GET", f"/v1/holders/{BUSY}/licences?matter={MATTER}&use_cause=%E6%9F%A5%E8%AF%A2",
                                 token="counter-hz")
        assert code == 200
    before = ask(server, world["licences"]["holder"], world["keys"]["holder"])[2]
    size, root, _ = checkpoint(server, "access", "auditor")
    assert server.stop() == 0
    db = database_for(server.tmp / "data")
    pg.psql((low_subtrees_stored(pg, db) if version < 6 else "") + KEYS_COLLATED + OLDER_LAYOUT[version] +
            f"UPDATE authd_meta SET value = {version} WHERE name = 'schema_version'", dbname=db)
    if version < 6:
        assert int(pg.psql("SELECT count(*) FROM authd_log_hashes WHERE level BETWEEN 1 AND 3", dbname=db)) >= 56
    assert (pg.psql("SELECT count(*) FROM authd_log_hashes WHERE level = 0", dbname=db) != "0") == (version < 5)
    assert key_collations(pg, db) == ["default"] * 4
    since = server.stderr_path.stat().st_size  # this start's messages, not the last parameter's
    server.start(init=False)
    upgraded = server.stderr_path.read_bytes()[since:].decode()
    assert f"upgrading the database from schema version {version}" in upgraded
    assert ("upgrading the database from schema version 5 to 6" in upgraded) == (version < 6)
    assert "upgrading the database from schema version 6 to 7" in upgraded
    assert pg.psql("SELECT value FROM authd_meta WHERE name = 'schema_version'", dbname=db) == "7"
    assert pg.psql("SELECT count(*) FROM authd_log_hashes WHERE level < 4", dbname=db) == "0"
    assert key_collations(pg, db) == ["C"] * 4
    code, _, _ = server.json("GET", f"/v1/licences/{world['licences']['other']}", token="auditor")
    assert code == 200
    assert pg.psql("SELECT to_regclass('authd_holder_access') IS NULL", dbname=db) == "t"
    after = ask(server, world["licences"]["holder"], world["keys"]["holder"])[2]
    assert [e["index"] for e in after["entries"]] == [e["index"] for e in before["entries"]]
    # each entry's audit path, its lower hashes now computed from the entries, leads to the signed root
    proven_size, proven_root = open_checkpoint(after["checkpoint"], ACCESS_LOG_ORIGIN, "access")
    for e in after["entries"]:
        proof = [base64.b64decode(h) for h in e["inclusion"]]
        assert verify_inclusion(e["index"], proven_size, leaf_hash(e["entry"].encode()), proof, proven_root)
    # the tree is the one auditors saw: its leaves' hashes, now computed from the entries, give its root
    entries = fetch_entries(server, "access", size, "auditor")
    assert mth([leaf_hash(e) for e in entries]) == root
    width = min(size, 256)
    code, _, tile = server.request("GET", f"/log/access/{tile_path(0, 0, width)}", token="auditor")
    assert code == 200 and tile == b"".join(leaf_hash(e) for e in entries[:width])
    # a lookup after the upgrade is filed under its holder, and appended to the same tree (its hashes made
    # from a border whose leaf was read as its entry)
    code, _, _ = server.json("GET", f"/v1/holders/{HOLDER}/licences?matter={MATTER}&use_cause=%E5%A9%9A%E5%A7%BB",
                             token="counter-hz")
    assert code == 200
    again = ask(server, world["licences"]["holder"], world["keys"]["holder"])[2]
    assert len(again["entries"]) == len(after["entries"]) + 1
    later, later_root, _ = checkpoint(server, "access", "auditor")
    assert later > size and mth([leaf_hash(e) for e in fetch_entries(server, "access", later, "auditor")]) == later_root
