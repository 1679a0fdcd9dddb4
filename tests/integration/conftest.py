"""Shared fixtures: a real authd on a free loopback port, and the certctl binary.

The binaries come from the environment ctest sets (AUTHD, CERTCTL); run through `make test`.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from pgscratch import Postgres, free_port  # noqa: E402,F401 (free_port: for the test modules)

CERTCTL = os.environ.get("CERTCTL", "build/bin/certctl")
AUTHD = os.environ.get("AUTHD", "build/bin/authd")
REPO_ROOT = os.environ.get("REPO_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
VECTORS = os.environ.get("VECTORS", os.path.join(REPO_ROOT, "tests/vectors"))


KEYS = os.path.join(REPO_ROOT, "keys-example")

# The storage backend every Authd of this run uses: lmdb, or postgresql in one scratch server per
# pytest process, each data directory its own database (ctest runs the authd modules on both).
BACKEND = os.environ.get("AUTHD_TEST_BACKEND", "lmdb")
_pg = None


def pg_server():
    """The scratch PostgreSQL server of this test run, started on first use."""
    global _pg
    if _pg is None:
        import atexit
        _pg = Postgres().start()
        atexit.register(_pg.cleanup)
    return _pg


def database_for(data_dir):
    """The database standing for a data directory: the same one for the same directory (a restart)."""
    import hashlib
    name = "authd_" + hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    pg = pg_server()
    if pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
        pg.create_database(name)
    return name


def store_yaml(data_dir, conninfo=None):
    """The store section: the given PostgreSQL database, or this run's backend."""
    if conninfo is None and BACKEND != "postgresql":
        return ""
    conninfo = conninfo or pg_server().conninfo(database_for(data_dir))
    return f"store:\n  backend: postgresql\n  postgresql:\n    conninfo: \"{conninfo}\"\n"
# The example configuration's signers: each department's document signer and its root's status signer.
SIGNERS = [("11330100002498113P", "sm2", "scjg"), ("11330100002498121J", "ed25519", "mz"),
           ("1133010000249813XA", "p256", "ga"), ("113301000024981565", "sm2", "zrzy"),
           ("113301000024981640", "ed25519", "wjw"), ("11330100002498172T", "p256", "rs")]


def token(client):
    with open(os.path.join(KEYS, "tokens", f"{client}.token")) as f:
        return f.read().strip()


def signers_yaml(signers=SIGNERS, keys=None):
    """The signers section. `keys(code, alg, dept)` may give a department's (key, status_key) references
    instead of keys-example's files (a token's URIs, say), or None to keep the files."""
    out = "signers:\n"
    for code, alg, dept in signers:
        refs = keys(code, alg, dept) if keys else None
        key, status_key = refs or (f"{KEYS}/pki/{alg}/{dept}.key", f"{KEYS}/pki/{alg}/status.key")
        out += (f"  - issuer_code: {code}\n    key: \"{key}\"\n    certificate: {KEYS}/pki/{alg}/{dept}.crt\n"
                f"    status_key: \"{status_key}\"\n    status_certificate: {KEYS}/pki/{alg}/status.crt\n")
    return out


def npm_install(source, work, files, module, what):
    """Copies `files` from `source` into `work` and installs the npm packages its package.json pins,
    unless `module` (a path under node_modules) is there already. Skips the calling test, loudly, only
    when the npm registry cannot be reached."""
    os.makedirs(work, exist_ok=True)
    for name in files:
        shutil.copy(os.path.join(source, name), work)
    if os.path.isdir(os.path.join(work, "node_modules", module)):
        return
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--no-save",
                        "--loglevel=error"], cwd=work, capture_output=True, timeout=600)
    if r.returncode != 0:
        msg = f"!!! npm registry unreachable: {module} not installed, {what} SKIPPED !!!"
        print(msg, r.stderr.decode(errors="replace")[-500:], file=sys.stderr)
        pytest.skip(msg)


SIG_LOG_ORIGIN = "authd.test/log/signatures"
ACCESS_LOG_ORIGIN = "authd.test/log/access"


def readers_yaml():
    """The example counters' reader keys (keys-example/readers): they sign OpenID4VP requests."""
    return "readers:\n" + "".join(
        f"  - client: {c}\n    key: {KEYS}/readers/{c}.key\n    certificate: {KEYS}/readers/{c}.crt\n"
        for c in ("counter-hz", "counter-hz-full"))


def logs_yaml():
    return (f"logs:\n  signatures:\n    origin: {SIG_LOG_ORIGIN}\n    key: {KEYS}/log/signatures.key\n"
            f"  access:\n    origin: {ACCESS_LOG_ORIGIN}\n    key: {KEYS}/log/access.key\n")


class NotifyListener:
    """The listening end of the systemd notify protocol (a datagram socket), on a short path."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="authd-n")
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def ready(self, timeout):
        self.sock.settimeout(timeout)
        try:
            return "READY=1" in self.sock.recv(4096).decode().split("\n")
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Authd:
    """One authd process with its own config, data directory and access log."""

    def __init__(self, tmp_path, extra_config="", tls=False, client_ca=False, as_client="admin", policies_dir=None,
                 conninfo=None, public_url=None, signers=None, logs=None, trust_bundle=None, store_cipher=None,
                 data_key=None, readers=True):
        """`conninfo`: a PostgreSQL database of the caller's (several nodes on one database); otherwise the
        run's backend, with a database of the data directory's own. `public_url`: the one name several
        nodes serve under (licences carry it in their status-list URIs); this node's own by default.
        `signers`, `logs`: the configuration's sections, instead of keys-example's key files; `trust_bundle`:
        another bundle than keys-example's; `store_cipher`: store.cipher; `data_key`: another data key file;
        `readers`: whether the example counters have their reader keys."""
        self.port = free_port()
        self.default_token = token(as_client) if as_client else None
        self.tmp = tmp_path
        self.access_log = tmp_path / "access.log"
        self.stderr_path = tmp_path / "authd.stderr"
        listen = f"  - address: 127.0.0.1:{self.port}\n"
        if tls:
            listen += (f"    tls:\n      certificate: {REPO_ROOT}/keys-example/tls/server.crt\n"
                       f"      key: {REPO_ROOT}/keys-example/tls/server.key\n")
            if client_ca:
                listen += f"      client_ca: {KEYS}/tls/client-ca.crt\n"
        self.scheme = "https" if tls else "http"
        self.config = tmp_path / "authd.yaml"
        store = store_yaml(tmp_path / 'data', conninfo)
        if store_cipher:
            store = (store or "store:\n") + f"  cipher: {store_cipher}\n"
        self.config.write_text(
            f"listen:\n{listen}workers: 2\ndata_dir: {tmp_path}/data\naccess_log: {self.access_log}\n"
            f"{self.limits_yaml()}"
            f"policies_dir: {policies_dir or REPO_ROOT + '/policies'}\ntrust_bundle: {trust_bundle or KEYS + '/trust.json'}\ndata_key: {data_key or KEYS + '/data.key'}\n"
            f"public_url: {public_url or self.url}\nstatus:\n  list_size: 65536\n  ttl: 60\n"
            f"{logs or logs_yaml()}{signers or signers_yaml()}{readers_yaml() if readers else ''}{store}{extra_config}")
        self.proc = None

    LIMITS = {"max_body_bytes": "1M", "max_header_bytes": "8k", "shutdown_grace_ms": 3000}

    @classmethod
    def limits_yaml(cls, **values):
        """The configuration's limits: section, the tests' defaults overridden or added to by `values`."""
        return "limits:\n" + "".join(f"  {k}: {v}\n" for k, v in {**cls.LIMITS, **values}.items())

    def set_limits(self, **values):
        """Rewrites the configuration's limits (before start)."""
        self.config.write_text(self.config.read_text().replace(self.limits_yaml(), self.limits_yaml(**values)))

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def run(self, *command):
        """`authd --config CONFIG COMMAND...` (init, store check): the completed process."""
        return subprocess.run([AUTHD, "--config", str(self.config), *command], capture_output=True, text=True,
                              timeout=300)

    def init(self):
        """Creates the store unless there is one (a restart, or another node of a shared database)."""
        r = self.run("init")
        assert r.returncode == 0, r.stderr
        return self

    def start(self, init=True, args=(), preexec_fn=None, env=None):
        """Starts authd (with extra command-line `args`; `preexec_fn` run in the child before it, to set
        resource limits; `env` added to the environment), having created its store first unless `init` is
        False. Started means authd said READY=1 over the systemd notify protocol (unless the caller listens
        to NOTIFY_SOCKET itself): an answer on the port could come from another test's server. Should
        another process take the port between free_port() and authd's bind, authd moves to a new port."""
        if init:
            self.init()
        self.stderr = open(self.stderr_path, "ab")
        for _ in range(3):
            notify = None if env and "NOTIFY_SOCKET" in env else NotifyListener()
            since = self.stderr_path.stat().st_size
            child_env = {**os.environ, **(env or {}), **({"NOTIFY_SOCKET": notify.path} if notify else {})}
            self.proc = subprocess.Popen([AUTHD, "--config", str(self.config), *args], stdout=self.stderr,
                                         stderr=self.stderr, preexec_fn=preexec_fn, env=child_env)
            try:
                if self._wait_started(notify):
                    return self
            finally:
                if notify:
                    notify.close()
            err = self.stderr_path.read_bytes()[since:].decode(errors="replace")
            if "Address already in use" not in err or not self._move_port():
                raise RuntimeError(f"authd exited with {self.proc.returncode}: {self.stderr_path.read_text()}")
        raise RuntimeError(f"authd found no free port: {self.stderr_path.read_text()}")

    def _wait_started(self, notify, timeout=10):
        """True once authd is ready; False if it exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if notify:
                if notify.ready(0.05):
                    return True
                continue
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("authd did not become ready")

    def _move_port(self):
        """Gives this server a new free port in its configuration; False where the port is not its own to
        change (a subclass whose port other servers' configurations name)."""
        old, self.port = self.port, free_port()
        self.config.write_text(self.config.read_text().replace(f"127.0.0.1:{old}", f"127.0.0.1:{self.port}"))
        return True

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        self.stderr.close()
        return self.proc.returncode

    def request(self, method, path, body=None, headers=None, token=True):
        """Returns (status, headers, body bytes); never raises for HTTP error statuses. `token`: True for
        the server's default client, a client name, or None for no credentials."""
        headers = dict(headers or {})
        if token is True and self.default_token:
            headers.setdefault("authorization", f"Bearer {self.default_token}")
        elif isinstance(token, str):
            headers["authorization"] = f"Bearer {globals()['token'](token)}"
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
        except urllib.error.URLError as e:
            if not isinstance(e.reason, ConnectionRefusedError) or self.proc is None:
                raise
            # nothing listens: say why, from what authd wrote, while its scratch directory still exists
            status = self.proc.poll()
            state = "still runs" if status is None else f"exited with {status}"
            tail = self.stderr_path.read_text(errors="replace")[-3000:]
            raise AssertionError(f"authd refused {method} {path} ({state}); its standard error ends:\n{tail}") from e

    def json(self, method, path, doc=None, raw=None, content_type="application/json", token=True):
        body = raw if raw is not None else (json.dumps(doc).encode() if doc is not None else None)
        headers = {"content-type": content_type} if body is not None and content_type else {}
        status, hdrs, data = self.request(method, path, body, headers, token=token)
        return status, hdrs, json.loads(data) if data else None


@pytest.fixture
def authd(tmp_path):
    server = Authd(tmp_path).start()
    yield server
    assert server.stop() == 0, server.stderr_path.read_text()


def policies_with(tmp_path, clients_yaml):
    """A copy of policies/ whose clients.yaml has `clients_yaml` (list items) appended."""
    d = tmp_path / "policies"
    shutil.copytree(os.path.join(REPO_ROOT, "policies"), d)
    with open(d / "clients.yaml", "a") as f:
        f.write(clients_yaml)
    return str(d)


def valid_numbers(n):
    """n different valid resident identity numbers (Hangzhou Xihu, born 1985)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    numbers = []
    for i in range(n):
        base = f"3301061985{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        numbers.append(base + "10X98765432"[sum(int(c) * w for c, w in zip(base, weights)) % 11])
    return numbers


def run_certctl(*args, stdin=None):
    return subprocess.run([CERTCTL, *args], input=stdin, capture_output=True, timeout=60)


def assert_problem(status, headers, doc, expected_status, code):
    assert status == expected_status, doc
    assert headers["content-type"] == "application/problem+json"
    assert doc["status"] == expected_status
    assert doc["code"] == code
    assert doc["type"].endswith(code) and doc["title"] and doc["detail"]
