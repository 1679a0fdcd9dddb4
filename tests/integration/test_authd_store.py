"""The store as an operator meets it: created only by `authd init`, checked by `authd store check`, refused
when damaged, empty, rolled back or replaced (exit 1 with a message, never a signal), unless told to accept
a rollback."""
import os
import random
import shutil
import struct

import pytest

from conftest import BACKEND, Authd, database_for, pg_server
from test_authd_licences import BIZ, BIZ_ELEMENTS, COMPANY, issue

lmdb_only = pytest.mark.skipif(BACKEND == "postgresql", reason="damage to LMDB's file (the PostgreSQL run covers "
                                                               "the same refusals through its database)")


def issue_some(server, n):
    docs = []
    for i in range(n):
        status, _, doc = issue(server, "issuer-scjg", BIZ, COMPANY, f"杭州某某科技有限公司{i}", BIZ_ELEMENTS)
        assert status == 201, doc
        docs.append(doc)
    return docs


def stopped_after_issuing(tmp_path, n):
    """A new authd that issued n licences and stopped cleanly: (the server, what it issued)."""
    server = Authd(tmp_path).start()
    try:
        docs = issue_some(server, n)
    finally:
        assert server.stop() == 0
    return server, docs


def refused(server, *args):
    """Starts authd expecting it to refuse: its exit status and message."""
    r = server.run(*args)
    assert r.returncode >= 0, f"killed by signal {-r.returncode}: {r.stderr}"
    return r.returncode, r.stderr


def backup(server):
    """The store as a backup holds it: the LMDB file, or the database's dump."""
    if BACKEND == "postgresql":
        return pg_server().dump(database_for(server.tmp / "data"))
    return (server.tmp / "data" / "data.mdb").read_bytes()


def restore(server, saved):
    if BACKEND == "postgresql":
        pg_server().restore(database_for(server.tmp / "data"), saved)
    else:
        (server.tmp / "data" / "data.mdb").write_bytes(saved)


def test_no_store_until_init(tmp_path):
    server = Authd(tmp_path)
    status, err = refused(server)
    assert status == 1 and "authd --config FILE init" in err
    assert not (tmp_path / "data" / "data.mdb").exists()
    r = server.run("init")
    assert r.returncode == 0 and "created the store" in r.stderr, r.stderr
    r = server.run("init")
    assert r.returncode == 0 and "holds a store already; nothing to do" in r.stderr
    server.start(init=False)
    try:
        issue_some(server, 2)
    finally:
        assert server.stop() == 0
    r = server.run("store", "check")
    assert r.returncode == 0, r.stderr
    assert "intact: 2 licences, 2 holder-index entries, signature log 2 entries" in r.stderr


def test_a_restored_old_backup_is_refused_unless_allowed(tmp_path):
    """A backup restored over the store would sign the lost entries' indices again, differently: a fork of
    the public log. authd refuses it, saying what is lost; --allow-rollback accepts it once, loudly."""
    server, _ = stopped_after_issuing(tmp_path, 3)
    saved = backup(server)
    server.start(init=False)
    try:
        issue_some(server, 4)
    finally:
        assert server.stop() == 0
    restore(server, saved)
    status, err = refused(server)
    assert status == 1
    assert "has 3 entries, but this authd signed a checkpoint of 7: entries 3 to 6 (4) are lost" in err
    assert "--allow-rollback" in err
    status, err = refused(server, "store", "check")
    assert status == 1 and "are lost" in err
    server.stderr_path.write_text("")
    server.start(init=False, args=("--allow-rollback",))
    try:
        issue_some(server, 1)
    finally:
        assert server.stop() == 0
    err = server.stderr_path.read_text()
    assert "--allow-rollback: log authd.test/log/signatures: the store's log has 3 entries" in err, err
    # the accepted store is the one the state now follows: a plain restart works
    server.start(init=False)
    assert server.stop() == 0


def test_a_fresh_store_under_a_used_log_key_is_refused(tmp_path):
    """A store lost and created anew would restart the signature log at 0 under the same key."""
    server, _ = stopped_after_issuing(tmp_path, 2)
    if BACKEND == "postgresql":
        pg_server().restore(database_for(tmp_path / "data"), "")
    else:
        shutil.rmtree(tmp_path / "data")
    status, err = refused(server)
    assert status == 1 and "init" in err
    status, err = refused(server, "init")
    assert status == 1 and "has 0 entries, but this authd signed a checkpoint of 2" in err


def test_another_logs_store_is_refused(tmp_path):
    """Another deployment's store, as long or longer, is not an extension of the checkpoint signed here."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = Authd(tmp_path / "a").start(), Authd(tmp_path / "b").start()
    try:
        issue_some(a, 2)
        issue_some(b, 3)
    finally:
        assert a.stop() == 0 and b.stop() == 0
    restore(a, backup(b))
    status, err = refused(a)
    assert status == 1 and "first 2 entries are not those of the checkpoint this authd signed" in err


@lmdb_only
def test_an_empty_data_file_is_refused(tmp_path):
    server = Authd(tmp_path).start()
    assert server.stop() == 0
    (tmp_path / "data" / "data.mdb").write_bytes(b"")
    status, err = refused(server)
    assert status == 1 and "is empty (0 bytes)" in err


@lmdb_only
@pytest.mark.parametrize("size", ["half", 8192, 100])
def test_a_truncated_data_file_is_refused_without_a_signal(tmp_path, size):
    server, _ = stopped_after_issuing(tmp_path, 40)
    path = tmp_path / "data" / "data.mdb"
    full = path.stat().st_size
    os.truncate(path, full // 2 if size == "half" else size)
    for args in ((), ("store", "check")):
        status, err = refused(server, *args)
        assert status == 1, err
        assert "truncated" in err or "not an LMDB store" in err, err


@lmdb_only
def test_damage_is_found_by_the_check_and_never_crashes(tmp_path):
    """64-byte runs of random bytes written over the file: neither the check nor start-up may die of a signal,
    and the check must say damaged whenever start-up refuses."""
    server, _ = stopped_after_issuing(tmp_path, 60)
    path = tmp_path / "data" / "data.mdb"
    pristine = path.read_bytes()
    rng = random.Random(16)
    outcomes = {0: 0, 1: 0}
    for _ in range(24):
        damaged = bytearray(pristine)
        at = rng.randrange(0, len(damaged) - 64)
        damaged[at:at + 64] = rng.randbytes(64)
        path.write_bytes(bytes(damaged))
        check = server.run("store", "check")
        assert check.returncode in (0, 1), f"store check died of signal {-check.returncode}: {check.stderr}"
        outcomes[check.returncode] += 1
        try:
            server.start(init=False)
        except RuntimeError as e:
            assert server.proc.returncode == 1, str(e)  # refused, not killed
            assert check.returncode == 1, check.stderr  # and the check saw why
        else:
            assert server.stop() == 0
    path.write_bytes(pristine)
    assert outcomes[1] > 0, outcomes  # some damage was found


@lmdb_only
def test_the_check_finds_an_altered_record_and_log_entry(tmp_path):
    server, docs = stopped_after_issuing(tmp_path, 3)
    path = tmp_path / "data" / "data.mdb"
    pristine = path.read_bytes()
    # a byte of a licence's sealed body: past its header (which ends with the type and issuer codes), in
    # every copy of the page (LMDB's copy-on-write leaves older copies in free pages; the live one is any)
    tail = BIZ.encode().ljust(21, b"\0") + b"11330100002498113P"  # issuer-scjg's issuer code
    hits = [i for i in range(len(pristine)) if pristine.startswith(tail, i)]
    assert hits
    damaged = bytearray(pristine)
    for at in hits:
        damaged[at + len(tail) + 40] ^= 1
    path.write_bytes(bytes(damaged))
    r = server.run("store", "check")
    assert r.returncode == 1 and "damaged, the first: licence" in r.stderr, r.stderr
    # a byte of a signature-log entry: its licence id appears in the entry
    lid = docs[2]["licence_id"].encode()
    damaged = bytearray(pristine)
    hits = [i for i in range(len(pristine)) if pristine.startswith(lid, i)]
    assert hits
    for i in hits:
        damaged[i + len(lid) - 1] ^= 1
    path.write_bytes(bytes(damaged))
    r = server.run("store", "check")
    assert r.returncode == 1 and "the signature log is damaged: entry 2 does not hash to its stored leaf hash" \
        in r.stderr, r.stderr
    path.write_bytes(pristine)
    assert server.run("store", "check").returncode == 0


@lmdb_only
def test_readiness_fails_before_and_when_the_store_is_full(tmp_path):
    """/healthz is a readiness check: it turns 503 once the map is 90% used, and while writes fail; the
    store's usage is in /metrics."""
    server = Authd(tmp_path, extra_config="store:\n  map_size: 1M\n").start()
    try:
        status, _, doc = server.json("GET", "/healthz", token=None)
        assert status == 200 and doc["status"] == "ok"
        codes, statuses = set(), []
        for i in range(400):
            status, _, doc = issue(server, "issuer-scjg", BIZ, COMPANY, f"杭州某某科技有限公司{i}", BIZ_ELEMENTS)
            statuses.append(status)
            h_status, headers, health = server.json("GET", "/healthz", token=None)
            if h_status != 200:
                assert h_status == 503 and headers["retry-after"] == "2", health
                codes.add(health["code"])
            if status != 201:
                break
        assert "store_nearly_full" in codes, (codes, statuses[-3:])
        assert statuses[-1] == 507 and doc["code"] == "store_full", (statuses[-3:], doc)  # the map ran out
        status, _, health = server.json("GET", "/healthz", token=None)
        assert status == 503 and health["code"] == "store_not_writable" and "full" in health["detail"], health
        status, _, metrics = server.request("GET", "/metrics", token="auditor")
        text = metrics.decode()
        assert "authd_store_bytes_capacity 1048576" in text
        assert "authd_store_write_failures_total 1" in text or "authd_store_write_failures_total 2" in text
        used = int(text.split("\nauthd_store_bytes_used ")[1].split()[0])
        assert used > 0.9 * 1048576
    finally:
        assert server.stop() == 0
