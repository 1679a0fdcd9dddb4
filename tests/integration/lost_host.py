"""The database's host lost, as when a site goes dark or the network between sites is cut: nothing
answers any more, not even a refusal. Run by test_authd_postgres.py in a network namespace of its own
(`unshare -n`), where PostgreSQL listens on 127.0.0.2 as well and authd reaches it there; a blackhole
route for 127.0.0.2 then drops every packet authd sends it, and deleting the route brings the host back.
Exits 0 when authd answered 503 within the bound, served again once the host was back, and lost nothing.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

from conftest import Authd, assert_problem  # noqa: E402
from pgscratch import Postgres  # noqa: E402
from test_authd_licences import BIZ, BIZ_ELEMENTS, COMPANY, issue, issue_ok  # noqa: E402
from test_authd_postgres import wait_for  # noqa: E402

BOUND = 25  # seconds: authd gives a silent host up within about 20 (pg_conn.c)
ROUTE = ["ip", "route", "{}", "blackhole", "127.0.0.2/32", "table", "local"]


def route(verb):
    subprocess.run([w.format(verb) for w in ROUTE], check=True)


def main():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    pg = Postgres(settings={"listen_addresses": "'127.0.0.1,127.0.0.2'"}).start()
    work = Path(tempfile.mkdtemp(prefix="authd-lost-host-"))
    try:
        pg.psql('CREATE DATABASE "lost"')
        server = Authd(work, conninfo=f"host=127.0.0.2 port={pg.port} dbname=lost user=postgres").start()
        try:
            before = issue_ok(server)
            route("add")
            started = time.monotonic()
            status, headers, doc = issue(server, "issuer-scjg", BIZ, COMPANY, "杭州某某科技有限公司", BIZ_ELEMENTS)
            took = time.monotonic() - started
            print(f"issuance with the host lost: {status} after {took:.1f} s")
            assert_problem(status, headers, doc, 503, "store_unavailable")
            assert headers["retry-after"]
            assert took < BOUND, took
            status, headers, doc = server.json("GET", "/healthz")
            assert_problem(status, headers, doc, 503, "store_unavailable")
            route("del")
            wait_for(lambda: issue(server, "issuer-scjg", BIZ, COMPANY, "杭州某某科技有限公司", BIZ_ELEMENTS)[0] == 201,
                     30, "issuance recovers with the host back")
            print(f"issuance again {time.monotonic() - started:.1f} s after the host was lost")
            code, _, got = server.json("GET", "/v1/licences/" + urllib.parse.quote(before["licence_id"], safe=""),
                                     token="auditor")
            assert code == 200 and got["licence"] == before["licence"]
        finally:
            try:
                assert server.stop() == 0, server.stderr_path.read_text()
            except subprocess.TimeoutExpired:
                server.proc.kill()  # stuck on the lost host: the failure is reported above
                raise
    finally:
        pg.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
