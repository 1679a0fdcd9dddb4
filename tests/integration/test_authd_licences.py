"""authd's licence service over HTTP: issuance into the store, fetching, status changes and status
lists, the 一证通办 lookup, verification, metrics, and every refusal, against a real authd."""
import base64
import json
import subprocess
import urllib.parse

import pytest

from conftest import (AUTHD, BACKEND, CERTCTL, KEYS, REPO_ROOT, Authd, assert_problem, database_for, pg_server,
                      run_certctl, token)

BIZ = "11100000000013338W001"        # 营业执照, issued by issuer-scjg (SM2)
MARRIAGE = "11100000000013338W002"   # 结婚证, issuer-mz (Ed25519)
HUKOU = "11100000000013338W004"      # 居民户口簿, issuer-ga (P-256)
COMPANY = "91330106MA2H12349J"
PERSON = "11010519491231002X"

BIZ_ELEMENTS = {"entity_type": "有限责任公司", "legal_representative": "王五", "registered_capital": 100,
                "established": "2020-05-01", "address": "杭州市西湖区文三路1号", "business_scope": "软件开发"}
HUKOU_ELEMENTS = {"household_number": "330106001234", "household_head": "张三", "relationship": "户主",
                  "address": "杭州市西湖区文三路1号"}
MARRIAGE_ELEMENTS = {"spouse_name": "李四", "spouse_id": "11010119900307651x", "registration_date": "2024-05-20",
                     "registration_authority": "杭州市西湖区民政局"}


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issue(server, client, type_code, holder_id, name, elements, **extra):
    doc = {"type": type_code, "holder": {"id": holder_id, "name": name}, "elements": elements, **extra}
    return server.json("POST", "/v1/licences", doc, token=client)


def crash_during_issuance(server, streams, enough, watch=None):
    """Streams 结婚证 issuances from `streams` threads (and runs `watch(stop)` alongside, when given) until
    enough(number acknowledged) holds, kills authd with SIGKILL, and starts it again on the same data.
    Returns the documents of every issuance that got a 201."""
    import signal
    import threading
    import time
    acknowledged, lock, stop = [], threading.Lock(), threading.Event()

    def stream():
        while not stop.is_set():
            try:
                status, _, doc = issue(server, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS)
            except Exception:  # the server died under us
                return
            if status == 201:
                with lock:
                    acknowledged.append(doc)
    threads = [threading.Thread(target=stream) for _ in range(streams)]
    if watch:
        threads.append(threading.Thread(target=watch, args=(stop,)))
    for t in threads:
        t.start()
    while not enough(len(acknowledged)):
        time.sleep(0.01)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    server.stderr.close()
    server.start()
    return acknowledged


def issue_ok(server, client="issuer-scjg", type_code=BIZ, holder_id=COMPANY, name="杭州某某科技有限公司",
             elements=BIZ_ELEMENTS, **extra):
    status, _, doc = issue(server, client, type_code, holder_id, name, elements, **extra)
    assert status == 201, doc
    return doc


def certctl_verify(tmp_path, server, licence_bytes, status_lists=()):
    path = tmp_path / "check.cbor"
    path.write_bytes(licence_bytes)
    args = ["verify", "--trust", f"{KEYS}/trust.json", "--json"]
    for i, lst in enumerate(status_lists):
        p = tmp_path / f"list{i}.cwt"
        code, headers, body = server.request("GET", f"/v1/status/{lst}", token=None)
        assert code == 200 and headers["content-type"] == "application/statuslist+cwt"
        p.write_bytes(body)
        args += ["--status", str(p)]
    r = run_certctl(*args, str(path))
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Authd(tmp_path_factory.mktemp("licences")).start()
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


def test_issue_in_every_algorithm_and_verify(server, tmp_path):
    cases = [("issuer-scjg", BIZ, COMPANY, BIZ_ELEMENTS, "SM2-SM3"),
             ("issuer-mz", MARRIAGE, PERSON, MARRIAGE_ELEMENTS, "EdDSA"),
             ("issuer-ga", HUKOU, PERSON, HUKOU_ELEMENTS, "ES256")]
    for client, type_code, holder, elements, alg in cases:
        doc = issue_ok(server, client, type_code, holder, "张三" if holder == PERSON else "杭州某某科技有限公司", elements)
        assert doc["licence_id"].startswith(f"1.2.156.3005.2.{type_code}.")
        assert doc["qr"].startswith("EL1:")
        result = certctl_verify(tmp_path, server, b64d(doc["licence"]), [doc["status"]["list"]])
        assert result["verdict"] == "valid", result
        assert result["algorithm"] == alg and result["status"] == "valid"
        # The QR text is the same licence.
        code, _, v = server.json("POST", "/v1/verify", {"qr": doc["qr"]}, token="counter-hz")
        assert code == 200 and v["verdict"] == "valid" and v["licence_id"] == doc["licence_id"]


def test_issue_refusals(server):
    def expect(status, code, body=None, client="issuer-scjg", raw=None, content_type="application/json"):
        st, h, doc = server.json("POST", "/v1/licences", body, raw=raw, content_type=content_type, token=client)
        assert_problem(st, h, doc, status, code)

    good = {"type": BIZ, "holder": {"id": COMPANY, "name": "某公司"}, "elements": BIZ_ELEMENTS}
    expect(400, "malformed_json", raw=b"{")
    expect(400, "invalid_utf8", raw=b'{"type": "\xff"}')
    expect(400, "duplicate_field", raw=b'{"type": "a", "type": "b"}')
    expect(400, "unknown_field", {**good, "colour": "red"})
    expect(415, "unsupported_media_type", raw=b"{}", content_type="text/plain")
    expect(422, "unknown_licence_type", {**good, "type": "11100000000013338W099"})
    expect(422, "unknown_licence_type", {**good, "type": 7})
    expect(403, "forbidden_licence_type", good, client="issuer-mz")
    expect(422, "invalid_holder_id", {**good, "holder": {"id": "91330106MA2H12349K", "name": "x"}})
    expect(422, "invalid_holder_id", {**good, "holder": {"id": PERSON, "name": "x"}})  # a person for an org type
    expect(422, "invalid_holder", {**good, "holder": {"id": COMPANY}})
    expect(422, "invalid_holder_name", {**good, "holder": {"id": COMPANY, "name": ""}})
    missing = dict(BIZ_ELEMENTS)
    del missing["address"]
    expect(422, "missing_element", {**good, "elements": missing})
    expect(422, "unknown_element", {**good, "elements": {**BIZ_ELEMENTS, "colour": "red"}})
    # the detail never echoes what the client sent (it could be anything, an identity number too)
    st, h, doc = server.json("POST", "/v1/licences", {**good, "elements": {**BIZ_ELEMENTS, "x330106198511117777": 1}},
                             token="issuer-scjg")
    assert_problem(st, h, doc, 422, "unknown_element")
    assert "330106198511117777" not in doc["detail"]
    # identifier elements are checked as the holder's number is, and kept in canonical form
    marriage = {"type": MARRIAGE, "holder": {"id": PERSON, "name": "张三"}}
    for bad in ("110101199003076519", "not a number", 110101199003076528, "91330106MA2H12349J"):
        expect(422, "invalid_element", {**marriage, "elements": {**MARRIAGE_ELEMENTS, "spouse_id": bad}},
               client="issuer-mz")
    expect(422, "invalid_element", {**good, "elements": {**BIZ_ELEMENTS, "registered_capital": "100"}})
    expect(422, "invalid_element", {**good, "elements": {**BIZ_ELEMENTS, "established": "2023-02-30"}})
    expect(422, "invalid_date", {**good, "valid_until": "tomorrow"})
    expect(422, "invalid_validity", {**good, "valid_from": "2030-01-01", "valid_until": "2029-01-01"})
    expect(422, "invalid_device_key", {**good, "device_key": "not a key"})
    expect(413, "body_too_large", raw=b'{"type": "' + b"x" * (1024 * 1024) + b'"}')


def test_fetch_by_role(server):
    doc = issue_ok(server)
    lid = urllib.parse.quote(doc["licence_id"], safe="")
    code, _, full = server.json("GET", f"/v1/licences/{lid}", token="issuer-scjg")
    assert code == 200 and len(full["elements"]) == 12 + 6 and full["masked"] == {}
    code, _, audit = server.json("GET", f"/v1/licences/{lid}", token="auditor")
    assert code == 200 and len(audit["elements"]) == 18
    # Another issuer does not learn the licence exists.
    st, h, p = server.json("GET", f"/v1/licences/{lid}", token="issuer-mz")
    assert_problem(st, h, p, 404, "licence_not_found")
    # A counter sees only what the matter needs, holder_id masked.
    code, _, view = server.json("GET", f"/v1/licences/{lid}?matter=ZJ-QYBG-001", token="counter-hz")
    assert code == 200
    names = {e["name"] for e in view["elements"]}
    assert names == {"licence_id", "holder_name", "entity_type", "legal_representative", "address", "valid_until"}
    assert view["masked"]["holder_id"] == "913301********349J"
    st, h, p = server.json("GET", f"/v1/licences/{lid}", token="counter-hz")
    assert_problem(st, h, p, 400, "missing_matter")
    st, h, p = server.json("GET", f"/v1/licences/{lid}?matter=ZJ-HYDJ-001", token="counter-hz")
    assert_problem(st, h, p, 403, "type_not_in_matter")
    st, h, p = server.json("GET", f"/v1/licences/{lid}?matter=ZJ-QYBG-001", token="counter-hz-full")
    assert_problem(st, h, p, 403, "forbidden_matter")
    for bad in ("nope", "..%2F..%2Fetc%2Fpasswd", "%00", "x" * 300, "%zz"):
        st, h, p = server.json("GET", f"/v1/licences/{bad}", token="auditor")
        assert st in (400, 404) and p["code"] in ("licence_not_found", "bad_path_encoding")


def test_status_changes_and_lists(server, tmp_path):
    doc = issue_ok(server)
    lid = urllib.parse.quote(doc["licence_id"], safe="")
    lic = b64d(doc["licence"])
    lst = doc["status"]["list"]
    code, headers, _ = server.request("GET", f"/v1/status/{lst}", token=None)
    assert code == 200 and headers["cache-control"] == "public, max-age=60"
    for status, expect in (("suspended", "suspended"), ("valid", "valid"), ("revoked", "revoked")):
        code, _, r = server.json("POST", f"/v1/licences/{lid}/status", {"status": status, "reason": "测试"},
                                 token="issuer-scjg")
        assert code == 200 and r["status"] == status, r
        result = certctl_verify(tmp_path, server, lic, [lst])
        assert result["status"] == expect
        code, _, v = server.json("POST", "/v1/verify", {"licence": doc["licence"]}, token="counter-hz")
        assert v["status"] == expect and v["verdict"] == ("valid" if expect == "valid" else "invalid")
    st, h, p = server.json("POST", f"/v1/licences/{lid}/status", {"status": "valid", "reason": "误撤销"},
                           token="issuer-scjg")
    assert_problem(st, h, p, 409, "already_revoked")
    st, h, p = server.json("POST", f"/v1/licences/{lid}/status", {"status": "revoked", "reason": "x"},
                           token="issuer-mz")
    assert_problem(st, h, p, 404, "licence_not_found")
    st, h, p = server.json("POST", f"/v1/licences/{lid}/status", {"status": "gone", "reason": "x"},
                           token="issuer-scjg")
    assert_problem(st, h, p, 422, "invalid_status")
    st, h, p = server.json("POST", f"/v1/licences/{lid}/status", {"status": "revoked"}, token="issuer-scjg")
    assert_problem(st, h, p, 422, "invalid_reason")
    st, h, p = server.json("GET", "/v1/status/nonexistent", token=None)
    assert_problem(st, h, p, 404, "status_list_not_found")


def test_lookup(server):
    person = "33010619900101123X"  # a fresh holder: this test owns everything it finds
    hukou = issue_ok(server, "issuer-ga", HUKOU, person, "赵六", HUKOU_ELEMENTS)
    marriage = issue_ok(server, "issuer-mz", MARRIAGE, person, "赵六", MARRIAGE_ELEMENTS)
    path = f"/v1/holders/{person}/licences?matter=ZJ-BDCZY-001&use_cause=" + urllib.parse.quote("不动产转移登记")
    code, _, doc = server.json("GET", path, token="counter-hz")
    assert code == 200, doc
    assert doc["holder_id"] == "330106********123X" and doc["matter"]["name"] == "不动产转移登记"
    assert doc["use_cause"] == "不动产转移登记"
    assert {l["licence_id"] for l in doc["licences"]} == {hukou["licence_id"], marriage["licence_id"]}
    assert [m["type_name"] for m in doc["missing"]] == ["不动产权证书"]
    by_type = {l["type"]: l for l in doc["licences"]}
    m = by_type[MARRIAGE]
    assert {e["name"] for e in m["elements"]} == {"licence_id", "holder_name", "spouse_name"}
    assert m["masked"]["spouse_id"] == "110101********651X"  # kept in canonical form
    # Each returned licence is still verifiable on its own.
    code, _, v = server.json("POST", "/v1/verify", {"licence": m["licence"]}, token="counter-hz")
    assert v["verdict"] == "valid"
    # A counter allowed to see identity numbers gets them in clear, inside the signed licence.
    code, _, full = server.json("GET", path, token="counter-hz-full")
    assert code == 200 and full["holder_id"] == person
    fm = {l["type"]: l for l in full["licences"]}[MARRIAGE]
    assert {e["name"] for e in fm["elements"]} == {"licence_id", "holder_name", "spouse_name", "spouse_id"}
    # A lower-case x is the same holder; a company's USCC works the same way.
    code, _, lower = server.json("GET", path.replace(person, person.lower()), token="counter-hz")
    assert code == 200 and {l["licence_id"] for l in lower["licences"]} == {l["licence_id"] for l in doc["licences"]}
    code, _, biz = server.json("GET", f"/v1/holders/{COMPANY}/licences?matter=ZJ-QYBG-001&use_cause=x",
                               token="counter-hz")
    assert code == 200 and biz["licences"] and biz["holder_kind"] == "uscc"
    # Revoked licences drop out.
    lid = urllib.parse.quote(marriage["licence_id"], safe="")
    server.json("POST", f"/v1/licences/{lid}/status", {"status": "revoked", "reason": "x"}, token="issuer-mz")
    code, _, after = server.json("GET", path, token="counter-hz")
    assert [l["type"] for l in after["licences"]] == [HUKOU]
    assert {m["type"] for m in after["missing"]} == {"11100000000013338W006", MARRIAGE}

    def expect(url, status, code, client="counter-hz"):
        st, h, p = server.json("GET", url, token=client)
        assert_problem(st, h, p, status, code)
    expect(f"/v1/holders/{person}/licences?matter=ZJ-BDCZY-001", 400, "missing_use_cause")
    expect(f"/v1/holders/{person}/licences?use_cause=x", 400, "missing_matter")
    expect(f"/v1/holders/{person}/licences?matter=NOPE&use_cause=x", 404, "unknown_matter")
    expect(f"/v1/holders/{person}/licences?matter=ZJ-QYBG-001&use_cause=x", 403, "forbidden_matter", "counter-hz-full")
    expect("/v1/holders/330106199001011237/licences?matter=ZJ-BDCZY-001&use_cause=x", 422, "invalid_holder_id")
    expect(f"/v1/holders/{person}/licences?matter=ZJ-BDCZY-001&use_cause=%FF", 400, "missing_use_cause")


def test_matters_of_the_signed_in_counter(server):
    """The counter desk's pick list: the matters this counter serves, what each needs, in Chinese."""
    status, _, doc = server.json("GET", "/v1/matters", token="counter-hz")
    assert status == 200 and doc["counter"] == "counter-hz"
    assert [m["code"] for m in doc["matters"]] == ["ZJ-HYDJ-001", "ZJ-CSDJ-001", "ZJ-QYBG-001", "ZJ-BDCZY-001",
                                                  "ZJ-SBKSL-001", "ZJ-SPJY-001"]
    change = next(m for m in doc["matters"] if m["code"] == "ZJ-QYBG-001")
    assert change["name"] and change["needs"][0]["type"] == BIZ and change["needs"][0]["type_name"] == "营业执照"
    for need in (n for m in doc["matters"] for n in m["needs"]):
        assert need["elements"] and all(e["label"] for e in need["elements"]), need
    assert server.json("GET", "/v1/matters", token="issuer-scjg")[0] == 403
    assert server.json("GET", "/v1/matters", token=None)[0] == 401


def test_verify_inputs(server):
    doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    lic = b64d(doc["licence"])
    code, _, v = server.json("POST", "/v1/verify", raw=lic, content_type="application/cbor", token="counter-hz")
    assert code == 200 and v["verdict"] == "valid" and v["checks"]["status"]["state"] == "passed"
    # every element carries its Chinese label: the metadata's from certlib, the type's from the policies
    labels = {e["identifier"]: e["label"] for e in v["elements"]}
    assert labels["holder_name"] and labels["household_head"] == "户主姓名" and labels["relationship"] == "与户主关系"
    assert all(labels.values()), labels
    code, _, v = server.json("POST", "/v1/verify", {"licence": doc["licence"], "expect_holder_id": "11010519491231002x"},
                             token="counter-hz")
    assert v["verdict"] == "valid" and v["checks"]["expected_holder"] == {"state": "passed", "reason": None}
    code, _, v = server.json("POST", "/v1/verify", {"licence": doc["licence"], "expect_holder_id": COMPANY},
                             token="counter-hz")
    assert v["verdict"] == "invalid" and v["reason"] == "holder_mismatch"
    assert v["checks"]["expected_holder"] == {"state": "failed", "reason": "holder_mismatch"}
    # A disclosure that withholds holder_id, with another person's number: it cannot show it is theirs
    # (it used to pass as valid with holder_match null).
    small = subprocess.run([CERTCTL, "disclose", "--keep", "holder_name", "-", "-"], input=lic,
                           capture_output=True, timeout=30)
    assert small.returncode == 0, small.stderr
    code, _, v = server.json("POST", "/v1/verify", {"licence": b64u(small.stdout), "expect_holder_id": COMPANY},
                             token="counter-hz")
    assert v["verdict"] == "invalid" and v["reason"] == "holder_not_disclosed" and v["holder_id"] is None
    st, h, p = server.json("POST", "/v1/verify", {"licence": doc["licence"], "expect_holder_id": 7}, token="counter-hz")
    assert_problem(st, h, p, 422, "invalid_request")
    tampered = bytearray(lic)
    at = tampered.find("张三".encode())
    tampered[at + 1] ^= 1
    code, _, v = server.json("POST", "/v1/verify", raw=bytes(tampered), content_type="application/cbor",
                             token="counter-hz")
    assert v["verdict"] == "invalid" and v["reason"] == "digest_mismatch"
    code, _, v = server.json("POST", "/v1/verify", raw=lic[:-5], content_type="application/cbor", token="counter-hz")
    assert v["verdict"] == "invalid" and v["reason"] == "cbor_truncated"
    for bad, code_ in (({"licence": doc["licence"], "qr": doc["qr"]}, "invalid_request"), ({}, "invalid_request"),
                       ({"licence": "!!!"}, "invalid_base64url"), ({"licence": "AAAA\u0095\u008f"}, "invalid_base64url"),
                       ({"licence": doc["licence"] + "="}, "invalid_base64url"), ({"qr": "EL1:!!"}, "invalid_qr"),
                       ({"qr": "nope"}, "invalid_qr")):
        st, h, p = server.json("POST", "/v1/verify", bad, token="counter-hz")
        assert_problem(st, h, p, 422, code_)


# Every protected route: 401 without credentials, 403 for a client whose role may not use it.
PROTECTED = [
    ("POST", "/v1/licences", "counter-hz"),
    ("GET", "/v1/licences/x", "admin"),
    ("POST", "/v1/licences/x/status", "counter-hz"),
    ("GET", f"/v1/holders/{PERSON}/licences?matter=ZJ-HYDJ-001&use_cause=x", "issuer-scjg"),
    ("POST", "/v1/verify", "issuer-scjg"),
    ("GET", "/v1/matters", "auditor"),
    ("GET", "/v1/marks/ELM1:0:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU/qr", "issuer-scjg"),
    ("GET", "/metrics", "counter-hz"),
    ("GET", f"/v1/ident/{PERSON}", None),
    ("POST", "/v1/ident/check", None),
]


@pytest.mark.parametrize("method,path,wrong_role", PROTECTED)
def test_auth_matrix(server, method, path, wrong_role):
    body = b"{}" if method == "POST" else None
    headers = {"content-type": "application/json"} if body else {}
    st, h, raw = server.request(method, path, body, headers, token=None)
    doc = json.loads(raw)
    assert_problem(st, h, doc, 401, "unauthenticated")
    assert h["www-authenticate"].startswith("Bearer")
    st, h, raw = server.request(method, path, body, {**headers, "authorization": "Bearer wrong"}, token=None)
    assert_problem(st, h, json.loads(raw), 401, "invalid_credentials")
    if wrong_role:
        st, h, raw = server.request(method, path, body, headers, token=wrong_role)
        assert_problem(st, h, json.loads(raw), 403, "forbidden_role")


def test_public_routes_and_metrics(server):
    code, headers, body = server.request("GET", "/v1/trust", token=None)
    with open(f"{KEYS}/trust.json", "rb") as f:
        assert code == 200 and body == f.read() and headers["cache-control"] == "public, max-age=300"
    code, _, body = server.request("GET", "/healthz", token=None)
    assert code == 200
    issue_ok(server)
    code, _, _ = server.json("GET", f"/v1/holders/{COMPANY}/licences?matter=ZJ-QYBG-001&use_cause=x",
                             token="counter-hz")
    assert code == 200
    code, headers, body = server.request("GET", "/metrics", token="auditor")
    text = body.decode()
    assert code == 200 and headers["content-type"].startswith("text/plain")
    issued = [l for l in text.splitlines() if l.startswith("authd_licences_issued_total ")]
    assert issued and int(issued[0].split()[1]) >= 1
    assert 'authd_requests_total{route="/v1/licences",code="201"}' in text
    assert "authd_writer_batch_size_bucket" in text and "authd_request_duration_seconds_bucket" in text
    # the stages a request waits in: the lookup's holder read, and both writes' waits and commits
    series = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and not l.startswith("#"))
    assert int(series["authd_holder_read_seconds_count"]) >= 1
    assert int(series["authd_write_wait_seconds_count"]) >= 2
    assert int(series["authd_store_commit_seconds_count"]) >= 1
    assert 'authd_store_commit_seconds_bucket{le="0.0001"}' in series
    assert float(series["authd_write_wait_seconds_sum"]) > 0
    for secret in [token(c) for c in ("admin", "auditor", "issuer-scjg")]:
        assert secret not in text


def test_mutual_tls(tmp_path):
    server = Authd(tmp_path, tls=True, client_ca=True, as_client=None).start()
    try:
        path = f"{server.url}/v1/holders/{COMPANY}/licences?matter=ZJ-QYBG-001&use_cause=x"
        cert = ["--cert", f"{KEYS}/tls/clients/counter-hz.crt", "--key", f"{KEYS}/tls/clients/counter-hz.key"]
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", *cert, path], capture_output=True)
        assert r.stdout == b"200"
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", path], capture_output=True)
        assert r.stdout == b"401"
        # The auditor's certificate authenticates, but an auditor does no lookups.
        cert = ["--cert", f"{KEYS}/tls/clients/auditor.crt", "--key", f"{KEYS}/tls/clients/auditor.key"]
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", *cert, path], capture_output=True)
        assert r.stdout == b"403"
        # A certificate from another CA does not get through the handshake.
        r = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--cert",
                            f"{KEYS}/tls/server.crt", "--key", f"{KEYS}/tls/server.key", path], capture_output=True)
        assert r.stdout in (b"000", b"401")
    finally:
        assert server.stop() == 0


def test_restart_keeps_everything(tmp_path):
    server = Authd(tmp_path).start()
    issued = [issue_ok(server) for _ in range(5)]
    issued.append(issue_ok(server, "issuer-mz", MARRIAGE, PERSON, "张三", MARRIAGE_ELEMENTS))
    revoked = urllib.parse.quote(issued[0]["licence_id"], safe="")
    server.json("POST", f"/v1/licences/{revoked}/status", {"status": "revoked", "reason": "x"}, token="issuer-scjg")
    assert server.stop() == 0
    server.start()
    try:
        for doc in issued:
            lid = urllib.parse.quote(doc["licence_id"], safe="")
            code, _, got = server.json("GET", f"/v1/licences/{lid}", token="auditor")
            assert code == 200 and got["licence"] == doc["licence"]
            code, _, v = server.json("POST", "/v1/verify", {"licence": doc["licence"]}, token="counter-hz")
            expect = "revoked" if doc is issued[0] else "valid"
            assert v["status"] == expect, v
        # The status lists were rebuilt from the store: the revocation survived, and new indices do not
        # collide with old ones.
        again = issue_ok(server)
        assert (again["status"]["list"], again["status"]["idx"]) not in {
            (d["status"]["list"], d["status"]["idx"]) for d in issued}
    finally:
        assert server.stop() == 0


def _derived_key(context, subkey_id):
    """libsodium's crypto_kdf_derive_from_key over keys-example/data.key (BLAKE2b, salt = the id)."""
    import hashlib
    import struct
    master = bytes.fromhex(open(f"{KEYS}/data.key").read().strip())
    return hashlib.blake2b(b"", digest_size=32, key=master, salt=struct.pack("<Q", subkey_id) + b"\0" * 8,
                           person=context.encode() + b"\0" * 8).digest()


def _unrevoke_header(header, lid, with_key, was=1, now=0):
    """The sealed record's header (authd/record.h) with its status byte moved from `was` (revoked) to
    `now` (valid), and with `with_key` its MAC recomputed."""
    import hashlib
    assert header[0] == 3 and header[1] == was  # schema 3
    header[1] = now
    if with_key:
        header[57:73] = hashlib.blake2b(bytes([len(lid)]) + lid + bytes(header[:57]), digest_size=16,
                                        key=_derived_key("authdmac", 3)).digest()


def _unrevoke_on_disk(data_dir, doc, with_key, was=1, now=0):
    """Flips a revoked licence's status byte back to valid at rest (or another status to another), as
    an attacker with the database would; `with_key` also recomputes the header MAC, as one who stole
    the data key would."""
    import struct
    lid = doc["licence_id"].encode()
    if BACKEND == "postgresql":  # the record column of the licence's row
        db, quoted = database_for(data_dir), doc["licence_id"].replace("'", "''")
        record = bytearray.fromhex(pg_server().psql(
            f"SELECT encode(record, 'hex') FROM authd_licences WHERE id = '{quoted}'", db))
        _unrevoke_header(record, lid, with_key, was, now)
        pg_server().psql(f"UPDATE authd_licences SET record = '\\x{record.hex()}' WHERE id = '{quoted}'", db)
        return
    path = data_dir / "data.mdb"
    data = bytearray(path.read_bytes())
    # The LMDB value: the signature-log index, then the sealed record (authd/record.h), whose header
    # ends with the type code (NUL-padded to 21 bytes) and the issuer code.
    tail = doc["type"].encode().ljust(21, b"\0") + doc["issuer"].encode()
    patched, at = 0, data.find(tail)
    while at >= 0:
        h = at - 18
        in_value = data[h - 8:h] == struct.pack(">Q", doc["log"]["index"])
        if in_value and data[h] == 3 and data[h + 1] == was:
            header = bytearray(data[h:h + 73])
            _unrevoke_header(header, lid, with_key, was, now)
            data[h:h + 73] = header
            patched += 1
        at = data.find(tail, at + 1)
    assert patched >= 1
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("with_key", [False, True])
def test_status_tampering_at_rest_is_refused(tmp_path, with_key):
    """Patching one byte of the stored record used to un-revoke a licence (after a restart it verified valid).
    The header MAC catches the patch; a patch with the data key at hand is caught by the start-up check
    against the signature log. Either way authd refuses to start and says why."""
    server = Authd(tmp_path).start()
    doc = issue_ok(server)
    doc["type"], doc["issuer"] = BIZ, "11330100002498113P"
    lid = urllib.parse.quote(doc["licence_id"], safe="")
    code, _, _ = server.json("POST", f"/v1/licences/{lid}/status", {"status": "revoked", "reason": "x"},
                             token="issuer-scjg")
    assert code == 200
    assert server.stop() == 0
    _unrevoke_on_disk(tmp_path / "data", doc, with_key)
    with pytest.raises(RuntimeError) as refused:
        server.start()
    message = server.stderr_path.read_text()
    if with_key:
        assert "the store says valid but the signature log says revoked" in message, message
    else:
        assert "fails its authentication" in message, message


def test_a_status_the_log_never_recorded_is_refused(tmp_path):
    """A licence revoked at rest (MAC recomputed) while the signature log records no status change at
    all: authd refuses to start, and says why, on every backend."""
    server = Authd(tmp_path).start()
    doc = issue_ok(server)
    doc["type"], doc["issuer"] = BIZ, "11330100002498113P"
    assert server.stop() == 0
    _unrevoke_on_disk(tmp_path / "data", doc, True, was=0, now=1)
    with pytest.raises(RuntimeError):
        server.start()
    message = server.stderr_path.read_text()
    assert "the store says revoked but the signature log says valid" in message, message


def test_commit_delay(tmp_path):
    """writer.commit_delay_us and commit_fill reach the writer: an idle server commits at once, and with
    fewer requests in flight than commit_fill (here 20 against 1,000) a burst is not held for writes that
    cannot come (writer_test.c: the wait itself, with enough in flight)."""
    import concurrent.futures
    import statistics
    import time

    def batches():
        _, _, text = server.request("GET", "/metrics", token="admin")
        lines = dict(line.rsplit(" ", 1) for line in text.decode().splitlines() if line.startswith("authd_writer"))
        return int(lines["authd_writer_batch_size_count"]), int(lines["authd_writer_batch_size_sum"])

    def timed_issue(_):
        started = time.monotonic()
        doc = issue_ok(server)
        return doc, time.monotonic() - started

    server = Authd(tmp_path, extra_config="writer:\n  commit_delay_us: 1000000\n  commit_fill: 1000\n").start()
    try:
        time.sleep(0.1)  # idle
        started = time.monotonic()
        issue_ok(server)
        assert time.monotonic() - started < 0.5  # no lingering when idle
        _, total = batches()
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(timed_issue, range(20)))
        assert len({doc["licence_id"] for doc, _ in answers}) == 20
        _, total2 = batches()
        assert total2 - total == 20
        # Held, each batch would wait out the second for the fill: most answers would take most of it.
        latency = statistics.median(took for _, took in answers)
        assert latency < 0.5, latency
    finally:
        assert server.stop() == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(server.config.read_text().replace("commit_delay_us: 1000000", "commit_delay_us: 1000001"))
    r = subprocess.run([AUTHD, "--config", str(bad)], capture_output=True, timeout=30)
    assert r.returncode == 2 and b"writer.commit_delay_us: 1000001 is out of range [0, 1000000]" in r.stderr


def test_kill_during_issuance_loses_nothing_acknowledged(tmp_path):
    """kill -9 while issuances stream in: every licence that got a 201 is there after a restart and verifies."""
    server = Authd(tmp_path).start()
    acknowledged = crash_during_issuance(server, 8, lambda n: n >= 100)
    try:
        assert len(acknowledged) >= 100
        for doc in acknowledged:
            lid = urllib.parse.quote(doc["licence_id"], safe="")
            code, _, got = server.json("GET", f"/v1/licences/{lid}", token="auditor")
            assert code == 200, doc["licence_id"]
            assert got["licence"] == doc["licence"]
        code, _, v = server.json("POST", "/v1/verify", {"licence": acknowledged[-1]["licence"]}, token="counter-hz")
        assert v["verdict"] == "valid"
        code, _, look = server.json("GET", f"/v1/holders/{PERSON}/licences?matter=ZJ-CSDJ-001&use_cause=x",
                                    token="counter-hz")
        assert code == 200 and len(look["licences"]) >= len(acknowledged)
    finally:
        assert server.stop() == 0


def test_policy_errors_name_file_line_and_key(tmp_path):
    import shutil
    policies = tmp_path / "policies"
    shutil.copytree(f"{REPO_ROOT}/policies", policies)
    cases = [
        ("matters.yaml", "type: 11100000000013338W006", "type: 11100000000013338W099",
         "matters.yaml:", "no licence type 11100000000013338W099"),
        ("licence-types.yaml", "holder: org", "holder: company", "licence-types.yaml:", "holder: expected person or org"),
        ("clients.yaml", "role: auditor", "role: inspector", "clients.yaml:", "role: expected"),
        ("clients.yaml", "unmasked: false", "unmasked: false\n    colour: red", "clients.yaml:", "unknown key 'colour'"),
        ("clients.yaml", "id: auditor", "id: the auditor", "clients.yaml:", "clients: id: 1 to 64 of"),
        ("licence-types.yaml", "code: 11100000000013338W009", "code: 11100000000013338X009", "licence-types.yaml:",
         "not a GB/T 36904 type code"),
        # a pick list must not put a citizen's number in every lookup made with it
        ("matters.yaml", "use_causes: [结婚登记,", "use_causes: [为11010519491231002X结婚登记,", "matters.yaml:",
         "no identity numbers"),
    ]
    for name, old, new, where, what in cases:
        original = (policies / name).read_text()
        assert old in original
        (policies / name).write_text(original.replace(old, new, 1))
        (tmp_path / name.replace(".", "_")).mkdir(exist_ok=True)
        server = Authd(tmp_path / name.replace(".", "_"))
        server.config.write_text(server.config.read_text().replace(f"{REPO_ROOT}/policies", str(policies)))
        r = subprocess.run([__import__("conftest").AUTHD, "--config", str(server.config)], capture_output=True,
                           timeout=30)
        err = r.stderr.decode()
        assert r.returncode == 2 and where in err and what in err, err
        line = err.split(where, 1)[1].split(":", 1)[0]
        assert line.isdigit() and int(line) > 0
        (policies / name).write_text(original)


def test_openapi_documents_every_route():
    import yaml
    with open(f"{REPO_ROOT}/docs/openapi.yaml") as f:
        paths = yaml.safe_load(f)["paths"]
    import re
    with open(f"{REPO_ROOT}/authd/router.c") as f:  # the route table itself
        table = re.findall(r'\{"(GET|POST)", "([^"]+)", authd_route_\w+, [^}]+\}', f.read())
    assert len(table) >= 17
    for method, pattern in table:
        path = pattern.replace("{*", "{")  # a rest-of-path parameter is one parameter to OpenAPI
        assert path in paths and method.lower() in paths[path], (method, pattern)
    assert len(paths) == len({p for _, p in table})
