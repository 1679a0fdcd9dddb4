"""异地通办: three authd instances (浙江, 上海, 江苏 of authd/examples/federation/, each with its own keys, trust-list
key and store) on loopback. 上海's counters look up licences 浙江 and 江苏 issued; 上海 verifies each against
the issuing province's signed trust list; both access logs record the access; revocation, a province down, a
peer too slow, refused trust lists (rollback, expired, another key), and a peer asking beyond its matters."""
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import KEYS, REPO_ROOT, Authd, free_port, run_certctl, store_yaml

EXAMPLE = os.path.join(REPO_ROOT, "authd", "examples", "federation")
FED_KEYS = os.path.join(EXAMPLE, "keys")
PERSON = "11010519491231002X"
HUKOU = "11100000000013338W004"    # 居民户口簿, 浙江 (杭州市公安局)
DIVORCE = "11100000000013338W003"  # 离婚证, 江苏 (南京市民政局)
CAUSE = urllib.parse.quote("结婚登记")
# The example's ports, replaced by free ones: plain HTTP and TLS of each province.
PORTS = {"zhejiang": (8281, 8643), "shanghai": (8282, 8644), "jiangsu": (8283, 8645)}


def fed_token(province, client):
    with open(os.path.join(FED_KEYS, province, "tokens", f"{client}.token")) as f:
        return f.read().strip()


class Province(Authd):
    """An authd run from the example's configuration of `name`, its paths made absolute, its ports and
    those of its peers replaced by `ports` (name -> (plain, tls)), its data in tmp_path."""

    def __init__(self, tmp_path, name, ports, extra=""):
        super().__init__(tmp_path)
        self.name = name
        self.port, self.tls_port = ports[name]
        with open(os.path.join(EXAMPLE, f"{name}.yaml")) as f:
            text = f.read()
        text = text.replace("../../../", REPO_ROOT + "/")
        text = re.sub(r"(?m)(^\s*(?:[a-z_]+): )(keys/|shanghai/|jiangsu/)", lambda m: m.group(1) + EXAMPLE + "/" + m.group(2), text)
        text = re.sub(r"(?m)^data_dir: .*$", f"data_dir: {tmp_path}/data", text)
        text = re.sub(r"(?m)^(# )?state_dir: .*$", "", text) + f"state_dir: {tmp_path}/state\n"
        store = store_yaml(tmp_path / "data")  # this run's backend
        if store:
            text = re.sub(r"(?m)^store:\n(?:[ #].*\n)*", "", text) + store
        text = re.sub(r'(?m)^access_log: .*$', f"access_log: {self.access_log}", text)
        for peer, (plain, tls) in PORTS.items():
            text = text.replace(f"127.0.0.1:{plain}", f"127.0.0.1:{ports[peer][0]}")
            text = text.replace(f"127.0.0.1:{tls}", f"127.0.0.1:{ports[peer][1]}")
        self.config.write_text(text + extra)

    def _move_port(self):
        return False  # the other provinces' configurations name this port

    def get(self, path, tok):
        return self.json("GET", path, token=None) if tok is None else self._get(path, tok)

    def _get(self, path, tok):
        status, headers, data = self.request("GET", path, headers={"authorization": f"Bearer {tok}"}, token=None)
        return status, headers, json.loads(data) if data and data[:1] == b"{" else data


def wait_for_peers(shanghai, names, timeout=20):
    """Until 上海 has each peer's trust list in force (its log says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = shanghai.stderr_path.read_text()
        if all(f"peer {n}: trust list" in text and "in force" in text.split(f"peer {n}: trust list", 1)[1][:40]
               for n in names):
            return
        time.sleep(0.1)
    raise AssertionError(shanghai.stderr_path.read_text())


def lookup(shanghai, matter="SH-HYDJ-001", client="counter-sh"):
    return shanghai.get(f"/v1/holders/{PERSON}/licences?matter={matter}&use_cause={CAUSE}", fed_token("shanghai", client))


@pytest.fixture(scope="module")
def provinces(tmp_path_factory):
    ports = {p: (free_port(), free_port()) for p in PORTS}
    started = {}
    for name in ("zhejiang", "jiangsu", "shanghai"):
        started[name] = Province(tmp_path_factory.mktemp(name), name, ports).start()
    wait_for_peers(started["shanghai"], ["zhejiang", "jiangsu"])
    # 浙江 issues a 户口簿 for the citizen, 江苏 a 离婚证
    zj, js = started["zhejiang"], started["jiangsu"]
    code, _, hukou = zj.json("POST", "/v1/licences", {
        "type": HUKOU, "holder": {"id": PERSON, "name": "张三"},
        "elements": {"household_number": "330106001234", "household_head": "张三", "relationship": "户主",
                     "address": "杭州市西湖区文三路1号"}}, token="issuer-ga")
    assert code == 201, hukou
    status, _, body = js.request("POST", "/v1/licences", json.dumps({
        "type": DIVORCE, "holder": {"id": PERSON, "name": "张三"},
        "elements": {"former_spouse_name": "王二", "registration_date": "2020-01-02",
                     "registration_authority": "南京市鼓楼区民政局"}}).encode(),
        {"content-type": "application/json", "authorization": f"Bearer {fed_token('jiangsu', 'issuer-js-mz')}"},
        token=None)
    assert status == 201, body
    started["ports"] = ports
    started["hukou"] = hukou
    started["divorce"] = json.loads(body)
    yield started
    for name in ("shanghai", "jiangsu", "zhejiang"):
        if started[name].proc.poll() is None:
            assert started[name].stop() == 0, started[name].stderr_path.read_text()


def access_entries(server, tok):
    """Every entry of `server`'s access log, split into fields."""
    status, _, note = server.request("GET", "/log/access/checkpoint", headers={"authorization": f"Bearer {tok}"},
                                     token=None)
    assert status == 200
    size = int(note.decode().split("\n")[1])
    entries = []
    for b in range((size + 255) // 256):
        width = min(256, size - 256 * b)
        path = f"/log/access/tile/entries/{b:03d}" + (f".p/{width}" if width < 256 else "")
        status, _, body = server.request("GET", path, headers={"authorization": f"Bearer {tok}"}, token=None)
        assert status == 200
        while body:
            n = int.from_bytes(body[:2], "big")
            entries.append(body[2:2 + n].decode().split(" "))
            body = body[2 + n:]
    return entries


def test_a_shanghai_counter_gets_zhejiang_and_jiangsu_licences_verified(provinces, tmp_path):
    sh, zj = provinces["shanghai"], provinces["zhejiang"]
    code, _, doc = lookup(sh)
    assert code == 200, doc
    by_source = {lic["source"]: lic for lic in doc["licences"]}
    assert set(by_source) == {"zhejiang", "jiangsu"}
    hukou, divorce = by_source["zhejiang"], by_source["jiangsu"]
    assert hukou["licence_id"] == provinces["hukou"]["licence_id"] and hukou["type"] == HUKOU
    assert divorce["licence_id"] == provinces["divorce"]["licence_id"] and divorce["type"] == DIVORCE
    for lic in (hukou, divorce):
        assert lic["verdict"] == "valid", lic
        assert all(c["state"] in ("passed", "not_applicable") for c in lic["checks"].values()), lic["checks"]
        assert lic["checks"]["status"]["state"] == "passed" and lic["checks"]["logged"]["state"] == "passed"
    assert divorce["issuer_name"] == "南京市民政局"
    # 上海's own element list for its matter (no relationship), and its counter sees no full number
    assert [e["name"] for e in hukou["elements"]] == ["licence_id", "holder_name", "household_number", "address"]
    assert hukou["masked"] == {"holder_id": "110105********002X"} and doc["holder_id"] == "110105********002X"
    assert [m["type"] for m in doc["missing"]] == ["11100000000013338W002"]
    assert doc["peers"] == [{"name": "zhejiang", "state": "answered", "licences": 1, "refused": 0},
                            {"name": "jiangsu", "state": "answered", "licences": 1, "refused": 0}]
    assert set(doc["disclosure"]["licences"]) and len(doc["disclosure"]["licences"]) == 2

    # Both sides recorded the access: 浙江 names 上海 and its counter, under its own matter code; 上海 names
    # its counter and every licence it released. Neither holds the number in clear.
    zj_entries = access_entries(zj, open(os.path.join(KEYS, "tokens", "auditor.token")).read().strip())
    ours = [e for e in zj_entries if e[3] == "peer-shanghai/counter-sh"]
    assert ours and ours[-1][1] == "lookup" and ours[-1][4] == "ZJ-HYDJ-001"
    assert ours[-1][7] == provinces["hukou"]["licence_id"] and urllib.parse.unquote(ours[-1][8]) == "结婚登记"
    sh_entries = access_entries(sh, fed_token("shanghai", "auditor-sh"))
    last = sh_entries[-1]
    assert last[3] == "counter-sh" and last[4] == "SH-HYDJ-001"
    assert set(last[7].split(",")) == {hukou["licence_id"], divorce["licence_id"]}
    for entries in (zj_entries, sh_entries):
        assert not any(PERSON in " ".join(e) for e in entries)

    # certlib verifies the 浙江 licence offline with 浙江's signed trust list loaded
    status, headers, signed = zj.request("GET", "/v1/trust-list", token=None)
    assert status == 200 and headers["content-type"].startswith("application/cose")
    (tmp_path / "zj.cose").write_bytes(signed)
    (tmp_path / "lic.txt").write_text(hukou["licence"])
    pin = os.path.join(FED_KEYS, "zhejiang", "trust-list.crt")
    r = run_certctl("verify", "--trust-list", str(tmp_path / "zj.cose"), "--pin", pin, "--licence-only", "--json",
                    str(tmp_path / "lic.txt"))
    checks = json.loads(r.stdout)["checks"]
    assert all(checks[c]["state"] == "passed" for c in ("signature", "signer", "certificates", "scope", "digests"))
    # ... and not under another province's pin
    r = run_certctl("verify", "--trust-list", str(tmp_path / "zj.cose"), "--pin",
                    os.path.join(FED_KEYS, "jiangsu", "trust-list.crt"), "--licence-only", str(tmp_path / "lic.txt"))
    assert r.returncode == 2 and b"unknown_kid" in r.stderr or b"not signed by the pinned" in r.stderr


def test_an_unmasked_counter_and_a_local_matter(provinces):
    sh = provinces["shanghai"]
    code, _, doc = lookup(sh, client="counter-sh-full")
    assert code == 200 and doc["holder_id"] == PERSON
    hukou = next(lic for lic in doc["licences"] if lic["source"] == "zhejiang")
    # 浙江 masks for its peer (unmasked: false in its clients.yaml) but keeps holder_id: 上海 sent it
    assert {"name": "holder_id", "label": "持证主体代码", "value": PERSON} in hukou["elements"] or \
        any(e["name"] == "holder_id" and e["value"] == PERSON for e in hukou["elements"])
    # a matter without a shared code stays local: no peer asked, no peers member
    code, _, doc = lookup(sh, matter="SH-LOCAL-001")
    assert code == 200 and "peers" not in doc and doc["licences"] == []


def test_a_revocation_in_zhejiang_shows_in_shanghai(provinces):
    sh, zj = provinces["shanghai"], provinces["zhejiang"]
    code, _, before = lookup(sh)
    lid = urllib.parse.quote(provinces["hukou"]["licence_id"], safe="")
    code, _, doc = zj.json("POST", f"/v1/licences/{lid}/status", {"status": "revoked", "reason": "户口迁出"},
                           token="issuer-ga")
    assert code == 200, doc
    code, _, doc = lookup(sh)
    hukou = next(lic for lic in doc["licences"] if lic["source"] == "zhejiang")
    assert hukou["status"] == "revoked" and hukou["verdict"] == "invalid"
    assert hukou["checks"]["status"] == {"state": "failed", "reason": "revoked"}


def test_a_peer_outside_its_matters_gets_403(provinces, tmp_path):
    zj = provinces["zhejiang"]
    # 上海's peer identity asking 浙江 directly: a matter peer-shanghai may not ask (YRD-... not listed)
    cert = os.path.join(FED_KEYS, "shanghai", "peer-client.crt")
    key = os.path.join(FED_KEYS, "shanghai", "peer-client.key")
    base = f"https://127.0.0.1:{provinces['ports']['zhejiang'][1]}"

    def curl(path):
        r = subprocess.run(["curl", "-s", "--cacert", os.path.join(KEYS, "tls", "server.crt"), "--cert", cert,
                            "--key", key, "-w", "\n%{http_code}", base + path], capture_output=True, text=True)
        body, code = r.stdout.rsplit("\n", 1)
        return int(code), json.loads(body) if body else None
    code, doc = curl(f"/v1/holders/{PERSON}/licences?matter=YRD-NOPE-001&use_cause={CAUSE}&counter=counter-sh")
    assert code == 404 and doc["code"] == "unknown_matter"
    code, doc = curl(f"/v1/holders/{PERSON}/licences?matter=ZJ-HYDJ-001&use_cause={CAUSE}&counter=counter-sh")
    assert code == 404 and doc["code"] == "unknown_matter"  # a peer asks by the shared code only
    code, doc = curl(f"/v1/holders/{PERSON}/licences?matter=YRD-QYBG-001&use_cause={CAUSE}&counter=counter-sh")
    assert code == 200  # listed for peer-shanghai
    # peer-jiangsu is not allowed YRD-QYBG-001: 江苏's identity gets 403 for it
    cert = os.path.join(FED_KEYS, "jiangsu", "peer-client.crt")
    key = os.path.join(FED_KEYS, "jiangsu", "peer-client.key")
    code, doc = curl(f"/v1/holders/{PERSON}/licences?matter=YRD-QYBG-001&use_cause={CAUSE}&counter=counter-js")
    assert code == 403 and doc["code"] == "forbidden_matter"
    # a peer names the counter it asks for, and may do nothing but lookups
    code, doc = curl(f"/v1/holders/{PERSON}/licences?matter=YRD-HYDJ-001&use_cause={CAUSE}")
    assert code == 400 and doc["code"] == "invalid_parameter"
    code, doc = curl(f"/v1/holders/{PERSON}/licences?matter=YRD-HYDJ-001&use_cause={CAUSE}&counter=a%20b")
    assert code == 400 and doc["code"] == "invalid_parameter"
    code, doc = curl("/v1/ident/11010519491231002X")
    assert code == 403
    # and a counter may not pretend to be a peer
    code, _, doc = zj.json("GET", f"/v1/holders/{PERSON}/licences?matter=ZJ-HYDJ-001&use_cause={CAUSE}"
                                  "&counter=counter-sh", token="counter-hz")
    assert code == 400 and doc["code"] == "invalid_parameter"


def test_a_peer_answers_in_cbor_when_asked(provinces):
    """Between peers the answer is CBOR (authd/peer_answer.h): licences and status lists as bytes, the
    peer's signed mark last. A peer that does not ask for it (an older authd) gets the JSON answer, and
    each answer is an access in 浙江's log all the same."""
    import base64

    import cbor2
    zj = provinces["zhejiang"]
    path = (f"https://127.0.0.1:{provinces['ports']['zhejiang'][1]}/v1/holders/{PERSON}/licences"
            f"?matter=YRD-HYDJ-001&use_cause={CAUSE}&counter=counter-sh")
    auditor = open(os.path.join(KEYS, "tokens", "auditor.token")).read().strip()

    def ask(*headers):
        r = subprocess.run(["curl", "-s", "-D", "-", "--cacert", os.path.join(KEYS, "tls", "server.crt"),
                            "--cert", os.path.join(FED_KEYS, "shanghai", "peer-client.crt"),
                            "--key", os.path.join(FED_KEYS, "shanghai", "peer-client.key"),
                            *[a for h in headers for a in ("-H", h)], path], capture_output=True, check=True)
        head, body = r.stdout.split(b"\r\n\r\n", 1)
        assert head.split(b" ", 2)[1] == b"200", r.stdout
        return re.search(rb"(?im)^content-type: *([^;\r]+)", head).group(1).decode(), body
    before = len(access_entries(zj, auditor))
    kind, body = ask("Accept: application/cbor")
    assert kind == "application/cbor"
    answer = cbor2.loads(body)
    assert list(answer) == ["licences", "status_lists", "mark"] and isinstance(answer["mark"], str)
    [lic] = answer["licences"]
    assert sorted(lic) == ["issuer_code", "licence", "licence_id", "receipt", "type"]
    assert lic["licence_id"] == provinces["hukou"]["licence_id"] and isinstance(lic["licence"], bytes)
    assert all(isinstance(v, bytes) for v in answer["status_lists"].values()) and answer["status_lists"]
    for headers in ((), ("Accept: */*",), ("Accept: application/cbor;q=0, application/json",)):
        kind, body = ask(*headers)
        assert kind == "application/json", headers
        doc = json.loads(body)
        [same] = doc["licences"]
        text = same["licence"]
        assert base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)) == lic["licence"]
        assert set(doc["status_lists"]) == set(answer["status_lists"]) and doc["disclosure"]["mark"]
    entries = access_entries(zj, auditor)[before:]
    assert len(entries) == 4 and all(e[3] == "peer-shanghai/counter-sh" and e[1] == "lookup" for e in entries)


def test_trust_lists_refused_keep_the_last_good_one(provinces, tmp_path):
    """A list signed by another key, one with a lower sequence, and an expired one are each refused by
    certctl as by a peer; 上海 keeps 浙江's list in force meanwhile."""
    zj = provinces["zhejiang"]
    status, _, signed = zj.request("GET", "/v1/trust-list", token=None)
    (tmp_path / "now.cose").write_bytes(signed)
    pin = os.path.join(FED_KEYS, "zhejiang", "trust-list.crt")
    r = run_certctl("trust-list", "check", "--pin", pin, str(tmp_path / "now.cose"))
    assert r.returncode == 0, r.stdout
    sequence = int(re.search(rb"sequence\s+(\d+)", r.stdout).group(1))
    r = run_certctl("trust-list", "check", "--pin", pin, "--min-sequence", str(sequence + 1), str(tmp_path / "now.cose"))
    assert r.returncode == 1 and b"trust_list_rollback" in r.stdout
    r = run_certctl("trust-list", "check", "--pin", pin, "--at", str(int(time.time()) + 2 * 86400),
                    str(tmp_path / "now.cose"))
    assert r.returncode == 1 and b"trust_list_expired" in r.stdout
    r = run_certctl("trust-list", "check", "--pin", os.path.join(FED_KEYS, "shanghai", "trust-list.crt"),
                    str(tmp_path / "now.cose"))
    assert r.returncode == 1 and b"unknown_kid" in r.stdout


def serve_list(port, body, stop):
    """A fake 浙江 on `port` that serves `body` at /v1/trust-list and hangs on anything else."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    srv.settimeout(0.2)
    held = []
    while not stop.is_set():
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        conn.settimeout(2)
        try:
            req = conn.recv(4096)
        except OSError:
            conn.close()
            continue
        if b"/v1/trust-list" in req.split(b"\r\n", 1)[0] and body is not None:
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/cose\r\ncontent-length: %d\r\n"
                         b"connection: close\r\n\r\n" % len(body) + body)
            conn.close()
        else:
            held.append(conn)  # never answered: past the deadline
    for c in held:
        c.close()
    srv.close()


def test_shanghai_refuses_bad_lists_and_names_a_peer_down_or_slow(provinces, tmp_path):
    """上海 alone, its peers replaced by fakes on plain HTTP: 浙江's fake serves an older list (rollback), an
    expired one, then one signed by another key; 上海 keeps the good one. A peer that never answers is named unavailable
    within the deadline, one that is down at once; the counter is served all the same."""
    zj = provinces["zhejiang"]
    status, _, good = zj.request("GET", "/v1/trust-list", token=None)
    assert status == 200
    ports = {p: (free_port(), free_port()) for p in PORTS}
    (tmp_path / "sh").mkdir()
    sh = Province(tmp_path / "sh", "shanghai", ports)
    # its peers by plain HTTP on loopback (the fakes speak no TLS), with a short deadline and refresh
    text = sh.config.read_text()
    text = text.replace(f"https://127.0.0.1:{ports['zhejiang'][1]}", f"http://127.0.0.1:{ports['zhejiang'][1]}")
    text = text.replace(f"https://127.0.0.1:{ports['jiangsu'][1]}", f"http://127.0.0.1:{ports['jiangsu'][1]}")
    text = text.replace("refresh: 60", "refresh: 1").replace("deadline_ms: 1500", "deadline_ms: 300")
    sh.config.write_text(text)
    # the good list of 浙江 kept from before, as after a restart
    (tmp_path / "sh" / "state").mkdir()
    (tmp_path / "sh" / "state" / "peer-zhejiang.trust-list").write_bytes(good)
    stop = threading.Event()
    fake = threading.Thread(target=serve_list, args=(ports["zhejiang"][1], None, stop))
    fake.start()
    try:
        sh.start()
        wait_for_peers(sh, ["zhejiang"])
        t0 = time.monotonic()
        code, _, doc = lookup(sh)
        took = time.monotonic() - t0
        assert code == 200, doc
        peers = {p["name"]: p for p in doc["peers"]}
        assert peers["zhejiang"]["state"] == "unavailable" and "within 300 ms" in peers["zhejiang"]["detail"]
        assert peers["jiangsu"]["state"] == "unavailable"  # no list of it ever in force here
        assert took < 3, took
    finally:
        stop.set()
        fake.join()
    # now 浙江 (the fake) is down: named at once
    code, _, doc = lookup(sh)
    assert {p["name"]: p["state"] for p in doc["peers"]}["zhejiang"] == "unavailable"
    # an older list (sequence below the one in force) and one under another key are refused
    older = good
    for bad, why in ((sign_list(tmp_path, "zhejiang", sequence=1), "trust_list_rollback"),
                     (sign_list(tmp_path, "zhejiang", sequence=10 ** 6, age=7200), "trust_list_expired"),
                     (sign_list(tmp_path, "shanghai", sequence=10 ** 9), "unknown_kid")):
        stop = threading.Event()
        fake = threading.Thread(target=serve_list, args=(ports["zhejiang"][1], bad, stop))
        fake.start()
        try:
            deadline = time.monotonic() + 15
            while why not in sh.stderr_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop.set()
            fake.join()
        assert why in sh.stderr_path.read_text()
    assert (tmp_path / "sh" / "state" / "peer-zhejiang.trust-list").read_bytes() == older
    code, _, text = sh.get("/metrics", fed_token("shanghai", "auditor-sh"))
    assert code == 200 and "authd_trust_lists_refused_total" in text.decode()
    refused = [line for line in text.decode().splitlines() if line.startswith("authd_trust_lists_refused_total ")]
    assert int(refused[0].split(" ")[1]) >= 3
    code, _, doc = lookup(sh)
    assert {p["name"]: p["state"] for p in doc["peers"]}["zhejiang"] == "unavailable"  # asked: the list held
    assert sh.stop() == 0


def sign_list(tmp_path, key_of, sequence, age=0):
    """A trust list of 浙江's bundle signed with `key_of`'s trust-list key, with that sequence, issued `age`
    seconds ago and valid for an hour from then."""
    now = int(time.time()) - age
    with open(os.path.join(KEYS, "trust.json")) as f:
        bundle = json.load(f)
    payload = {"trust_list": 1, "issuer": "authd.zhejiang.example", "sequence": sequence, "issued": now,
               "expires": now + 3600, "bundle": bundle,
               "matters": [{"code": "ZJ-HYDJ-001", "shared_code": "YRD-HYDJ-001", "licence_types": [HUKOU]}]}
    (tmp_path / "payload.json").write_text(json.dumps(payload, ensure_ascii=False))
    out = tmp_path / f"{key_of}-{sequence}.cose"
    r = run_certctl("trust-list", "sign", "--key", os.path.join(FED_KEYS, key_of, "trust-list.key"), "--cert",
                    os.path.join(FED_KEYS, key_of, "trust-list.crt"), "-o", str(out), str(tmp_path / "payload.json"))
    assert r.returncode == 0, r.stderr
    return out.read_bytes()


def test_config_errors(tmp_path):
    ports = {p: (free_port(), free_port()) for p in PORTS}
    sh = Province(tmp_path, "shanghai", ports)
    text = sh.config.read_text()
    for bad, message in ((text.replace("name: zhejiang", "name: Zhe Jiang"), "federation.peers.name"),
                         (text.replace("https://127.0.0.1", "http://10.0.0.1"), "plain http only on loopback"),
                         (text.replace("licence_types: [11100000000013338W002, 11100000000013338W003]",
                                       "licence_types: [W002]"), "federation.peers.licence_types"),
                         (text.replace("  trust_list:\n", "  trust_list_missing:\n", 1), "federation")):
        sh.config.write_text(bad)
        r = sh.run("init")
        assert r.returncode != 0 and message in r.stderr, r.stderr


class FakePeer:
    """A peer on plain HTTP that serves `trust_list` and, to any lookup, `answer` (bytes): what a lying or
    broken 江苏 could send."""

    def __init__(self, port, trust_list, answer):
        import http.server

        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = trust_list if self.path == "/v1/trust-list" else outer.answer
                self.send_response(200)
                self.send_header("content-type", "application/cose" if body is trust_list else outer.kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        self.answer = answer
        self.kind = "application/json"
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_what_a_peer_sends_is_checked_before_it_is_shown(provinces, tmp_path):
    """上海 alone with a fake 江苏 that serves the real 江苏's trust list and answers lookups with a real
    answer of 江苏's, altered: each licence is refused (counted, never shown) when its bytes were
    changed, it is shown under another licence's id, it is another holder's, or it is of a type 江苏 is
    not configured to hold."""
    js = provinces["jiangsu"]
    status, _, jiangsu_list = js.request("GET", "/v1/trust-list", token=None)
    assert status == 200
    # a genuine answer of 江苏's to 上海, as 上海's peer identity gets it
    r = subprocess.run(["curl", "-s", "--cacert", os.path.join(KEYS, "tls", "server.crt"),
                        "--cert", os.path.join(FED_KEYS, "shanghai", "peer-client.crt"),
                        "--key", os.path.join(FED_KEYS, "shanghai", "peer-client.key"),
                        f"https://127.0.0.1:{provinces['ports']['jiangsu'][1]}/v1/holders/{PERSON}/licences"
                        f"?matter=YRD-HYDJ-001&use_cause={CAUSE}&counter=counter-sh&verify=true"],
                       capture_output=True, check=True)
    genuine = json.loads(r.stdout)
    assert len(genuine["licences"]) == 1 and genuine["status_lists"]
    ports = {p: (free_port(), free_port()) for p in PORTS}
    (tmp_path / "sh").mkdir()
    sh = Province(tmp_path / "sh", "shanghai", ports)
    text = sh.config.read_text().replace(f"https://127.0.0.1:{ports['jiangsu'][1]}",
                                         f"http://127.0.0.1:{ports['jiangsu'][1]}")
    sh.config.write_text(text)
    fake = FakePeer(ports["jiangsu"][1], jiangsu_list, json.dumps(genuine).encode())
    try:
        sh.start()
        wait_for_peers(sh, ["jiangsu"])

        def asked(answer, holder=PERSON):
            fake.answer = json.dumps(answer).encode()
            code, _, doc = sh.get(f"/v1/holders/{holder}/licences?matter=SH-HYDJ-001&use_cause={CAUSE}",
                                  fed_token("shanghai", "counter-sh"))
            assert code == 200, doc
            return {p["name"]: p for p in doc["peers"]}["jiangsu"], [lic for lic in doc["licences"]
                                                                    if lic["source"] == "jiangsu"]
        peer, shown = asked(genuine)
        assert peer == {"name": "jiangsu", "state": "answered", "licences": 1, "refused": 0} and len(shown) == 1
        lic = genuine["licences"][0]

        def altered(**changes):
            a = json.loads(json.dumps(genuine))
            a["licences"][0].update(changes)
            return a
        flipped = lic["licence"][:-12] + ("A" if lic["licence"][-12] != "A" else "B") + lic["licence"][-11:]
        other_id = provinces["divorce"]["licence_id"][:-3] + "002" + provinces["divorce"]["licence_id"][-2:]
        for answer in (altered(licence=flipped),                       # bytes changed: not authentic
                       altered(licence_id=provinces["hukou"]["licence_id"]),  # another id (and type, issuer)
                       altered(type=HUKOU),                            # a type its id does not name
                       altered(licence_id=other_id)):                  # a malformed id
            peer, shown = asked(answer)
            assert peer["refused"] == 1 and peer["licences"] == 0 and shown == [], (answer["licences"][0], peer)
        # a receipt altered after the genuine one was verified here: its checkpoint's signature, or its
        # place in the tree, fails the logged check however often the genuine one passed
        sig_line = lic["receipt"].rstrip("\n").rsplit("\n", 1)[1]
        bad_sig = sig_line[:-6] + ("A" if sig_line[-6] != "A" else "B") + sig_line[-5:]
        for receipt in (lic["receipt"].replace(sig_line, bad_sig), lic["receipt"].replace("\nindex 0\n", "\nindex 1\n")):
            assert receipt != lic["receipt"]
            peer, shown = asked(altered(receipt=receipt))
            assert peer["licences"] == 1 and shown[0]["checks"]["logged"]["state"] == "failed", shown[0]["checks"]
            assert shown[0]["verdict"] == "invalid"
        peer, shown = asked(genuine)
        assert shown[0]["checks"]["logged"]["state"] == "passed"
        # another holder asked: 江苏's licence of 张三 is not shown for him
        other = "11010119900307651X"
        peer, shown = asked(genuine, holder=other)
        assert peer["refused"] == 1 and shown == []
        # garbage is an unavailable peer, not a crash
        fake.answer = b"{not json"
        code, _, doc = sh.get(f"/v1/holders/{PERSON}/licences?matter=SH-HYDJ-001&use_cause={CAUSE}",
                              fed_token("shanghai", "counter-sh"))
        assert code == 200 and {p["name"]: p["state"] for p in doc["peers"]}["jiangsu"] == "unavailable"
        # counted for the operator: five licences refused, the garbage answer an unavailable peer
        code, _, text = sh.get("/metrics", fed_token("shanghai", "auditor-sh"))
        assert code == 200
        counters = dict(line.split(" ") for line in text.decode().splitlines() if line and line[0] != "#")
        assert int(counters["authd_peer_licences_refused_total"]) == 5
        assert int(counters["authd_peer_unavailable_total"]) >= 1

        # the same in CBOR, as peers answer each other (authd/peer_answer.h)
        import base64

        import cbor2

        def b64(text):
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

        def in_cbor(a, **changes):
            entry = {k: lic[k] for k in ("licence_id", "type", "issuer_code", "receipt")}
            entry["licence"] = b64(lic["licence"])
            entry.update(changes)
            entry = {k: v for k, v in entry.items() if v is not None}
            return cbor2.dumps({"licences": [entry], "status_lists": {k: b64(v) for k, v in a["status_lists"].items()},
                                "mark": "—"})

        def asked_cbor(body):
            fake.answer, fake.kind = body, "application/cbor"
            code, _, doc = sh.get(f"/v1/holders/{PERSON}/licences?matter=SH-HYDJ-001&use_cause={CAUSE}",
                                  fed_token("shanghai", "counter-sh"))
            assert code == 200, doc
            return {p["name"]: p for p in doc["peers"]}["jiangsu"], [x for x in doc["licences"]
                                                                    if x["source"] == "jiangsu"]
        peer, shown = asked_cbor(in_cbor(genuine))
        assert peer["licences"] == 1 and peer["refused"] == 0 and shown[0]["verdict"] == "valid", (peer, shown)
        assert shown[0]["checks"]["status"]["state"] == "passed"  # the stapled list, read from bytes
        flipped_bytes = bytearray(b64(lic["licence"]))
        flipped_bytes[-20] ^= 1
        for body in (in_cbor(genuine, licence=bytes(flipped_bytes)),  # bytes changed: not authentic
                     in_cbor(genuine, licence=None),                  # no licence
                     in_cbor(genuine, licence=lic["licence"])):       # text where bytes belong
            peer, shown = asked_cbor(body)
            assert peer["refused"] == 1 and peer["licences"] == 0 and shown == [], peer
        for body in (b"\xa1", in_cbor(genuine) + b"\x00", json.dumps(genuine).encode()):  # not an answer
            peer, shown = asked_cbor(body)
            assert peer["state"] == "unavailable" and peer["detail"].startswith("not a peer's answer"), peer
        code, _, text = sh.get("/metrics", fed_token("shanghai", "auditor-sh"))
        counters = dict(line.split(" ") for line in text.decode().splitlines() if line and line[0] != "#")
        assert int(counters["authd_peer_licences_refused_total"]) == 8
    finally:
        fake.close()
    assert sh.stop() == 0, sh.stderr_path.read_text()


def list_sequence(server, tmp_path):
    status, _, signed = server.request("GET", "/v1/trust-list", token=None)
    assert status == 200
    (tmp_path / "seq.cose").write_bytes(signed)
    r = run_certctl("trust-list", "check", "--pin", os.path.join(FED_KEYS, "zhejiang", "trust-list.crt"),
                    str(tmp_path / "seq.cose"))
    assert r.returncode == 0, r.stdout
    return int(re.search(rb"sequence\s+(\d+)", r.stdout).group(1))


def test_zhejiang_re_signs_on_sighup_and_never_reuses_a_sequence(provinces, tmp_path):
    """SIGHUP puts the bundle and policies in force again, and the list is signed anew with the next
    sequence; a restart continues from the number state_dir kept."""
    import signal
    zj = provinces["zhejiang"]
    first = list_sequence(zj, tmp_path)
    zj.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while list_sequence(zj, tmp_path) == first and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # a second re-signing would come within the thread's one-second tick
    second = list_sequence(zj, tmp_path)
    assert second == first + 1
    assert zj.stop() == 0
    zj.start()
    assert list_sequence(zj, tmp_path) == second + 1
    with open(zj.tmp / "state" / "trust-list.sequence") as f:
        assert int(f.read()) == second + 1
    # 上海 takes the newer list in (its refresh is a minute: it still serves with the one in force)
    code, _, doc = lookup(provinces["shanghai"])
    assert code == 200 and {p["name"]: p["state"] for p in doc["peers"]}["zhejiang"] == "answered"


def test_the_desk_shows_where_each_licence_came_from(provinces, tmp_path):
    """上海's counter desk in Chromium: a federated lookup's cards say which province each licence came
    from, and the provinces asked are listed; with 江苏 gone, the desk names it as unavailable instead of
    leaving its licence silently missing."""
    import shutil
    from conftest import npm_install
    source = os.path.join(REPO_ROOT, "tests", "browser")
    work = os.path.join(os.environ.get("INTEROP_DIR", os.path.join(REPO_ROOT, "build", "interop")), "..", "browser")
    npm_install(source, work, ("package.json", "counter_federation.mjs"), "playwright-core", "FEDERATED DESK TEST")
    assert shutil.which("chromium"), "scripts/install-deps installs Debian's chromium"
    sh = provinces["shanghai"]
    token_file = os.path.join(FED_KEYS, "shanghai", "tokens", "counter-sh.token")

    def desk(shots):
        r = subprocess.run(["node", os.path.join(work, "counter_federation.mjs"), sh.url, token_file, PERSON,
                            "婚姻登记（结婚）", "结婚登记", str(shots)], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr.decode()
        return json.loads(r.stdout.decode().strip().splitlines()[-1])
    seen = desk(os.environ.get("SCREENSHOT_DIR") or tmp_path / "shots")
    assert {c["source"] for c in seen["cards"]} == {"zhejiang", "jiangsu"}, seen
    assert seen["peersShown"] and [(p["name"], p["state"]) for p in seen["peers"]] == [
        ("zhejiang", "answered"), ("jiangsu", "answered")]
    assert "已查询" in seen["peers"][1]["text"]
    # 江苏 down: named on the desk, in red, and in the message
    js = provinces["jiangsu"]
    assert js.stop() == 0
    try:
        seen = desk(tmp_path / "shots-down")
        assert {c["source"] for c in seen["cards"]} == {"zhejiang"}
        assert ("jiangsu", "unavailable") in [(p["name"], p["state"]) for p in seen["peers"]]
        assert "未能查询" in seen["message"] and "jiangsu" in seen["message"]
    finally:
        js.start()
