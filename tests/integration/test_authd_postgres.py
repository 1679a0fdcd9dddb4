"""authd on PostgreSQL as a province runs it: several nodes on one database, a node killed under load,
a primary lost and its synchronous standby promoted, and the database going away and coming back.
Every PostgreSQL here is a real server the test starts on loopback (tests/support/pgscratch.py)."""
import concurrent.futures
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import pytest

from conftest import ACCESS_LOG_ORIGIN, AUTHD, KEYS, REPO_ROOT, SIG_LOG_ORIGIN, Authd, assert_problem, free_port
from pgscratch import Postgres
from test_authd_licences import (BIZ, BIZ_ELEMENTS, COMPANY, MARRIAGE, MARRIAGE_ELEMENTS, PERSON,
                                 crash_during_issuance, issue, issue_ok)
from test_authd_logs import audit, checkpoint, fetch_entries, leaf_hash, mth, vkey

MATTER = "ZJ-CSDJ-001"  # needs the 结婚证 the tests issue to PERSON


@pytest.fixture(scope="module")
def pg():
    server = Postgres().start()
    yield server
    server.cleanup()


def quoted(doc):
    return urllib.parse.quote(doc["licence_id"], safe="")


def two_nodes(tmp_path, conninfo):
    """Two nodes on one database, under one public name (a load balancer's, in production). Each names its
    sessions (application_name authd-a, authd-b), as an operator would to tell them apart."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = Authd(tmp_path / "a", conninfo=f"{conninfo} application_name=authd-a")
    b = Authd(tmp_path / "b", conninfo=f"{conninfo} application_name=authd-b", public_url=a.url)
    return a.start(), b.start()


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def same_logs(nodes):
    """Both logs, fetched as tiles from every node, are one tree: the root each node signs is the RFC 6962
    root of the entries every node serves. Returns the signature log's size."""
    sizes = {}
    for log, tok in (("signatures", None), ("access", "auditor")):
        # the nodes agree once each has published the newest committed tree (a follower, ~1 s)
        def agreed():
            seen = {checkpoint(n, log, tok)[:2] for n in nodes}
            return len(seen) == 1
        wait_for(agreed, 10, f"the nodes' {log} checkpoints agree")
        size, root, _ = checkpoint(nodes[0], log, tok)
        entries = [fetch_entries(n, log, size, tok) for n in nodes]
        assert all(e == entries[0] for e in entries)
        assert mth([leaf_hash(e) for e in entries[0]]) == root
        sizes[log] = size
    return sizes["signatures"]


def test_two_nodes_one_database(pg, tmp_path):
    """Every node serves every route over the one database: issue on A, look up, verify and revoke on B;
    status-list indices never collide; both logs stay one linear log whichever node wrote and signed."""
    conninfo = pg.create_database("two_nodes")
    a, b = two_nodes(tmp_path, conninfo)
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            docs = list(pool.map(lambda i: issue_ok((a, b)[i % 2], "issuer-mz", MARRIAGE, PERSON, "张三",
                                                    MARRIAGE_ELEMENTS), range(60)))
        places = {(d["status"]["list"], d["status"]["idx"]) for d in docs}
        assert len(places) == len(docs)  # unique across the nodes
        # B holds what A issued: fetch, lookup, verify
        from_a = docs[0]
        code, _, got = b.json("GET", f"/v1/licences/{quoted(from_a)}", token="auditor")
        assert code == 200 and got["licence"] == from_a["licence"]
        code, _, look = b.json("GET", f"/v1/holders/{PERSON}/licences?matter={MATTER}&use_cause=x",
                               token="counter-hz")
        assert code == 200 and {d["licence_id"] for d in docs} <= {l["licence_id"] for l in look["licences"]}
        # a list A opened is signed by B too once B's follower has read A's entries (about a second)
        wait_for(lambda: b.json("POST", "/v1/verify", {"licence": from_a["licence"]},
                                token="counter-hz")[2]["verdict"] == "valid", 5, "B verifies A's licence")
        # revoked on B: B answers revoked at once, A within the list's ttl (its follower applies it)
        code, _, _ = b.json("POST", f"/v1/licences/{quoted(from_a)}/status", {"status": "revoked", "reason": "x"},
                            token="issuer-mz")
        assert code == 200
        assert b.json("POST", "/v1/verify", {"licence": from_a["licence"]}, token="counter-hz")[2]["status"] == "revoked"
        wait_for(lambda: a.json("POST", "/v1/verify", {"licence": from_a["licence"]},
                                token="counter-hz")[2]["status"] == "revoked", 60, "A sees B's revocation")
        # every issuance is in the one signature log, at the index its answer named
        size = same_logs([a, b])
        entries = fetch_entries(a, "signatures", size)
        for d in docs:
            e = entries[d["log"]["index"]].decode().split(" ")
            assert e[1] == "issue" and e[3] == d["licence_id"]
        # the database sees sealed records and keyed holder hashes: no identity number or name in any
        # table or index, nor in the write-ahead log that replicates them
        secrets = [PERSON, "张三", "李四", MARRIAGE_ELEMENTS["spouse_id"].upper(), MARRIAGE_ELEMENTS["registration_date"]]
        dump, wal = pg.dump("two_nodes"), pg.wal_bytes()
        assert docs[0]["licence_id"] in dump and docs[0]["licence_id"].encode() in wal  # ids are public
        for secret in secrets:
            # (pg_dump writes bytea in hex)
            assert secret not in dump and secret.encode().hex() not in dump and secret.encode() not in wal, secret
        # an auditor's certctl follows the log through either node
        for n in (a, b):
            r = audit(tmp_path, f"{n.url}/log/signatures", vkey(SIG_LOG_ORIGIN, "signatures"))
            assert r.returncode == 0, r.stderr
    finally:
        assert a.stop() == 0, a.stderr_path.read_text()
        assert b.stop() == 0, b.stderr_path.read_text()


def test_nothing_personal_in_the_server_log(tmp_path):
    """A database administrator who turns on the server's statement log, parameters and all, reads no
    identity number or name in it: authd sends keyed holder hashes and sealed records only."""
    server = Postgres(settings={"log_statement": "'all'", "log_parameter_max_length": "-1",
                                "log_parameter_max_length_on_error": "-1", "log_min_duration_statement": "0",
                                "log_error_verbosity": "verbose"}).start()
    try:
        node = Authd(tmp_path, conninfo=server.create_database("logged")).start()
        try:
            doc = issue_ok(node, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
            code, _, look = node.json("GET", f"/v1/holders/{PERSON}/licences?matter={MATTER}&use_cause=x",
                                      token="counter-hz")
            assert code == 200 and [l["licence_id"] for l in look["licences"]] == [doc["licence_id"]]
            assert issue(node, "issuer-mz", MARRIAGE, "11010519491231002Y", "王五", MARRIAGE_ELEMENTS)[0] == 422
            code, _, _ = node.json("POST", f"/v1/licences/{quoted(doc)}/status", {"status": "revoked", "reason": "x"},
                                   token="issuer-mz")
            assert code == 200
        finally:
            assert node.stop() == 0, node.stderr_path.read_text()
        with open(server.log, "rb") as f:
            log = f.read()
        # the log has authd's statements and their parameters, bytea ones in hex: what is absent was not
        # hidden by a setting
        assert b"INSERT INTO authd_licences" in log and b"parameters: $1 = " in log
        assert doc["licence_id"].encode() in log  # licence ids are public
        assert doc["licence_id"].encode().hex().encode() in log  # and are in the logged entries' hex
        for secret in (PERSON, "张三", "王五", "11010519491231002Y", "李四", MARRIAGE_ELEMENTS["spouse_id"].upper(),
                       MARRIAGE_ELEMENTS["spouse_id"], MARRIAGE_ELEMENTS["registration_date"]):
            assert secret.encode() not in log, secret
            assert secret.encode().hex().encode() not in log, secret
    finally:
        server.cleanup()


def test_two_nodes_under_a_stricter_isolation(pg, tmp_path):
    """A DBA makes REPEATABLE READ the database's default. Under it, a batch that waited for the other
    node's hold on the logs' rows would find them changed since its snapshot and fail (40001); authd's
    sessions keep READ COMMITTED, which their locking is made for, and both nodes issue on."""
    db = "isolated"
    conninfo = pg.create_database(db)
    pg.psql(f"ALTER DATABASE \"{db}\" SET default_transaction_isolation = 'repeatable read'")
    a, b = two_nodes(tmp_path, conninfo)
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda i: issue((a, b)[i % 2], "issuer-mz", MARRIAGE, PERSON, "张三",
                                                     MARRIAGE_ELEMENTS)[0], range(120)))
        assert statuses == [201] * 120, statuses
        same_logs([a, b])
    finally:
        assert a.stop() == 0, a.stderr_path.read_text()
        assert b.stop() == 0, b.stderr_path.read_text()


def test_presentation_requests_across_nodes(pg, tmp_path):
    """An OpenID4VP request made on A is fetched and answered through B and read on A, once: the request
    lives in the database (sealed: its use cause and the disclosed licence are not in clear there)."""
    import json
    from test_authd_licences import HUKOU, HUKOU_ELEMENTS, b64d, b64u
    from test_authd_oid4vp import create, fetch, post, present, result

    conninfo = pg.create_database("presentations")
    a, b = two_nodes(tmp_path, conninfo)
    phone = tmp_path / "phone"
    phone.mkdir()
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    str(phone / "device.key")], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "pkey", "-in", str(phone / "device.key"), "-pubout"], check=True,
                         capture_output=True, text=True).stdout
    try:
        issued = issue_ok(a, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS, device_key=pub)["licence"]
        licence = b64d(issued)
        # B signs the list A opened once its follower read A's entries: about a second (1.05 s measured
        # under ASan); the bound a node must keep is the lists' ttl (60 s here), and 5 s was once passed
        # under the sanitizer suite's load in CI
        wait_for(lambda: b.json("POST", "/v1/verify", {"licence": issued}, token="counter-hz")[2]["checks"]["status"]
                 ["state"] == "passed", 15, "B knows the licence's status list")
        code, _, doc = create(a, use_cause="结婚登记（核对户籍）")
        assert code == 201, doc
        payload = fetch(b, doc)  # the request URI names A's public name; any node serves it
        vp = {HUKOU: [b64u(present(phone, licence, payload))]}
        code, answer = post(b, payload, vp)
        assert code == 200, answer
        code, _, got = result(a, doc)
        assert code == 200 and got["verdict"] == "valid" and got["licences"][0]["licence_type"] == HUKOU, got
        code, answer = post(a, payload, vp)  # answered once, whichever node is asked
        assert code == 400 and "answered" in answer["error_description"]
        dump = pg.dump("presentations")
        # the request's row is sealed: its use cause not in clear (the access log's entry of the answer
        # records the use cause, by design: docs/logs.md); personal data and the nonce nowhere
        start = dump.index("COPY public.authd_requests")
        request_rows = dump[start:dump.index("\\.", start)]
        assert request_rows.count("\n") >= 2, request_rows  # the COPY line, then the request's row
        assert "结婚登记（核对户籍）" not in request_rows and "结婚登记（核对户籍）".encode().hex() not in request_rows
        for secret in ("330106001234", "张三", PERSON, payload["nonce"]):
            assert secret not in dump and secret.encode().hex() not in dump, secret  # bytea: in hex
    finally:
        assert a.stop() == 0, a.stderr_path.read_text()
        assert b.stop() == 0, b.stderr_path.read_text()


def test_a_node_killed_under_issuance_loses_nothing(pg, tmp_path):
    """kill -9 of one node while 8 threads issue through it: every licence it answered 201 is served by
    the other node, and the logs the two serve are still one."""
    conninfo = pg.create_database("kill_one")
    a, b = two_nodes(tmp_path, conninfo)
    try:
        acknowledged = crash_during_issuance(a, 8, lambda n: n >= 150)  # A is started again afterwards
        assert len(acknowledged) >= 150
        for doc in acknowledged:
            code, _, got = b.json("GET", f"/v1/licences/{quoted(doc)}", token="auditor")
            assert code == 200 and got["licence"] == doc["licence"], doc["licence_id"]
        issue_ok(b, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
        same_logs([a, b])
    finally:
        assert a.stop() == 0, a.stderr_path.read_text()
        assert b.stop() == 0, b.stderr_path.read_text()


def test_a_frozen_node_holding_the_log_lock(pg, tmp_path):
    """A node stopped in the middle of a batch (a paused virtual machine, a host swapping) holds the logs'
    row lock that every node's batches wait for. The server ends its transaction after authd's
    idle_in_transaction_session_timeout (10 s), the other node writes again, and the frozen node, once it
    runs again, answered 201 only for what is stored, and serves again by itself."""
    import random
    import signal
    db = "frozen"
    a, b = two_nodes(tmp_path, pg.create_database(db))
    # A's session, idle in a transaction, holding the log rows' lock (pgrowlocks, from PostgreSQL's contrib)
    pg.psql("CREATE EXTENSION pgrowlocks", db)
    holding = ("SELECT count(*) FROM pg_stat_activity s, pgrowlocks('authd_log_state') r WHERE "
               "s.application_name = 'authd-a' AND s.state = 'idle in transaction' AND s.pid = ANY(r.pids)")
    answers, lock, stop = [], threading.Lock(), threading.Event()

    def stream(node):
        while not stop.is_set():
            status, _, doc = issue(node, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
            with lock:
                answers.append((node, status, doc))
    # both nodes issuing: neither writes alone, so each batch is BEGIN with the lock, then its writes in
    # round trips of their own, the transaction idle in between while the node prepares the next
    streams = [threading.Thread(target=stream, args=(n,)) for n in (a, b) for _ in range(3)]
    for t in streams:
        t.start()
    try:
        try:
            for _ in range(400):
                stopped = time.monotonic()
                a.proc.send_signal(signal.SIGSTOP)
                time.sleep(0.05)  # the statement sent before the stop finishes; its session then says so
                if pg.psql(holding, db) != "0":
                    break
                a.proc.send_signal(signal.SIGCONT)
                time.sleep(random.uniform(0.005, 0.05))
            else:
                raise AssertionError("node A never stopped inside a batch holding the lock")
            stop.set()
            issue_ok(b, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)  # waits for the lock, not for ever
            waited = time.monotonic() - stopped
            assert 8 < waited < 20, waited  # the server ended A's transaction after its 10 s idle
            assert pg.psql(holding, db) == "0"
        finally:
            a.proc.send_signal(signal.SIGCONT)
            stop.set()
            for t in streams:
                t.join()
        # A finds its session ended and stores that batch again on a fresh connection (or answers 503):
        # whatever either node answered 201 is stored
        wait_for(lambda: issue(a, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)[0] == 201, 30,
                 "A issues again")
        assert {status for _, status, _ in answers} <= {201, 503}, {status for _, status, _ in answers}
        for doc in (doc for _, status, doc in answers if status == 201):
            for node in (a, b):
                code, _, got = node.json("GET", f"/v1/licences/{quoted(doc)}", token="auditor")
                assert code == 200 and got["licence"] == doc["licence"], doc["licence_id"]
        same_logs([a, b])
    finally:
        assert a.stop() == 0, a.stderr_path.read_text()
        assert b.stop() == 0, b.stderr_path.read_text()


def resident(n):
    """The n-th of a run of valid resident identity numbers (GB 11643: MOD 11-2 check character)."""
    body = f"33010619900101{n:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def holder_reads(server):
    _, _, text = server.request("GET", "/metrics", token="auditor")
    return int(next(l.split()[1] for l in text.decode().splitlines()
                    if l.startswith("authd_holder_read_batches_total ")))


def lookups_read_together(server, owned):
    """Each holder of `owned` (holder: set of licence ids) looked up ten times, 24 at a time: each lookup
    gets its holder's licences and no one else's, and some statement read several holders (holder_reads.h).
    Returns how many statements read them."""
    def lookup(holder):
        code, _, doc = server.json("GET", f"/v1/holders/{holder}/licences?matter={MATTER}&use_cause=x",
                                   token="counter-hz")
        assert code == 200, doc
        assert {l["licence_id"] for l in doc["licences"]} == owned[holder], holder
        return holder

    before = holder_reads(server)
    asked = list(owned) * 10
    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        assert list(pool.map(lookup, asked)) == asked
    statements = holder_reads(server) - before
    assert 0 < statements < len(asked), statements
    return statements


def test_concurrent_lookups_are_read_together(pg, tmp_path):
    """Lookups waiting at once are read in one statement (holder_reads.h), and each still gets its own
    holder's licences and no one else's."""
    server = Authd(tmp_path, conninfo=pg.create_database("reads")).start()
    try:
        holders = [resident(n) for n in range(24)]
        owned = {h: {issue_ok(server, "issuer-mz", MARRIAGE, h, "张三", MARRIAGE_ELEMENTS)["licence_id"]
                     for _ in range(1 + i % 3)} for i, h in enumerate(holders)}
        lookups_read_together(server, owned)
    finally:
        assert server.stop() == 0, server.stderr_path.read_text()


def table_scans(pg, db, table):
    """(sequential, index) scans of `table` the server has counted."""
    seq, idx = pg.psql(f"SELECT seq_scan, idx_scan FROM pg_stat_user_tables WHERE relname = '{table}'",
                       db).split("|")
    return int(seq), int(idx or 0)


def stop_counted(server, pg, db):
    """Stops authd, then waits until its sessions' server processes are gone: a backend reports what it
    counted as it exits, after it left pg_stat_activity."""
    pids = [int(p) for p in pg.psql(f"SET jit = off; SELECT pid FROM pg_stat_activity WHERE datname = '{db}' "
                                    "AND application_name = 'authd'", db).split()]
    assert server.stop() == 0, server.stderr_path.read_text()

    def gone():
        for pid in pids:
            try:
                os.kill(pid, 0)
                return False
            except ProcessLookupError:
                pass
        return True
    wait_for(gone, 10, "authd's sessions ended")


def test_reads_planned_without_statistics(pg, tmp_path):
    """A store just filled or copied has no statistics until autovacuum's first ANALYZE, and PostgreSQL
    plans on guesses meanwhile. Lookups read together still find each holder through the holder index
    (planned on guesses, the statement once hashed a sequential scan of every holder: lookups at 60% of
    their rate), no statement of authd's is JIT-compiled, whatever cost the guesses give it, and none
    caches the records it reads in a Memoize node (each is read once: the cache only copied them)."""
    db = "unanalysed"
    conninfo = pg.create_database(db)
    server = Authd(tmp_path, conninfo=conninfo)
    server.init()
    # a holder index of 50,000 entries that autovacuum leaves unanalysed; and every statement of this
    # database past the cost at which PostgreSQL compiles, its plan logged with what was compiled
    for table in ("authd_holders", "authd_licences"):
        pg.psql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)", db)
    pg.psql("INSERT INTO authd_holders SELECT sha256(int4send(g)), 'x' || g FROM generate_series(1, 50000) g", db)
    for setting in ("session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0",
                    "jit_above_cost = 0"):
        pg.psql(f'ALTER DATABASE "{db}" SET {setting}')
    holders = [resident(n) for n in range(24)]
    server.start(init=False)
    try:
        owned = {h: {issue_ok(server, "issuer-mz", MARRIAGE, h, "张三", MARRIAGE_ELEMENTS)["licence_id"]}
                 for h in holders}
    finally:
        stop_counted(server, pg, db)
    assert pg.psql("SELECT count(*) FROM pg_stats WHERE tablename = 'authd_holders'", db) == "0"
    seq_before, idx_before = table_scans(pg, db, "authd_holders")
    log_start = os.path.getsize(pg.log)
    server.start(init=False)
    try:
        statements = lookups_read_together(server, owned)
    finally:
        stop_counted(server, pg, db)
    with open(pg.log, "rb") as f:
        f.seek(log_start)
        plans = f.read()
    assert b"authd_holders" in plans  # auto_explain logged authd's statements
    assert b"JIT:" not in plans, plans[plans.index(b"JIT:") - 2000:plans.index(b"JIT:") + 200].decode()
    assert b"Memoize" not in plans, plans[plans.index(b"Memoize") - 2000:plans.index(b"Memoize") + 200].decode()
    seq, idx = table_scans(pg, db, "authd_holders")
    assert seq == seq_before, "a read scanned the whole holder index"
    assert idx - idx_before >= statements
    # this server does compile where JIT is on: a session other than authd's
    log_start = os.path.getsize(pg.log)
    pg.psql("SELECT count(*) FROM authd_holders", db)
    with open(pg.log, "rb") as f:
        f.seek(log_start)
        assert b"JIT:" in f.read()


def test_records_stay_in_their_rows(pg, tmp_path):
    """Sealed records live in the licence rows, not out of line in TOAST (a lookup reads one tuple). A
    database made before that setting gains it when authd opens it; its rows already out of line still
    read, and new ones stay in their rows."""
    conninfo = pg.create_database("inline")
    toast = "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'authd_licences'"
    inline = ("SELECT count(*) FROM pg_class WHERE relname = 'authd_licences' "
              "AND reloptions @> ARRAY['toast_tuple_target=8160']")
    server = Authd(tmp_path, conninfo=conninfo).start()
    old = issue_ok(server)
    assert server.stop() == 0, server.stderr_path.read_text()
    assert pg.psql(inline, "inline") == "1"
    assert pg.psql(toast, "inline") == "0"
    # as a database of an earlier authd: no setting, and the record rewritten out of line
    pg.psql("ALTER TABLE authd_licences RESET (toast_tuple_target)", "inline")
    pg.psql("UPDATE authd_licences SET record = record || ''::bytea", "inline")
    out_of_line = int(pg.psql(toast, "inline"))
    assert out_of_line > 0
    server.start(init=False)
    try:
        assert pg.psql(inline, "inline") == "1"
        code, _, got = server.json("GET", f"/v1/licences/{quoted(old)}", token="auditor")
        assert code == 200 and got["licence"] == old["licence"]
        for _ in range(8):
            issue_ok(server)
        assert int(pg.psql(toast, "inline")) == out_of_line
    finally:
        assert server.stop() == 0, server.stderr_path.read_text()


def test_keys_in_byte_order_whatever_the_databases_locale(pg, tmp_path):
    """A database made with a locale of its own (ICU's zh here; a Chinese server's initdb takes glibc's
    zh_CN.UTF-8 from its environment): authd's text keys are in byte order all the same (schema 7), so an
    index search compares bytes, not that locale's rules, and licences are found by their ids."""
    from test_authd_use_record import key_collations
    pg.psql("CREATE DATABASE zh TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'zh' LOCALE 'C.UTF-8'")
    assert pg.psql("SELECT datlocprovider::text || ':' || daticulocale FROM pg_database WHERE datname = 'zh'") == "i:zh"
    server = Authd(tmp_path, conninfo=pg.conninfo("zh")).start()
    try:
        issued = [issue_ok(server) for _ in range(3)]
        assert key_collations(pg, "zh") == ["C"] * 4
        for doc in issued:
            code, _, got = server.json("GET", f"/v1/licences/{quoted(doc)}", token="auditor")
            assert code == 200 and got["licence"] == doc["licence"]
    finally:
        assert server.stop() == 0, server.stderr_path.read_text()


def test_database_unreachable_at_start(tmp_path):
    """No database at start: exit 1, saying which and why, with no password in the message."""
    server = Authd(tmp_path, conninfo=f"host=127.0.0.1 port={free_port()} dbname=authd user=authd connect_timeout=2")
    with pytest.raises(RuntimeError) as failed:
        server.start(init=False)
    assert "exited with 1" in str(failed.value)
    message = server.stderr_path.read_text()
    assert "PostgreSQL" in message and "127.0.0.1" in message, message


def tls_files(directory):
    """A CA, a server certificate it signed for 127.0.0.1, and a second CA that signed nothing (openssl)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-subj", f"/CN=authd test {ca}",
                "-days", "2")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "san.ext")


def test_tls_to_the_database(tmp_path):
    """Across sites the database is reached over TLS with its certificate checked (sslmode=verify-full in
    the conninfo): authd's connections are encrypted; a server whose certificate another CA signed is
    refused at start, saying so."""
    pki = tmp_path / "pki"
    pki.mkdir()
    tls_files(pki)
    pg = Postgres(settings={"ssl": "on", "ssl_cert_file": "'server.crt'", "ssl_key_file": "'server.key'"})
    pg.init()
    for name in ("server.crt", "server.key"):  # the server reads its own copies, in its data directory
        shutil.copy(pki / name, os.path.join(pg.data, name))
        if os.geteuid() == 0:
            shutil.chown(os.path.join(pg.data, name), "postgres", "postgres")
        os.chmod(os.path.join(pg.data, name), 0o600)
    pg.start()
    try:
        pg.psql('CREATE DATABASE "tls"')
        conninfo = f"host=127.0.0.1 port={pg.port} dbname=tls user=postgres sslmode=verify-full"
        (tmp_path / "good").mkdir()
        server = Authd(tmp_path / "good", conninfo=f"{conninfo} sslrootcert={pki / 'ca.crt'}").start()
        try:
            issue_ok(server)
            ssl = pg.psql("SELECT bool_and(s.ssl), count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                          "WHERE a.application_name = 'authd'", "tls")
            assert ssl.split("|")[0] == "t" and int(ssl.split("|")[1]) >= 2, ssl  # the writer, a reader
        finally:
            assert server.stop() == 0, server.stderr_path.read_text()
        (tmp_path / "bad").mkdir()
        impostor = Authd(tmp_path / "bad", conninfo=f"{conninfo} sslrootcert={pki / 'other-ca.crt'}")
        with pytest.raises(RuntimeError) as failed:
            impostor.start(init=False)
        assert "exited with 1" in str(failed.value)
        assert "certificate verify failed" in impostor.stderr_path.read_text()
    finally:
        pg.cleanup()


def test_database_away_and_back(tmp_path):
    """The database stops during a run: 503 problem documents with Retry-After, /healthz says so, and
    authd's log says so once every 10 s, not once a request; when it is back authd serves again by
    itself, and nothing acknowledged was lost."""
    pg = Postgres().start()
    try:
        server = Authd(tmp_path, conninfo=pg.create_database("away")).start()
        try:
            before = issue_ok(server)
            pg.stop("immediate")
            status, headers, doc = issue(server, "issuer-scjg", BIZ, COMPANY, "杭州某某科技有限公司", BIZ_ELEMENTS)
            assert_problem(status, headers, doc, 503, "store_unavailable")
            assert headers["retry-after"]
            status, headers, doc = server.json("GET", f"/v1/licences/{quoted(before)}", token="auditor")
            assert_problem(status, headers, doc, 503, "store_unavailable")
            status, headers, doc = server.json("GET", f"/v1/holders/{COMPANY}/licences?matter=ZJ-QYBG-001"
                                               "&use_cause=x", token="counter-hz")
            assert_problem(status, headers, doc, 503, "store_unavailable")
            status, headers, doc = server.json("GET", "/healthz")
            assert_problem(status, headers, doc, 503, "store_unavailable")
            # every request fails while it is away, and the log says so without a line for each
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                statuses = set(pool.map(lambda _: issue(server, "issuer-scjg", BIZ, COMPANY, "杭州某某科技有限公司",
                                                        BIZ_ELEMENTS)[0], range(600)))
            assert statuses == {503}, statuses
            err = server.stderr_path.read_text()
            assert 1 <= err.count("writes was not stored: unavailable") <= 2, err[-3000:]
            assert 1 <= err.count("no server answers") <= 2, err[-3000:]
            pg.start()
            wait_for(lambda: server.json("GET", "/healthz")[0] == 200, 30, "healthz recovers")
            wait_for(lambda: issue(server, "issuer-scjg", BIZ, COMPANY, "杭州某某科技有限公司",
                                   BIZ_ELEMENTS)[0] == 201, 30, "issuance recovers")
            code, _, got = server.json("GET", f"/v1/licences/{quoted(before)}", token="auditor")
            assert code == 200 and got["licence"] == before["licence"]
        finally:
            assert server.stop() == 0, server.stderr_path.read_text()
    finally:
        pg.cleanup()


def test_the_database_host_lost(tmp_path):
    """The database's host vanishes (a site dark, the network between sites cut): no refusal comes back,
    only silence. authd gives the connection up within about 20 s, answering 503 with Retry-After
    meanwhile, instead of waiting out the kernel's retransmissions (15 minutes); with the host back it
    serves again by itself. In a network namespace of its own (tests/integration/lost_host.py)."""
    assert os.geteuid() == 0, "a network namespace of its own (unshare -n) needs root"
    r = subprocess.run(["unshare", "-n", sys.executable, f"{REPO_ROOT}/tests/integration/lost_host.py"],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_database_disk_full(tmp_path):
    """The disk under authd's tables fills up (here their tablespace is a 3 MB file system of its own):
    issuance is answered 507 store_full, as on LMDB, and /healthz says why; lookups and licence reads are
    refused rather than answered without their access-log entries, while the public logs are still
    served; once there is room again, authd writes on by itself, and every licence answered 201 is there."""
    import pwd
    assert os.geteuid() == 0, "a file system of its own (mount -t tmpfs) needs root"
    small = tempfile.mkdtemp(prefix="authd-small-disk-")
    os.chmod(small, 0o755)  # the postgres user reaches it
    postgres = pwd.getpwnam("postgres")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size=3m,mode=0700,uid={postgres.pw_uid},gid={postgres.pw_gid}",
                    "tmpfs", small], check=True)
    server = Postgres().start()
    try:
        server.psql(f"CREATE TABLESPACE small LOCATION '{small}'")
        conninfo = server.create_database("full")
        server.psql('ALTER DATABASE "full" SET default_tablespace = small')  # authd's tables, made at init
        node = Authd(tmp_path, conninfo=conninfo).start()
        try:
            acknowledged = []
            for i in range(3000):
                status, _, doc = issue(node, "issuer-scjg", BIZ, COMPANY, f"杭州某某科技有限公司{i}", BIZ_ELEMENTS)
                if status != 201:
                    break
                acknowledged.append(doc)
            assert status == 507 and doc["code"] == "store_full", (len(acknowledged), status, doc)
            assert len(acknowledged) > 50
            status, _, health = node.json("GET", "/healthz", token=None)
            assert status == 503 and health["code"] == "store_not_writable" and "full" in health["detail"], health
            # an answer with licence data waits for its access-log entry: none is given unlogged
            for path, client in ((f"/v1/holders/{COMPANY}/licences?matter=ZJ-QYBG-001&use_cause=x", "counter-hz"),
                                 (f"/v1/licences/{quoted(acknowledged[-1])}", "auditor")):
                status, _, doc = node.json("GET", path, token=client)
                assert status == 507 and doc["code"] == "store_full", (path, status, doc)
            assert checkpoint(node, "signatures", None)[0] == len(acknowledged)  # the public log is served
            subprocess.run(["mount", "-o", "remount,size=64m", small], check=True)
            wait_for(lambda: issue(node, "issuer-scjg", BIZ, COMPANY, "杭州某某科技有限公司", BIZ_ELEMENTS)[0] == 201,
                     10, "issuance goes on")
            status, _, health = node.json("GET", "/healthz", token=None)
            assert status == 200, health
            for doc in acknowledged:
                code, _, got = node.json("GET", f"/v1/licences/{quoted(doc)}", token="auditor")
                assert code == 200 and got["licence"] == doc["licence"], doc["licence_id"]
            assert node.run("store", "check").returncode == 0
        finally:
            assert node.stop() == 0, node.stderr_path.read_text()
    finally:
        server.cleanup()
        subprocess.run(["umount", small], check=False)
        os.rmdir(small)


def test_failover_to_the_synchronous_standby(tmp_path):
    """Primary and synchronous standby; the primary is killed during issuance and the standby promoted:
    every licence answered 201 is on the new primary, authd (not restarted) finds it through its multi-host
    conninfo, answers only 201 or 503 meanwhile, and the signature log audits against the state an auditor
    saved before the failover."""
    primary = Postgres().start()
    standby = None
    try:
        primary.create_database("failover")
        standby = Postgres.standby_of(primary, "standby1")
        # from now on a commit returns only once the standby has it
        primary.psql("ALTER SYSTEM SET synchronous_standby_names = 'standby1'")
        primary.psql("ALTER SYSTEM SET synchronous_commit = 'on'")
        primary.psql("SELECT pg_reload_conf()")
        wait_for(lambda: primary.psql("SELECT sync_state FROM pg_stat_replication") == "sync", 30,
                 "the standby is synchronous")
        conninfo = (f"host=127.0.0.1,127.0.0.1 port={primary.port},{standby.port} dbname=failover user=postgres "
                    f"target_session_attrs=read-write connect_timeout=2")
        server = Authd(tmp_path, conninfo=conninfo).start()
        try:
            issue_ok(server, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
            (tmp_path / "state").write_bytes(checkpoint(server)[2])
            acknowledged, answers, lock, stop = [], [], threading.Lock(), threading.Event()

            def stream():
                while not stop.is_set():
                    status, _, doc = issue(server, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
                    with lock:
                        answers.append(status)
                        if status == 201:
                            acknowledged.append(doc)
            threads = [threading.Thread(target=stream) for _ in range(8)]
            for t in threads:
                t.start()
            try:
                wait_for(lambda: len(acknowledged) >= 100, 60, "100 issuances before the failover")
                primary.kill9()
                standby.promote()
                at_promotion = len(acknowledged)
                wait_for(lambda: len(acknowledged) >= at_promotion + 100, 120, "issuance resumes on the standby")
            finally:
                stop.set()
                for t in threads:
                    t.join()
            assert set(answers) <= {201, 503}, sorted(set(answers))
            print(f"failover: {len(acknowledged)} answered 201 ({at_promotion} before the promotion), "
                  f"{answers.count(503)} answered 503")
            assert int(standby.psql("SELECT count(*) FROM authd_licences", "failover")) == len(acknowledged) + 1
            for doc in acknowledged:
                code, _, got = server.json("GET", f"/v1/licences/{quoted(doc)}", token="auditor")
                assert code == 200 and got["licence"] == doc["licence"], doc["licence_id"]
            r = audit(tmp_path, f"{server.url}/log/signatures", vkey(SIG_LOG_ORIGIN, "signatures"), "--state",
                      str(tmp_path / "state"))
            assert r.returncode == 0, r.stderr
        finally:
            assert server.stop() == 0, server.stderr_path.read_text()
    finally:
        primary.cleanup()
        if standby:
            standby.cleanup()


def copy_store(source, destination):
    """authd --config SOURCE --copy-to DESTINATION: (exit status, its stderr)."""
    r = subprocess.run([AUTHD, "--config", str(source.config), "--copy-to", str(destination.config)],
                       capture_output=True, text=True, timeout=300)
    return r.returncode, r.stderr


def test_no_201_before_the_synchronous_standby_has_it(tmp_path):
    """With a synchronous standby a COMMIT returns once the standby has it, but a DBA's pg_cancel_backend
    ends that wait with a mere WARNING ("committed locally, but might not have been replicated") and a
    COMMIT reported done; pg_terminate_backend (or a fast shutdown) ends it by closing the connection,
    the batch committed locally. authd answers the first 503, in doubt, and the second 201 only once the
    standby has the batch: a licence answered 201 is on the standby. (A statement_timeout set for the
    database does not end the wait: checked too.)"""
    primary = Postgres().start()
    standby = None
    try:
        primary.create_database("syncwait")
        primary.psql('ALTER DATABASE "syncwait" SET statement_timeout = \'2s\'')  # a DBA's guard
        standby = Postgres.standby_of(primary, "standby1")
        primary.psql("ALTER SYSTEM SET synchronous_standby_names = 'standby1'")
        primary.psql("SELECT pg_reload_conf()")
        wait_for(lambda: primary.psql("SELECT sync_state FROM pg_stat_replication") == "sync", 30,
                 "the standby is synchronous")
        server = Authd(tmp_path, conninfo=primary.conninfo("syncwait") + " application_name=authd-a").start()
        try:
            issue_ok(server, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
            on_standby = "SELECT count(*) FROM authd_licences WHERE id = '{}'"
            waiting = ("SELECT pid FROM pg_stat_activity WHERE application_name = 'authd-a' AND "
                       "wait_event = 'SyncRep'")

            def issue_while_the_standby_is_away(interrupt):
                standby.stop()
                answer = []
                t = threading.Thread(target=lambda: answer.append(
                    issue(server, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)))
                t.start()
                wait_for(lambda: primary.psql(waiting, "syncwait") != "", 10, "a COMMIT waits for the standby")
                interrupt()
                t.join(timeout=1)
                early = list(answer)
                standby.start()
                t.join(timeout=30)
                return early, answer[0]

            # the database's statement_timeout passes: the COMMIT still waits, and is answered 201 once the
            # standby has it
            early, (status, _, doc) = issue_while_the_standby_is_away(lambda: time.sleep(3))
            assert early == [] and status == 201, (early, status, doc)
            assert standby.psql(on_standby.format(doc["licence_id"]), "syncwait") == "1"
            # a DBA cancels the wait: the server says the COMMIT went through here only, so authd answers
            # 503 in doubt, at once
            early, (status, _, doc) = issue_while_the_standby_is_away(
                lambda: primary.psql(f"SELECT pg_cancel_backend(({waiting}))", "syncwait"))
            assert early and status == 503 and doc["code"] == "store_unavailable", (status, doc)
            assert "may or may not have taken effect" in doc["detail"], doc
            # a DBA ends the waiting session (as a fast shutdown does): authd finds the batch committed on
            # the primary, and answers 201 only once the standby has it too
            early, (status, _, doc) = issue_while_the_standby_is_away(
                lambda: primary.psql(f"SELECT pg_terminate_backend(({waiting}))", "syncwait"))
            assert early == [] and status == 201, (early, status, doc)
            assert standby.psql(on_standby.format(doc["licence_id"]), "syncwait") == "1"
            issue_ok(server, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)  # and it goes on
        finally:
            assert server.stop() == 0, server.stderr_path.read_text()
    finally:
        if standby:
            standby.cleanup()
        primary.cleanup()


def test_a_lock_wait_given_up_is_try_again(pg, tmp_path):
    """A DBA's lock_timeout passed while a batch waits for the logs' lock (held here by the DBA's own
    transaction), or a statement cancelled, stored nothing: 503 with Retry-After, not 500, and the next
    write goes through once the lock is free."""
    db = "locked"
    conninfo = pg.create_database(db)
    pg.psql(f'ALTER DATABASE "{db}" SET lock_timeout = \'1s\'')
    node = Authd(tmp_path, conninfo=conninfo).start()
    try:
        issue_ok(node, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
        holder = subprocess.Popen(["/usr/bin/psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
                                   "-d", db, "-c", "BEGIN; SELECT 1 FROM authd_log_state FOR UPDATE; "
                                   "SELECT pg_sleep(6); COMMIT"], stdout=subprocess.DEVNULL)
        try:
            wait_for(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(6)%' "
                                     "AND state = 'active' AND pid <> pg_backend_pid()", db) == "1", 5,
                     "the DBA's transaction holds the lock")
            status, headers, doc = issue(node, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
            assert status == 503 and doc["code"] == "store_unavailable" and headers["retry-after"] == "2", (status, doc)
        finally:
            holder.wait(timeout=30)
        issue_ok(node, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
    finally:
        assert node.stop() == 0, node.stderr_path.read_text()
    assert "lock timeout" in node.stderr_path.read_text()


def test_other_warnings_are_news_not_doubt(pg, tmp_path):
    """Only the server's end of a wait for the synchronous standby makes a commit doubtful. Any other
    WARNING (a database nearing transaction-id wraparound warns on every write; here a DBA's audit trigger)
    is written to authd's log, once a minute at most, and the write is answered as done."""
    db = "warnings"
    node = Authd(tmp_path, conninfo=pg.create_database(db)).start()
    try:
        pg.psql("CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE WARNING 'audit: a licence stored'; RETURN NEW; END $$", db)
        pg.psql("CREATE TRIGGER audit AFTER INSERT ON authd_licences FOR EACH ROW EXECUTE FUNCTION audit()", db)
        for _ in range(5):
            doc = issue_ok(node, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
            code, _, got = node.json("GET", f"/v1/licences/{quoted(doc)}", token="auditor")
            assert code == 200 and got["licence"] == doc["licence"]
    finally:
        assert node.stop() == 0, node.stderr_path.read_text()
    err = node.stderr_path.read_text()
    # said once: a warning on every write (as wraparound's) would otherwise flood the log
    assert err.count("authd: postgresql: the server warns: audit: a licence stored") == 1, err
    assert "in doubt" not in err, err


def test_a_database_that_would_not_flush_commits(tmp_path):
    """A 201 is a flushed commit. synchronous_commit = off set for authd's database (for speed, say) is
    raised to on in authd's sessions, saying so once; a server run with fsync = off, which no session can
    mend, is said once, loudly."""
    server = Postgres(settings={"fsync": "off"}).start()
    try:
        conninfo = server.create_database("unflushed")
        server.psql('ALTER DATABASE "unflushed" SET synchronous_commit = off')
        node = Authd(tmp_path, conninfo=conninfo).start()
        try:
            with concurrent.futures.ThreadPoolExecutor(8) as pool:  # several of authd's connections at work
                list(pool.map(lambda _: issue_ok(node, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS),
                              range(16)))
        finally:
            assert node.stop() == 0, node.stderr_path.read_text()
        err = node.stderr_path.read_text()
        assert err.count("synchronous_commit is off for authd's sessions; they set it on") == 1, err
        assert err.count("the server runs with fsync = off: a crash of its host may lose licences") == 1, err
    finally:
        server.cleanup()


def test_copy_lmdb_to_postgresql_and_back(pg, tmp_path):
    """One node's LMDB store grows into PostgreSQL: ids, places, holder index and both logs arrive bit for
    bit, so an auditor's checkpoint saved before the move still audits; and it goes back the same way."""
    for name in ("lmdb", "pg", "back"):
        (tmp_path / name).mkdir()
    one = Authd(tmp_path / "lmdb", conninfo=None)
    one.config.write_text(one.config.read_text().split("store:\n")[0])  # LMDB whatever the run's backend
    one.start()
    try:
        docs = [issue_ok(one, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS) for _ in range(40)]
        docs += [issue_ok(one) for _ in range(10)]
        one.json("POST", f"/v1/licences/{quoted(docs[3])}/status", {"status": "revoked", "reason": "x"},
                 token="issuer-mz")
        one.json("GET", f"/v1/holders/{PERSON}/licences?matter={MATTER}&use_cause=x", token="counter-hz")
        saved = {log: checkpoint(one, log, tok)[2] for log, tok in (("signatures", None), ("access", "auditor"))}
    finally:
        assert one.stop() == 0
    # the service keeps its public name (licences carry it in their status-list URIs)
    shared = Authd(tmp_path / "pg", conninfo=pg.create_database("copied"), public_url=one.url)
    code, message = copy_store(one, shared)
    assert code == 0, message
    assert "root" in message and "copy complete" in message
    # the copy took the tables' statistics: its first requests are not planned on guesses
    for table in ("authd_licences", "authd_holders", "authd_log_entries", "authd_log_hashes"):
        analysed = f"SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = '{table}'"
        assert pg.psql(analysed, "copied") == "t", table
    # a second copy into the now full database is refused, and changes nothing
    code, message = copy_store(one, shared)
    assert code == 1 and "not empty" in message, message
    shared.start()
    try:
        for doc in docs:
            code, _, got = shared.json("GET", f"/v1/licences/{quoted(doc)}", token="auditor")
            assert code == 200 and got["licence"] == doc["licence"]
        v = shared.json("POST", "/v1/verify", {"licence": docs[3]["licence"]}, token="counter-hz")[2]
        assert v["status"] == "revoked"
        code, _, look = shared.json("GET", f"/v1/holders/{PERSON}/licences?matter={MATTER}&use_cause=x",
                                    token="counter-hz")
        assert code == 200 and len(look["licences"]) == 39  # 40 less the revoked one
        # new licences take places the copied ones do not hold
        fresh = [issue_ok(shared, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS) for _ in range(20)]
        places = {(d["status"]["list"], d["status"]["idx"]) for d in docs + fresh}
        assert len(places) == len(docs) + len(fresh)
        for log, name in (("signatures", SIG_LOG_ORIGIN), ("access", ACCESS_LOG_ORIGIN)):
            (tmp_path / f"{log}.state").write_bytes(saved[log])
            r = audit(tmp_path, f"{shared.url}/log/{log}", vkey(name, log), "--state", str(tmp_path / f"{log}.state"),
                      *(["--token", f"{KEYS}/tokens/auditor.token"] if log == "access" else []))
            assert r.returncode == 0, r.stderr
    finally:
        assert shared.stop() == 0, shared.stderr_path.read_text()
    # and back into LMDB
    back = Authd(tmp_path / "back", conninfo=None, public_url=one.url)
    back.config.write_text(back.config.read_text().split("store:\n")[0])
    code, message = copy_store(shared, back)
    assert code == 0, message
    back.start()
    try:
        for doc in docs + fresh:
            code, _, got = back.json("GET", f"/v1/licences/{quoted(doc)}", token="auditor")
            assert code == 200 and got["licence"] == doc["licence"]
        r = audit(tmp_path, f"{back.url}/log/signatures", vkey(SIG_LOG_ORIGIN, "signatures"), "--state",
                  str(tmp_path / "signatures.state"))
        assert r.returncode == 0, r.stderr
    finally:
        assert back.stop() == 0


def test_copy_refuses_another_data_key(pg, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "dst").mkdir()
    source = Authd(tmp_path / "src", conninfo=pg.create_database("src_key"))
    other_key = tmp_path / "other.key"
    other_key.write_text("11" * 32 + "\n")
    other_key.chmod(0o600)
    destination = Authd(tmp_path / "dst", conninfo=pg.create_database("dst_key"))
    destination.config.write_text(destination.config.read_text().replace(f"data_key: {KEYS}/data.key",
                                                                          f"data_key: {other_key}"))
    code, message = copy_store(source, destination)
    assert code == 2 and "another data_key" in message, message


@contextlib.contextmanager
def dev_postgres(tmp_path):
    """scripts/dev-postgres on a free port in a scratch directory, and authd/authd.postgres.example.yaml
    pointed at it: (its configuration's text, the passfile, the password)."""
    port = free_port()
    scratch = tempfile.mkdtemp(prefix="authd-dev-postgres-")  # the postgres user must reach it
    os.chmod(scratch, 0o755)
    env = dict(os.environ, DEV_POSTGRES_DIR=os.path.join(scratch, "pg"), PGPORT=str(port))
    script = os.path.join(REPO_ROOT, "scripts", "dev-postgres")
    started = subprocess.run([script], env=env, capture_output=True, text=True, timeout=120)
    try:
        assert started.returncode == 0, started.stderr
        assert f"conninfo: host=127.0.0.1 port={port} dbname=authd user=authd" in started.stdout
        passfile = started.stdout.split("passfile: ")[1].strip()
        secret = open(passfile).read().strip().rsplit(":", 1)[1]
        example = open(os.path.join(REPO_ROOT, "authd", "authd.postgres.example.yaml")).read()
        config = example.replace("port=5433", f"port={port}").replace("../var/postgres/pgpass", passfile)
        config = config.replace("../var/authd-pg.state", str(tmp_path / "state"))
        yield config.replace("..", REPO_ROOT), passfile, secret  # the example's paths are relative to authd/
    finally:
        subprocess.run([script, "destroy"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(scratch, ignore_errors=True)


def test_the_postgresql_example(tmp_path):
    """README's two commands: scripts/dev-postgres, then authd on authd/authd.postgres.example.yaml (here
    on free ports and a scratch directory): it serves, issues, and keeps the password out of its output."""
    listen = free_port()
    with dev_postgres(tmp_path) as (config, _, secret):
        (tmp_path / "node").mkdir()
        node = Authd(tmp_path / "node")  # for its client; it runs the example's configuration
        node.config = tmp_path / "example.yaml"
        node.config.write_text(config)
        node.init()
        node.port = listen
        node.proc = subprocess.Popen([AUTHD, "--config", str(node.config), "--listen", f"127.0.0.1:{listen}"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: _serves(node), 20, "the example serves")
            assert issue(node, "issuer-scjg", BIZ, COMPANY, "杭州某某科技有限公司", BIZ_ELEMENTS)[0] == 201
        finally:
            node.proc.terminate()
            output = node.proc.communicate(timeout=20)[0].decode()
        assert "data in PostgreSQL (host=127.0.0.1" in output and secret not in output


def test_a_passfile_libpq_would_not_use(tmp_path):
    """libpq passes over a passfile others may read with a warning, and the login then fails with "no
    password supplied". authd says which file and what to do (exit 2, as for any configuration error);
    a wrong or missing password is an exit 1 in libpq's words, with the password in neither."""
    with dev_postgres(tmp_path) as (config, passfile, secret):
        node = Authd(tmp_path)
        node.config = tmp_path / "example.yaml"

        def start(passfile_path):
            node.config.write_text(config.replace(passfile, str(passfile_path)))
            r = subprocess.run([AUTHD, "--config", str(node.config), "--listen", f"127.0.0.1:{free_port()}"],
                               capture_output=True, text=True, timeout=30)
            assert secret not in r.stderr and "WRONG" not in r.stderr
            return r.returncode, r.stderr
        line = open(passfile).read().strip()
        for name, text, mode in (("shared", line, 0o644), ("wrong", line.rsplit(":", 1)[0] + ":WRONG", 0o600),
                                 ("elsewhere", "db9:5432:authd:authd:" + secret, 0o600)):
            (tmp_path / name).write_text(text + "\n")
            os.chmod(tmp_path / name, mode)
        status, err = start(tmp_path / "shared")
        assert status == 2 and f"store.postgresql.passfile {tmp_path}/shared: group or others may use it " \
            "(mode 0644), and libpq ignores such a file: chmod 600 it" in err, err
        status, err = start(tmp_path / "absent")
        assert status == 2 and f"store.postgresql.passfile {tmp_path}/absent: No such file or directory" in err, err
        status, err = start(tmp_path)
        assert status == 2 and "not a plain file" in err, err
        status, err = start(tmp_path / "wrong")
        assert status == 1 and 'password authentication failed for user "authd"' in err, err
        status, err = start(tmp_path / "elsewhere")
        assert status == 1 and "no password supplied (the passfile has no line for this host, port, database " \
            "and user" in err, err


def _serves(node):
    try:
        return node.json("GET", "/healthz")[0] == 200
    except OSError:
        return False
