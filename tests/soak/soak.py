#!/usr/bin/env python3
"""Soak and abuse runs against a real authd, on demand (not part of `make test`): their figures go in
tests/soak/README.md. Each starts its own authd on a free loopback port in a scratch directory.

  tests/soak/soak.py flood [--requests N] [--seconds S]
                                                 10,000-number batches over HTTP/2, h2load -c 32 -m 64
                                                 again and again for S seconds: peak RSS, RSS after,
                                                 another client's /healthz latency
  tests/soak/soak.py descriptors                 ulimit -n 1024 and 1,100 idle connections: authd's CPU
                                                 while saturated, and service once some close
  tests/soak/soak.py kill9 [--minutes M] [--every S]
                                                 mixed load with kill -9 every S seconds, then a final
                                                 audit: nothing acknowledged lost, no fork, store intact

The binaries come from $AUTHD and $CERTCTL (default build/bin/)."""
import argparse
import http.client
import json
import os
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
os.environ.setdefault("REPO_ROOT", REPO)
os.environ.setdefault("AUTHD", os.path.join(REPO, "build", "bin", "authd"))
os.environ.setdefault("CERTCTL", os.path.join(REPO, "build", "bin", "certctl"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from conftest import Authd, token, valid_numbers  # noqa: E402
import pathlib  # noqa: E402


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def scratch():
    return pathlib.Path(tempfile.mkdtemp(prefix="authd-soak-"))


class Sampler(threading.Thread):
    """The peak of a process's resident memory, sampled every 20 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, rss_kb(self.pid))
            except OSError:
                return
            time.sleep(0.02)


def healthz_latencies(port, stop):
    """Another client: /healthz one after another on one connection until `stop`; latencies in ms."""
    out, failures = [], 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        started = time.monotonic()
        try:
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                failures += 1
        except (OSError, http.client.HTTPException):
            failures += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        out.append((time.monotonic() - started) * 1000)
        time.sleep(0.01)
    return out, failures


def flood(args):
    """One client floods: h2load runs of --requests batches each, one after another for --seconds (a
    client that reconnects when authd refuses its streams or sends it GOAWAY), while another client asks
    /healthz every 10 ms."""
    work = scratch()
    server = Authd(work).start()
    body = work / "batch10k.json"
    body.write_text(json.dumps({"numbers": valid_numbers(10000)}))
    before = rss_kb(server.proc.pid)
    sampler = Sampler(server.proc.pid)
    sampler.start()
    stop, result = threading.Event(), {}
    other = threading.Thread(target=lambda: result.update(zip(("lat", "fail"), healthz_latencies(server.port, stop))))
    other.start()
    time.sleep(0.5)
    totals, runs, started = {}, 0, time.monotonic()
    while runs == 0 or time.monotonic() - started < args.seconds:
        h2 = subprocess.run(["h2load", "-n", str(args.requests), "-c", "32", "-m", "64", "-t", "1", "-d", str(body),
                             "-H", "content-type: application/json", "-H", f"authorization: Bearer {token('admin')}",
                             f"http://127.0.0.1:{server.port}/v1/ident/check"], capture_output=True, text=True)
        runs += 1
        for line in h2.stdout.splitlines():
            if line.startswith(("requests:", "status codes:")):
                for count, what in re.findall(r"(\d+) ([a-z0-9]+)", line.split(":", 1)[1]):
                    totals[what] = totals.get(what, 0) + int(count)
    flooded = time.monotonic() - started
    stop.set()
    other.join()
    time.sleep(3)
    after = rss_kb(server.proc.pid)
    sampler.stop.set()
    lat = result["lat"]
    metrics = server.request("GET", "/metrics", token="auditor")[2].decode()
    print(f"flood: {runs} h2load runs of {args.requests} requests of 10,000 numbers (-c 32 -m 64) in {flooded:.1f} s")
    print("  requests: " + ", ".join(f"{totals.get(k, 0)} {k}" for k in ("total", "succeeded", "failed", "errored"))
          + "; status codes: " + ", ".join(f"{totals.get(k, 0)} {k}" for k in ("2xx", "4xx", "5xx")))
    for name in ("authd_http2_streams_refused_total", "authd_http2_connections_calmed_total", "authd_requests_shed_total"):
        print("  " + next(line for line in metrics.splitlines() if line.startswith(name + " ")))
    print(f"  RSS before {before / 1024:.0f} MB, peak {sampler.peak / 1024:.0f} MB, 3 s after {after / 1024:.0f} MB")
    print(f"  another client's /healthz: {len(lat)} requests, p50 {percentile(lat, 0.5):.1f} ms, "
          f"p99 {percentile(lat, 0.99):.1f} ms, max {max(lat):.1f} ms, {result['fail']} not 200")
    server.stop()


def descriptors(args):
    work = scratch()
    server = Authd(work).start(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)))
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(1100)]
    time.sleep(1)
    c0 = cpu_seconds(server.proc.pid)
    time.sleep(5)
    spent = cpu_seconds(server.proc.pid) - c0
    print(f"descriptors: ulimit -n 1024, 1,100 idle connections: authd used {spent:.2f} s of CPU in 5 s "
          f"({spent / 5 * 100:.1f}% of one core)")
    for conn in idle[:200]:
        conn.close()
    started = time.monotonic()
    while True:
        try:
            status = server.request("GET", "/healthz", token=None)[0]
            break
        except OSError:
            time.sleep(0.05)
    print(f"  200 closed: /healthz answered {status} after {(time.monotonic() - started) * 1000:.0f} ms")
    for conn in idle[200:]:
        conn.close()
    metrics = server.request("GET", "/metrics", token="auditor")[2].decode()
    print("  " + next(line for line in metrics.splitlines() if line.startswith("authd_accept_failures_total")))
    server.stop()


def kill9(args):
    from test_authd_licences import BIZ, BIZ_ELEMENTS, COMPANY, MARRIAGE, MARRIAGE_ELEMENTS, PERSON
    work = scratch()
    server = Authd(work).start()
    acknowledged, lock, stop = {}, threading.Lock(), threading.Event()
    counts = {"issue": 0, "lookup": 0, "verify": 0, "errors": 0}

    def client(seed):
        rng = random.Random(seed)
        while not stop.is_set():
            try:
                roll = rng.random()
                if roll < 0.5:
                    kind = rng.choice([(BIZ, COMPANY, "杭州某某科技有限公司", BIZ_ELEMENTS, "issuer-scjg"),
                                       (MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS, "issuer-mz")])
                    status, _, doc = server.json("POST", "/v1/licences", {"type": kind[0], "holder": {
                        "id": kind[1], "name": kind[2]}, "elements": kind[3]}, token=kind[4])
                    if status == 201:
                        with lock:
                            acknowledged[doc["licence_id"]] = doc["licence"]
                            counts["issue"] += 1
                elif roll < 0.8:
                    status, _, _ = server.json("GET", f"/v1/holders/{PERSON}/licences?matter=ZJ-CSDJ-001&use_cause="
                                               + urllib.parse.quote("核验"), token="counter-hz")
                    counts["lookup"] += status == 200
                else:
                    with lock:
                        sample = rng.choice(list(acknowledged.values())) if acknowledged else None
                    if sample:
                        status, _, _ = server.json("POST", "/v1/verify", {"licence": sample}, token="counter-hz")
                        counts["verify"] += status == 200
            except (OSError, http.client.HTTPException, json.JSONDecodeError):
                counts["errors"] += 1  # the server was killed under this request
                time.sleep(0.05)

    state = work / "audit.state"
    from test_authd_logs import vkey, SIG_LOG_ORIGIN

    def audit():
        r = subprocess.run([os.environ["CERTCTL"], "audit", "--log", f"{server.url}/log/signatures", "--key",
                            vkey(SIG_LOG_ORIGIN, "signatures"), "--state", str(state), "--quiet"],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise SystemExit(f"audit failed: {r.stderr}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(6)]
    for t in threads:
        t.start()
    deadline, kills = time.monotonic() + args.minutes * 60, 0
    while time.monotonic() < deadline:
        time.sleep(min(args.every, max(0.0, deadline - time.monotonic())))
        if time.monotonic() >= deadline:
            break
        audit()
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        server.stderr.close()
        kills += 1
        server.start(init=False)
        print(f"  kill -9 #{kills}: {counts['issue']} licences acknowledged so far", flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    audit()
    assert server.stop() == 0
    check = server.run("store", "check")
    server.start(init=False)
    missing = [lid for lid in acknowledged
               if server.request("GET", f"/v1/licences/{urllib.parse.quote(lid, safe='')}", token="auditor")[0] != 200]
    server.stop()
    print(f"kill9: {args.minutes} min, kill -9 every {args.every} s ({kills} kills); {counts['issue']} licences "
          f"acknowledged, {counts['lookup']} lookups, {counts['verify']} verifications, {counts['errors']} requests "
          f"cut by a kill")
    print(f"  missing after the run: {len(missing)}; audit across every kill: consistent; store check: "
          f"{'intact' if check.returncode == 0 else 'DAMAGED'} ({check.stderr.strip().splitlines()[-1]})")
    if missing or check.returncode != 0:
        raise SystemExit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="run", required=True)
    f = sub.add_parser("flood")
    f.add_argument("--requests", type=int, default=4096)
    f.add_argument("--seconds", type=float, default=10)
    sub.add_parser("descriptors")
    k = sub.add_parser("kill9")
    k.add_argument("--minutes", type=float, default=30)
    k.add_argument("--every", type=float, default=180)
    args = p.parse_args()
    {"flood": flood, "descriptors": descriptors, "kill9": kill9}[args.run](args)


if __name__ == "__main__":
    main()
