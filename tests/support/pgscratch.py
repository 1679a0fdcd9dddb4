"""Scratch PostgreSQL servers for the tests: initdb in a temporary directory, a free loopback port, the
Unix socket in that directory too, so nothing touches a system cluster. PostgreSQL refuses to run as
root, so when the tests do, its programs run as the `postgres` user the Debian package creates.

As a module: Postgres(...).start(), .conninfo(dbname), .create_database(name), .stop(), .kill9(),
Postgres.standby_of(primary, ...) for a streaming replica (synchronous when the primary names it).
As a program: `pgscratch.py -- COMMAND...` runs COMMAND with AUTHD_TEST_PG set to the conninfo of a
scratch server's `postgres` database, and stops the server afterwards."""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
AS_ROOT = os.geteuid() == 0


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A loopback port free now, for a server the caller starts next. Taken below the kernel's ephemeral
    range: a port from bind(0) lies inside it, where any outgoing connection of a test running alongside
    (authd to PostgreSQL, a client to authd) may take it before our server binds it, as CI once saw. Below
    it only another test's pick can collide, one chance in thousands of ports."""
    low = _ephemeral_low()
    for _ in range(100) if low > 11024 else ():
        port = random.randrange(10000, low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args, check=True, **kw):
    """Runs a PostgreSQL program, as the postgres user when we are root."""
    if AS_ROOT:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def _owned_tempdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    if AS_ROOT:
        shutil.chown(d, "postgres", "postgres")
    os.chmod(d, 0o700)
    return d


class Postgres:
    def __init__(self, settings=None, name="primary"):
        self.root = _owned_tempdir(f"authd-pg-{name}-")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.settings = dict(settings or {})
        self.log = os.path.join(self.root, "server.log")
        self.name = name

    # -- lifecycle --

    def init(self):
        _run([f"{BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
              "--no-instructions"])
        self._configure()
        return self

    def _configure(self):
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "100",
            "shared_buffers": "64MB",
            "wal_level": "replica",
            "max_wal_senders": "5",
            "hot_standby": "on",
            "logging_collector": "off",
            # tests start and stop many servers: no need for the crash-safe default on a scratch disk
            # except where a test is about durability, which sets fsync itself
            "fsync": "on",
        }
        conf.update(self.settings)
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            for k, v in conf.items():
                f.write(f"{k} = {v}\n")
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")

    def start(self):
        if not os.path.exists(self.data):
            self.init()
        _run([f"{BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start"])
        return self

    def stop(self, mode="fast"):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            _run([f"{BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"], check=False)

    def kill9(self):
        """The postmaster and every backend die at once, as when the machine does."""
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
            subprocess.run(["pkill", "-9", "-f", f"postgres: .*{self.port}"], check=False)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        # the children notice their postmaster is gone; give them a moment to exit
        time.sleep(0.5)

    def pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def promote(self):
        _run([f"{BIN}/pg_ctl", "-D", self.data, "-w", "promote"])

    def cleanup(self):
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- use --

    def conninfo(self, dbname="postgres", user="postgres"):
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={user}"

    def psql(self, sql, dbname="postgres"):
        out = _run(["/usr/bin/psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                    "-p", str(self.port), "-U", "postgres", "-d", dbname, "-c", sql])
        return out.stdout.strip()

    def dump(self, dbname):
        """Everything the database holds, as pg_dump writes it (bytea in hex)."""
        return _run([f"{BIN}/pg_dump", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", dbname]).stdout

    def restore(self, dbname, dump):
        """The database `dbname` replaced by what `dump` (pg_dump's text) holds: a backup restored."""
        self.psql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{dbname}" TEMPLATE template0')
        _run(["/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port), "-U",
              "postgres", "-d", dbname], input=dump)

    def wal_bytes(self):
        """The write-ahead log as it is on disk."""
        wal = os.path.join(self.data, "pg_wal")
        out = b""
        for name in sorted(os.listdir(wal)):
            path = os.path.join(wal, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    out += f.read()
        return out

    def create_database(self, name):
        self.psql(f'CREATE DATABASE "{name}"')
        return self.conninfo(name)

    @classmethod
    def standby_of(cls, primary, name="standby1"):
        """A streaming replica of `primary` (pg_basebackup -R), its application_name `name`: the
        primary makes it synchronous by naming it in synchronous_standby_names."""
        s = cls(name=name)
        _run([f"{BIN}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
              "-D", s.data, "-R", "-X", "stream", "-c", "fast"])
        with open(os.path.join(s.data, "postgresql.auto.conf"), "a") as f:
            f.write(f"primary_conninfo = 'host=127.0.0.1 port={primary.port} user=postgres "
                    f"application_name={name}'\n")
        s._configure()
        return s.start()


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: pgscratch.py -- COMMAND...", file=sys.stderr)
        return 2
    pg = Postgres().start()
    try:
        env = dict(os.environ, AUTHD_TEST_PG=pg.conninfo())
        return subprocess.call(argv, env=env)
    finally:
        pg.cleanup()


if __name__ == "__main__":
    sys.exit(main())
