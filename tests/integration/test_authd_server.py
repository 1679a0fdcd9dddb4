"""authd as a process: configuration errors, TLS with HTTP/2, workers, graceful shutdown, restart."""
import concurrent.futures
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from conftest import token, AUTHD, BACKEND, REPO_ROOT, Authd, free_port, valid_numbers
from test_authd_ident import curl


def run_authd(*args):
    return subprocess.run([AUTHD, *args], capture_output=True, timeout=30)


def test_config_errors_name_file_line_and_key(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("listen:\n  - address: 127.0.0.1:1\nworkers: 2\nlimits:\n  max_bodyy: 1\n")
    r = run_authd("--config", str(cfg))
    assert r.returncode == 2
    assert f"{cfg}:5: limits: unknown key 'max_bodyy'" in r.stderr.decode()
    cfg.write_text("workers: lots\n")
    r = run_authd("--config", str(cfg))
    assert r.returncode == 2 and "bad.yaml:1: workers: 'lots' is not a valid integer" in r.stderr.decode()
    cfg.write_text("listen: [\n")
    assert run_authd("--config", str(cfg)).returncode == 2
    cfg.write_text(f"listen:\n  - address: 0.0.0.0:{free_port()}\ndata_dir: {tmp_path}/d\n")
    r = run_authd("--config", str(cfg))
    assert r.returncode == 2 and "loopback only" in r.stderr.decode()
    assert run_authd("--config", str(cfg), "--listen", "localhost:80").returncode == 2
    assert run_authd("--config", str(tmp_path / "missing.yaml")).returncode == 2
    assert run_authd("--help").returncode == 0
    assert run_authd().returncode == 2


def test_busy_port_fails_cleanly(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        example = ("--config", f"{REPO_ROOT}/authd/authd.example.yaml", "--data", str(tmp_path / "d"))
        assert run_authd(*example, "init").returncode == 0
        r = run_authd(*example, "--listen", f"127.0.0.1:{port}")
        assert r.returncode == 1 and b"Address already in use" in r.stderr


def test_a_second_authd_on_a_busy_port_fails_start_up(tmp_path):
    """SO_REUSEPORT would let a second authd (with a store of its own) take a share of the connections."""
    (tmp_path / "a").mkdir()
    first = Authd(tmp_path / "a").start()
    try:
        (tmp_path / "b").mkdir()
        example = ("--config", f"{REPO_ROOT}/authd/authd.example.yaml", "--data", str(tmp_path / "b" / "data"))
        assert run_authd(*example, "init").returncode == 0
        r = run_authd(*example, "--listen", f"127.0.0.1:{first.port}")
        assert r.returncode == 1, r.stderr
        assert b"Address already in use (by another process)" in r.stderr
        assert b"listening on" not in r.stderr  # the banner comes only once the port is ours
        status, _, _ = first.request("GET", "/healthz")
        assert status == 200
    finally:
        assert first.stop() == 0


def exchange(port, data, wait=3.0):
    """Sends raw bytes; returns (everything received, whether the server closed the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        conn.sendall(data)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
            return received, True
        except socket.timeout:
            return received, False


@pytest.mark.parametrize("framing", [
    b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\ncontent-length: 4\r\n",
    b"Content-Length: 4\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n",
])
def test_ambiguous_framing_is_refused_and_the_connection_closed(authd, framing):
    """RFC 9112 section 6.3: both Content-Length and Transfer-Encoding is a smuggling shape. The request
    behind it, on the same connection, must never be answered."""
    head = (b"POST /v1/ident/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token("admin").encode() +
            b"\r\nContent-Type: application/json\r\n" + framing + b"\r\n")
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    received, closed = exchange(authd.port, head + b"4\r\n{\"a\"\r\n0\r\n\r\n" + smuggled)
    assert closed
    assert received.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close" in received.lower()
    assert b'"code":"ambiguous_framing"' in received
    assert received.count(b"HTTP/1.1") == 1, received


def test_conflicting_content_lengths_are_refused(authd):
    received, closed = exchange(authd.port, b"POST /v1/ident/check HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                                            b"Content-Length: 3\r\n\r\n{}}")
    assert closed and b'"code":"ambiguous_framing"' in received


def test_one_framing_keeps_the_connection(authd):
    """The check does not disturb ordinary requests: chunked alone, or repeated equal lengths."""
    for framing, body in ((b"Transfer-Encoding: chunked\r\n", b"2\r\n{}\r\n0\r\n\r\n"),
                          (b"Content-Length: 2\r\nContent-Length: 2\r\n", b"{}")):
        head = (b"POST /v1/ident/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                token("admin").encode() + b"\r\nContent-Type: application/json\r\n" + framing + b"\r\n")
        received, closed = exchange(authd.port, head + body + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 1.0)
        assert not closed
        assert received.count(b"HTTP/1.1 ") == 2 and b"ambiguous_framing" not in received, received


def batch_body(n):
    """A POST /v1/ident/check body of n valid numbers."""
    import json
    return json.dumps({"numbers": valid_numbers(n)}).encode()


def held_request(port, body, client="admin"):
    """Sends a batch check and reads nothing back: its answer (megabytes) stays in flight."""
    conn = socket.create_connection(("127.0.0.1", port))
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conn.sendall(b"POST /v1/ident/check HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token(client).encode() +
                 b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() +
                 b"\r\n\r\n" + body)
    return conn


def test_requests_in_flight_are_bounded_per_client_and_in_all(tmp_path):
    """A client whose answers are still being sent may not start more than its share (429), and all clients
    together not more than the global limit (503), each with Retry-After; another client, and the same one
    once its answers are read, are served."""
    server = Authd(tmp_path)
    server.set_limits(max_body_bytes="4M", max_batch=100000, max_in_flight=3, client_max_in_flight=2)
    server.start()
    body = batch_body(100000)  # about 24 MB of answer each
    held = []
    try:
        held = [held_request(server.port, body) for _ in range(2)]
        time.sleep(1.0)
        status, headers, doc = server.json("POST", "/v1/ident/check", {"numbers": ["11010519491231002X"]})
        assert status == 429 and headers["retry-after"] == "1" and doc["code"] == "too_many_requests", doc
        # another client is still served: the third request in flight in all
        status, _, doc = server.json("POST", "/v1/ident/check", {"numbers": ["11010519491231002X"]},
                                     token="counter-hz")
        assert status == 200 and doc["valid"] == 1
        held.append(held_request(server.port, body, "counter-hz"))
        time.sleep(1.0)
        status, headers, doc = server.json("GET", "/healthz", token=None)
        assert status == 503 and headers["retry-after"] == "1" and doc["code"] == "overloaded", doc
        status, _, metrics = server.request("GET", "/metrics", token="auditor")
        assert status in (200, 429, 503)
    finally:
        for conn in held:
            conn.close()
    time.sleep(1.0)  # the held answers are dropped: their share comes back
    status, _, doc = server.json("POST", "/v1/ident/check", {"numbers": ["11010519491231002X", "x"]})
    assert status == 200 and doc["count"] == 2 and doc["valid"] == 1
    status, _, metrics = server.request("GET", "/metrics", token="auditor")
    assert status == 200
    shed = int(metrics.decode().split("\nauthd_requests_shed_total ")[1].split()[0])
    assert shed >= 2
    assert server.stop() == 0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def out_of_descriptors(server, during):
    """Takes every descriptor authd may open (64, its limit in these tests) with 100 idle connections,
    calls during() meanwhile, then closes them: authd must then serve again."""
    idle = []
    try:
        for _ in range(100):
            idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=2))
        during()
    finally:
        for conn in idle:
            conn.close()
    time.sleep(0.5)
    status, _, _ = server.request("GET", "/healthz", token=None)
    assert status == 200


def test_out_of_descriptors_pauses_accepts_instead_of_spinning(tmp_path):
    """With every descriptor taken by idle connections, authd must not spin on accept(2); it says so once,
    counts the failures, and serves again as soon as connections close."""
    import resource
    server = Authd(tmp_path).start(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))

    def spends_nothing():
        time.sleep(0.5)
        before = cpu_seconds(server.proc.pid)
        time.sleep(3)
        spent = cpu_seconds(server.proc.pid) - before
        assert spent < 0.15, f"{spent:.2f} s of CPU in 3 s while out of descriptors"  # 5% of one core
    out_of_descriptors(server, spends_nothing)
    status, _, metrics = server.request("GET", "/metrics", token="auditor")
    assert int(metrics.decode().split("\nauthd_accept_failures_total ")[1].split()[0]) > 0
    assert server.stop() == 0
    log = server.stderr_path.read_text()
    assert 0 < log.count("cannot accept connections (Too many open files)") <= 2  # once per worker


def test_descriptors_taken_while_a_worker_starts(tmp_path):
    """authd says READY=1 once every worker has its loop and listens. Connections that fill the descriptor
    table right after it must not find a worker still starting: h2o aborts when the descriptors of a
    loop cannot be made (a crash seen in CI). Here the second worker's loop is made two seconds late
    (tests/support/slow_worker.c, preloaded)."""
    import resource
    asan = ":".join(o for o in (os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0") if o)
    server = Authd(tmp_path).start(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)),
                                   env={"LD_PRELOAD": os.environ["SLOW_WORKER"], "ASAN_OPTIONS": asan})
    out_of_descriptors(server, lambda: time.sleep(2.5))  # the late worker's loop would be made meanwhile
    assert server.stop() == 0, server.stderr_path.read_text()


def wait_for_log(path, text, times=1, timeout=10):
    """Waits until `text` is in the file `times` times."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count(text) >= times:
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not {times} times in {path}: {path.read_text()[-2000:]}")


def test_sighup_reloads_policies_and_reopens_the_access_log(tmp_path):
    """SIGHUP: a client added to clients.yaml can sign in; a broken clients.yaml is refused, the policies in
    force stay; the access log moved away by logrotate is written anew under its name."""
    import hashlib
    import shutil
    policies = tmp_path / "policies"
    shutil.copytree(f"{REPO_ROOT}/policies", policies)
    server = Authd(tmp_path, policies_dir=str(policies)).start()
    secret = "reload-test-" + os.urandom(8).hex()
    newcomer = {"authorization": f"Bearer {secret}"}
    try:
        assert server.request("GET", "/v1/ident/11010519491231002X", headers=newcomer, token=None)[0] == 401
        original = (policies / "clients.yaml").read_text()
        good = original + f"""  - id: counter-new
    name: 新窗口
    role: counter
    matters: [ZJ-QYBG-001]
    token_sha256: {hashlib.sha256(secret.encode()).hexdigest()}
"""
        (policies / "clients.yaml").write_text(good)
        server.proc.send_signal(signal.SIGHUP)
        wait_for_log(server.stderr_path, "policies reloaded")
        assert server.request("GET", "/v1/ident/11010519491231002X", headers=newcomer, token=None)[0] == 200
        # a broken file: refused, and what is in force stays
        (policies / "clients.yaml").write_text(original.replace("role: counter", "role: boss", 1))
        server.proc.send_signal(signal.SIGHUP)
        wait_for_log(server.stderr_path, "the policies in force stay")
        assert "role: expected" in server.stderr_path.read_text()
        assert server.request("GET", "/v1/ident/11010519491231002X", headers=newcomer, token=None)[0] == 200
        assert server.request("GET", "/v1/ident/11010519491231002X")[0] == 200
        # logrotate: the file is moved away, authd told, and the next lines go to a new file of that name
        (policies / "clients.yaml").write_text(good)
        rotated = tmp_path / "access.log.1"
        os.rename(server.access_log, rotated)
        server.proc.send_signal(signal.SIGHUP)
        wait_for_log(server.stderr_path, "policies reloaded", times=2)
        before = rotated.read_text()
        assert server.request("GET", "/healthz", token=None)[0] == 200
        wait_for_log(server.access_log, '"/healthz"')
        assert rotated.read_text() == before
    finally:
        assert server.stop() == 0


def test_systemd_notify_readiness_watchdog_reload_and_stop(tmp_path):
    """Type=notify: READY=1 once listening, WATCHDOG=1 while the workers turn, RELOADING=1 then READY=1 on
    SIGHUP, STOPPING=1 on SIGTERM; spoken over the NOTIFY_SOCKET protocol as systemd would listen."""
    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(5)
    messages = []

    def expect(field):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if any(field in m.split("\n") for m in messages):
                return
            messages.append(listener.recv(4096).decode())
        raise AssertionError(f"{field} never came: {messages}")

    server = Authd(tmp_path).start(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    try:
        expect("READY=1")
        assert server.request("GET", "/healthz", token=None)[0] == 200  # ready means serving
        messages.clear()
        expect("WATCHDOG=1")
        server.proc.send_signal(signal.SIGHUP)
        expect("RELOADING=1")
        messages.clear()
        expect("READY=1")
    finally:
        assert server.stop() == 0
        expect("STOPPING=1")
        listener.close()


def test_the_systemd_unit_confines_the_service():
    """The unit's hardening, checked as systemd itself scores it (systemd-analyze security --offline)."""
    unit = open(f"{REPO_ROOT}/packaging/systemd/authd.service").read()
    lines = {line.strip() for line in unit.splitlines()}
    for directive in ("Type=notify", "User=authd", "ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes",
                      "CapabilityBoundingSet=", "AmbientCapabilities=", "ReadWritePaths=/var/lib/authd /var/log/authd",
                      "WatchdogSec=30s", "ExecReload=/usr/bin/kill -HUP $MAINPID"):
        assert directive in lines, directive
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--threshold=25",
                        f"{REPO_ROOT}/packaging/systemd/authd.service"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert "Overall exposure level for authd.service: 1." in r.stdout + r.stderr


def test_the_production_template_is_a_valid_configuration(tmp_path):
    """packaging/authd.yaml parses and validates; it stops only at the keys an operator must put in place."""
    r = run_authd("--config", f"{REPO_ROOT}/packaging/authd.yaml", "store", "check")
    assert r.returncode == 2, r.stderr
    assert b"/etc/authd/data.key" in r.stderr


def test_sighup_reloads_the_trust_bundle(tmp_path):
    """A bundle that deny-lists a department's signer takes effect on SIGHUP, with authd's own status lists
    still in the new verifier (a revocation after the reload is seen); a bundle that does not parse, or
    that refuses authd's own status lists, is refused and the one in force stays."""
    import hashlib
    import json
    import shutil
    import urllib.parse
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from test_authd_licences import issue_ok
    bundle = tmp_path / "trust.json"
    shutil.copy(f"{REPO_ROOT}/keys-example/trust.json", bundle)
    original = json.loads(bundle.read_text())
    server = Authd(tmp_path)
    server.config.write_text(server.config.read_text().replace(f"{REPO_ROOT}/keys-example/trust.json", str(bundle)))
    server.start()
    reloads = 0

    def reload(expect):
        nonlocal reloads
        reloads += 1
        server.proc.send_signal(signal.SIGHUP)
        wait_for_log(server.stderr_path, "SIGHUP received", times=reloads)
        wait_for_log(server.stderr_path, expect)

    def verdict(doc):
        status, _, v = server.json("POST", "/v1/verify", {"licence": doc["licence"]}, token="counter-hz")
        assert status == 200, v
        return v["verdict"]

    try:
        scjg, mz = issue_ok(server), issue_ok(server, client="issuer-mz", type_code="11100000000013338W002",
                                               holder_id="11010519491231002X", name="张三",
                                               elements=__import__("test_authd_licences").MARRIAGE_ELEMENTS)
        assert verdict(scjg) == "valid" and verdict(mz) == "valid"
        der = x509.load_pem_x509_certificate(open(f"{REPO_ROOT}/keys-example/pki/sm2/scjg.crt", "rb").read())
        digest = hashlib.sha256(der.public_bytes(Encoding.DER)).hexdigest()
        pem = open(f"{REPO_ROOT}/keys-example/pki/sm2/scjg.crt").read().strip()
        listed = [e for e in original["signers"] if e["certificate"].strip() != pem]
        assert len(listed) == len(original["signers"]) - 1
        bundle.write_text(json.dumps({**original, "signers": listed, "revoked_signers": [digest]}))
        reload("trust bundle reloaded")
        assert verdict(scjg) == "invalid" and verdict(mz) == "valid"
        assert json.loads(server.request("GET", "/v1/trust", token=None)[2])["revoked_signers"] == [digest]
        # authd's own status lists made it into the new verifier: a revocation now is seen
        lid = urllib.parse.quote(mz["licence_id"], safe="")
        assert server.json("POST", f"/v1/licences/{lid}/status", {"status": "revoked", "reason": "test"},
                           token="issuer-mz")[0] == 200
        assert verdict(mz) == "invalid"
        # refused: garbage, and a bundle without the roots authd's own status lists chain to
        for broken in ("{not json", json.dumps({**original, "signers": listed, "revoked_signers": [digest],
                                                "status_signers": []})):
            bundle.write_text(broken)
            server.proc.send_signal(signal.SIGHUP)
            reloads += 1
            wait_for_log(server.stderr_path, "the trust bundle in force stays", times=reloads - 1)
            assert verdict(scjg) == "invalid"  # the deny-list in force stays
            assert json.loads(server.request("GET", "/v1/trust", token=None)[2])["revoked_signers"] == [digest]
    finally:
        assert server.stop() == 0


def test_tls_http2_and_http1(tmp_path):
    server = Authd(tmp_path, tls=True).start()
    try:
        code, version, body = curl("-k", "--http2", "-H", f"authorization: Bearer {token('admin')}",
                                   server.url + "/v1/ident/11010519491231002X")
        assert (code, version) == (200, "2") and b'"valid":true' in body
        code, version, _ = curl("-k", "--http1.1", server.url + "/healthz")
        assert (code, version) == (200, "1.1")
        # The certificate is the example CA's: verifies against itself for 127.0.0.1.
        ctx = ssl.create_default_context(cafile=f"{REPO_ROOT}/keys-example/tls/server.crt")
        with urllib.request.urlopen(server.url + "/healthz", context=ctx, timeout=10) as resp:
            assert resp.status == 200
    finally:
        assert server.stop() == 0


def test_h2c_prior_knowledge(authd):
    code, version, _ = curl("--http2-prior-knowledge", authd.url + "/healthz")
    assert (code, version) == (200, "2")


def test_concurrent_clients(authd):
    def one(i):
        return authd.request("GET", f"/v1/ident/11010519491231002X")[0]
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        assert set(pool.map(one, range(500))) == {200}


def test_threads_are_named(authd):
    """Each of authd's threads says what it is, where top -H, ps -L, perf and gdb show it."""
    task = f"/proc/{authd.proc.pid}/task"
    names = set()
    for tid in os.listdir(task):
        with open(f"{task}/{tid}/comm") as f:
            names.add(f.read().strip())
    expected = {"authd", "authd-worker0", "authd-worker1", "authd-writer", "authd-lists"}
    if BACKEND == "postgresql":
        # holder reads in batches (holder_reads.h), and following the other nodes' changes (peers.h)
        expected |= {"authd-reads", "authd-peers"}
    assert names == expected


def test_shutdown_finishes_a_batch_being_streamed(tmp_path):
    """SIGTERM while a 100,000-number answer is being streamed (its chunks spread over many turns of the
    worker's loop, turns.h): the answer is completed, then authd exits 0, well within the grace period."""
    import json
    server = Authd(tmp_path)
    server.set_limits(max_body_bytes="4M", max_batch=100000)
    server.start()
    body = batch_body(100000)
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    # Connection: close, as h2o 2.2 keeps a connection whose answer began before the signal alive after it
    # (it decides keep-alive when it sends the head): that one would wait for the grace period.
    conn.sendall(b"POST /v1/ident/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
                 token("admin").encode() + b"\r\nContent-Type: application/json\r\nContent-Length: " +
                 str(len(body)).encode() + b"\r\n\r\n" + body)
    parts = [conn.recv(65536)]  # the answer has begun
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    while chunk := conn.recv(1 << 20):
        parts.append(chunk)
    assert server.proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 2
    received = b"".join(parts)
    head, _, chunked = received.partition(b"\r\n\r\n")
    assert b"200 OK" in head.split(b"\r\n")[0]
    pieces, at = [], 0
    while True:  # the chunked coding, undone
        eol = chunked.index(b"\r\n", at)
        size = int(chunked[at:eol], 16)
        if size == 0:
            break
        pieces.append(chunked[eol + 2:eol + 2 + size])
        at = eol + 2 + size + 2
    text = b"".join(pieces)
    doc = json.loads(text)
    assert doc["count"] == 100000 and doc["valid"] == 100000 and len(doc["results"]) == 100000
    server.stderr.close()


def test_a_connection_past_the_grace_period_is_cut_and_said(tmp_path):
    """A client that never finishes its request cannot hold the server past shutdown_grace_ms: authd exits
    0 when the grace period ends, and says how many connections it cut."""
    server = Authd(tmp_path)
    server.set_limits(shutdown_grace_ms=300)
    server.start()
    conn = socket.create_connection(("127.0.0.1", server.port))
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the head never ends
    time.sleep(0.3)
    started = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - started < 3
    assert "connections still open after the grace period: 1 (closed at exit)" in server.stderr_path.read_text()
    conn.close()


def test_graceful_shutdown_and_restart(tmp_path):
    server = Authd(tmp_path).start()
    # A client holding a keep-alive connection must not keep the server from stopping.
    conn = socket.create_connection(("127.0.0.1", server.port))
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"200 OK" in conn.recv(4096)
    started = time.monotonic()
    assert server.stop(signal.SIGINT) == 0
    assert time.monotonic() - started < 5
    assert "stopped" in server.stderr_path.read_text()
    conn.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1)
    # Same data directory again: the schema version is found, not rewritten.
    again = Authd(tmp_path).start()
    assert again.json("GET", "/healthz")[2]["schema_version"] == 7
    assert again.stop() == 0
