"""国密 at rest (store.cipher: sm4) against a real authd, on the run's backend: licences sealed with SM4-CTR
and HMAC-SM3, the holder index keyed with HMAC-SM3 (both checked here independently, from the data key,
with Python's hmac and OpenSSL's SM3 and SM4), everything else working as on an XChaCha20 store; the
cipher is recorded when the store is created, and a configuration naming another one is refused."""
import hashlib
import hmac
import subprocess

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conftest import BACKEND, KEYS, Authd, database_for, pg_server
from test_authd_licences import (BIZ, BIZ_ELEMENTS, COMPANY, HUKOU, HUKOU_ELEMENTS, MARRIAGE, MARRIAGE_ELEMENTS,
                                 PERSON, b64d, certctl_verify, issue_ok)

MATTER = "ZJ-HYDJ-001"


def sm_subkey(label):
    master = bytes.fromhex(open(f"{KEYS}/data.key").read().strip())
    return hmac.new(master, label.encode(), "sm3").digest()


def stored_records(server):
    """Every stored record's bytes, by licence id, as the backend holds them."""
    if BACKEND == "postgresql":
        out = pg_server().psql("SELECT id || ' ' || encode(record, 'hex') FROM authd_licences",
                               dbname=database_for(server.tmp / "data"))
        return {line.split(" ")[0]: bytes.fromhex(line.split(" ")[1]) for line in out.splitlines()}
    dump = subprocess.run(["mdb_dump", "-s", "licences", str(server.tmp / "data")], capture_output=True,
                          text=True, check=True).stdout
    return {k: v[8:] for k, v in _mdb_pairs(dump)}


def stored_holder_keys(server):
    if BACKEND == "postgresql":
        out = pg_server().psql("SELECT encode(holder_key, 'hex') FROM authd_holders",
                               dbname=database_for(server.tmp / "data"))
        return {bytes.fromhex(h) for h in out.splitlines()}
    dump = subprocess.run(["mdb_dump", "-s", "holders", str(server.tmp / "data")], capture_output=True,
                          text=True, check=True).stdout
    return {k.encode("latin-1") for k, _ in _mdb_pairs(dump)}


def _mdb_pairs(dump):
    """mdb_dump's byte-value output: after HEADER=END, key and value lines alternate, each in hex."""
    body = [bytes.fromhex(l[1:]) for l in dump.split("HEADER=END\n", 1)[1].split("\n") if l.startswith(" ")]
    for k, v in zip(body[0::2], body[1::2]):
        yield k.decode("latin-1"), v


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Authd(tmp_path_factory.mktemp("sm4"), store_cipher="sm4").start()
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


def test_an_sm4_store_serves_as_any(server, tmp_path):
    docs = [issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS),
            issue_ok(server, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS), issue_ok(server)]
    for doc in docs:
        assert certctl_verify(tmp_path, server, b64d(doc["licence"]), [doc["status"]["list"]])["verdict"] == "valid"
    code, _, r = server.json("GET", f"/v1/holders/{PERSON}/licences?matter={MATTER}&use_cause=%E5%A9%9A",
                             token="counter-hz")
    assert code == 200 and {l["licence_id"] for l in r["licences"]} >= {docs[0]["licence_id"]}
    code, _, r = server.json("POST", f"/v1/licences/{docs[0]['licence_id']}/status",
                             {"status": "suspended", "reason": "测试"}, token="issuer-ga")
    assert code == 200, r
    code, _, r = server.json("GET", f"/v1/licences/{docs[0]['licence_id']}", token="auditor")
    assert code == 200 and r["status"] == "suspended"
    assert server.run("store", "check").returncode == 0


def test_records_are_sealed_with_sm4_and_hmac_sm3(server):
    """Opened here from the data key alone: the MAC, the tag and the SM4-CTR body, as docs/operations.md
    describes them."""
    doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    record = stored_records(server)[doc["licence_id"]]
    lid = doc["licence_id"].encode()
    assert record[0] == 4  # the sm4 format
    header, mac, iv, body, tag = record[:57], record[57:73], record[73:89], record[89:-16], record[-16:]
    assert hmac.new(sm_subkey("authd sm4 header mac"), bytes([len(lid)]) + lid + header, "sm3").digest()[:16] == mac
    ad = lid + header[2:]
    assert hmac.new(sm_subkey("authd sm4 ciphertext mac"), len(ad).to_bytes(2, "big") + ad + iv + body,
                    "sm3").digest()[:16] == tag
    plain = Cipher(algorithms.SM4(sm_subkey("authd sm4 encryption")[:16]), modes.CTR(iv)).decryptor().update(body)
    assert plain == b64d(doc["licence"])  # the licence authd returned at issuance, byte for byte
    assert "张三".encode() not in record and PERSON.encode() not in record


def test_the_holder_index_is_keyed_with_hmac_sm3(server):
    issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    want = hmac.new(sm_subkey("authd sm4 holder index"), PERSON.encode(), "sm3").digest()
    blake = hashlib.blake2b(PERSON.encode(), digest_size=32).digest()  # not the XChaCha20 store's (unkeyed here)
    keys = stored_holder_keys(server)
    assert want in keys and blake not in keys


def test_the_cipher_is_the_stores(tmp_path):
    """store.cipher names the cipher a store is created with; afterwards the store's wins, and a
    configuration naming the other one is refused (exit 2) rather than reading nothing."""
    (tmp_path / "sm4").mkdir()
    (tmp_path / "xchacha").mkdir()
    first = Authd(tmp_path / "sm4", store_cipher="sm4").start()
    issue_ok(first, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    assert first.stop() == 0
    other = Authd(tmp_path / "sm4", store_cipher="xchacha20-poly1305")
    r = other.run("init")
    assert r.returncode != 0 and "store.cipher is xchacha20-poly1305, but the store was created with sm4" in r.stderr
    with pytest.raises(RuntimeError):
        other.start(init=False)
    assert other.proc.returncode == 2
    # without store.cipher, the store's own
    plain = Authd(tmp_path / "sm4").start(init=False)
    doc = issue_ok(plain, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    assert stored_records(plain)[doc["licence_id"]][0] == 4
    assert plain.stop() == 0
    # and a store created without store.cipher is XChaCha20's, and refuses sm4 the same way
    xchacha = Authd(tmp_path / "xchacha").start()
    doc = issue_ok(xchacha)
    assert stored_records(xchacha)[doc["licence_id"]][0] == 3
    assert xchacha.stop() == 0
    sm4 = Authd(tmp_path / "xchacha", store_cipher="sm4")
    with pytest.raises(RuntimeError):
        sm4.start(init=False)
    assert "store.cipher is sm4, but the store was created with xchacha20-poly1305" in sm4.stderr_path.read_text()


def test_a_copy_keeps_the_cipher(tmp_path):
    """authd --copy-to moves sealed records as they are: the new store records the source's cipher, its
    records open there, and a destination configured for the other cipher is refused before anything is
    copied."""
    from conftest import AUTHD
    for name in ("from", "to", "wrong"):
        (tmp_path / name).mkdir()
    source = Authd(tmp_path / "from", store_cipher="sm4").start()
    docs = [issue_ok(source, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS) for _ in range(5)]
    assert source.stop() == 0
    wrong = Authd(tmp_path / "wrong", store_cipher="xchacha20-poly1305", public_url=source.url)
    r = subprocess.run([AUTHD, "--config", str(source.config), "--copy-to", str(wrong.config)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode != 0 and "records are sealed with sm4" in r.stderr, r.stderr
    to = Authd(tmp_path / "to", public_url=source.url)
    r = subprocess.run([AUTHD, "--config", str(source.config), "--copy-to", str(to.config)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    to.start(init=False)
    try:
        code, _, got = to.json("GET", f"/v1/licences/{docs[0]['licence_id']}", token="auditor")
        assert code == 200 and got["licence"] == docs[0]["licence"]
        assert all(rec[0] == 4 for rec in stored_records(to).values())
    finally:
        assert to.stop() == 0
