"""certctl issue, verify, inspect, disclose and status-list: the e-licence life cycle from a shell,
against the committed demo PKI."""
import json
import os

import pytest

from conftest import REPO_ROOT, run_certctl

KEYS = os.path.join(REPO_ROOT, "keys-example")
TRUST = os.path.join(KEYS, "trust.json")
TYPE = "11100000000013338W001"
URI = "https://127.0.0.1:8443/v1/status/9"  # the demo status signers sign only loopback URIs
# keys-example/generate.sh scopes each department's signer to its own licence types
TYPE_OF = {"scjg": TYPE, "mz": "11100000000013338W002", "ga": "11100000000013338W004"}


def issue(tmp_path, alg="ed25519", dept="scjg", name="lic.cbor", *extra, type_code=None):
    out = tmp_path / name
    type_code = type_code or TYPE_OF[dept]
    r = run_certctl("issue", "--offline", "--key", f"{KEYS}/pki/{alg}/{dept}.key", "--cert", f"{KEYS}/pki/{alg}/{dept}.crt",
                    "--type", type_code, "--name", "营业执照", "--holder-id", "91330106MA2H12349J",
                    "--holder-name", "杭州某某科技有限公司", "--element", "registered_capital:int=1000000",
                    "--element", "business_scope=软件开发", "--element", "established:date=2020-05-01",
                    "--out", str(out), *extra)
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().startswith("1.2.156.3005.2." + type_code + ".")
    return out


def verify(path, *extra):
    r = run_certctl("verify", "--trust", TRUST, "--json", *extra, str(path))
    return r.returncode, json.loads(r.stdout) if r.stdout else None


def status_list(tmp_path, name, *sets, alg="sm2", extra=()):
    out = tmp_path / name
    args = ["status-list", "--key", f"{KEYS}/pki/{alg}/status.key", "--cert", f"{KEYS}/pki/{alg}/status.crt",
            "--size", "128", "--uri", URI, "--out", str(out), *extra]
    for s in sets:
        args += ["--set", s]
    r = run_certctl(*args)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("alg,name", [("ed25519", "EdDSA"), ("p256", "ES256"), ("sm2", "SM2-SM3")])
def test_issue_and_verify(tmp_path, alg, name):
    lic = issue(tmp_path, alg)
    code, result = verify(lic)
    assert code == 0
    assert result["verdict"] == "valid" and result["reason"] is None and result["algorithm"] == name
    skipped = ("status", "logged", "holder", "expected_holder")
    assert all(c["state"] == "passed" for k, c in result["checks"].items() if k not in skipped)
    assert result["checks"]["logged"]["state"] == "not_applicable"  # no receipt given
    assert result["checks"]["holder"]["state"] == "not_applicable"  # bound to no device
    assert result["checks"]["expected_holder"]["state"] == "not_applicable"  # none expected
    assert result["checks"]["status"]["state"] == "not_applicable"
    assert result["signer"] == "杭州市市场监督管理局" and result["holder_id"] == "91330106MA2H12349J"
    values = {e["identifier"]: e for e in result["elements"]}
    assert values["registered_capital"]["value"] == 1000000 and values["established"]["type"] == "date"
    assert values["licence_id"]["label"] == "电子证照标识"
    plain = run_certctl("verify", "--trust", TRUST, str(lic))
    assert plain.returncode == 0 and b"verdict: valid" in plain.stdout


def test_inspect_shows_labels_without_trusting(tmp_path):
    lic = issue(tmp_path, "p256")
    r = run_certctl("inspect", str(lic))
    assert r.returncode == 0
    text = r.stdout.decode()
    for label in ("电子证照标识", "证照类型代码", "持证主体", "证照颁发机构代码", "有效期截止日期"):
        assert label in text
    assert "not verified" in text
    data = bytearray(lic.read_bytes())
    (tmp_path / "cut.cbor").write_bytes(data[:-10])
    bad = run_certctl("inspect", str(tmp_path / "cut.cbor"))
    assert bad.returncode == 1 and b"cbor_truncated" in bad.stdout


def test_disclose_keeps_only_what_is_asked(tmp_path):
    lic = issue(tmp_path, "sm2")
    small = tmp_path / "small.cbor"
    r = run_certctl("disclose", "--keep", "holder_name,business_scope", str(lic), str(small))
    assert r.returncode == 0, r.stderr
    code, result = verify(small)
    assert code == 0 and result["verdict"] == "valid"
    assert sorted(e["identifier"] for e in result["elements"]) == ["business_scope", "holder_name", "licence_id"]
    assert result["holder_id"] is None
    assert small.stat().st_size < lic.stat().st_size


def test_status_lists(tmp_path):
    lic = issue(tmp_path, "sm2", "mz", "m.cbor", "--status-uri", URI, "--status-idx", "7")
    code, result = verify(lic)
    assert code == 1 and result["verdict"] == "indeterminate" and result["status"] == "unknown"
    revoked = status_list(tmp_path, "revoked.cwt", "7=revoked")
    code, result = verify(lic, "--status", str(revoked))
    assert code == 1 and result["verdict"] == "invalid" and result["reason"] == "revoked"
    suspended = tmp_path / "suspended.cwt"
    r = run_certctl("status-list", "--key", f"{KEYS}/pki/sm2/status.key", "--cert", f"{KEYS}/pki/sm2/status.crt",
                    "--from", str(revoked), "--set", "7=suspended", "--out", str(suspended))
    assert r.returncode == 0, r.stderr
    code, result = verify(lic, "--status", str(suspended))
    assert code == 1 and result["reason"] == "suspended" and result["status"] == "suspended"
    valid = status_list(tmp_path, "valid.cwt", "8=revoked")
    code, result = verify(lic, "--status", str(valid))
    assert code == 0 and result["status"] == "valid"
    # A list past its exp is stale: unknown, not valid.
    code, result = verify(lic, "--status", str(valid), "--at", "2030-01-01")
    assert code == 1 and result["verdict"] == "indeterminate" and result["reason"] == "status_stale"
    shown = run_certctl("status-list", "--show", str(suspended))
    assert shown.returncode == 0 and b"7\tsuspended" in shown.stdout and URI.encode() in shown.stdout
    # A list signed by a department's document signer is refused outright.
    wrong = tmp_path / "wrong.cwt"
    r = run_certctl("status-list", "--key", f"{KEYS}/pki/sm2/mz.key", "--cert", f"{KEYS}/pki/sm2/mz.crt",
                    "--size", "8", "--uri", URI, "--out", str(wrong))
    assert r.returncode == 0
    r = run_certctl("verify", "--trust", TRUST, "--status", str(wrong), str(lic))
    assert r.returncode == 2 and b"signer_role" in r.stderr


def test_tampering_and_time(tmp_path):
    lic = issue(tmp_path, "p256")
    data = bytearray(lic.read_bytes())
    at = data.find(b"91330106MA2H12349J")
    data[at + 5] ^= 1
    (tmp_path / "t.cbor").write_bytes(data)
    code, result = verify(tmp_path / "t.cbor")
    assert code == 1 and result["reason"] == "digest_mismatch"
    (tmp_path / "x.cbor").write_bytes(lic.read_bytes() + b"\x00")
    code, result = verify(tmp_path / "x.cbor")
    assert code == 1 and result["reason"] == "cbor_trailing"
    code, result = verify(lic, "--at", "2040-01-01")
    assert code == 1 and result["reason"] == "certificate_expired"
    assert result["checks"]["validity"]["reason"] == "expired"


def test_refusals_and_usage(tmp_path):
    r = run_certctl("issue", "--offline", "--key", f"{KEYS}/pki/ed25519/scjg.key", "--cert", f"{KEYS}/pki/ed25519/scjg.crt",
                    "--type", TYPE, "--holder-id", "11010519491231002Y", "--holder-name", "张三",
                    "--out", str(tmp_path / "no.cbor"))
    assert r.returncode == 1 and b"ident_checksum" in r.stderr and not (tmp_path / "no.cbor").exists()
    r = run_certctl("issue", "--key", "k", "--cert", "c", "--type", TYPE, "--holder-id", "x", "--holder-name", "y")
    assert r.returncode == 2 and b"--offline" in r.stderr
    r = run_certctl("issue", "--offline", "--key", "/nonexistent", "--cert", "/nonexistent", "--type", TYPE,
                    "--holder-id", "x", "--holder-name", "y")
    assert r.returncode == 2
    lic = issue(tmp_path)
    assert run_certctl("verify", str(lic)).returncode == 2
    bad_trust = tmp_path / "trust.json"
    bad_trust.write_text('{"version": 1, "roots": [{"name": "x"}]}')
    r = run_certctl("verify", "--trust", str(bad_trust), str(lic))
    assert r.returncode == 2 and b"roots[0]" in r.stderr
    assert run_certctl("verify", "--trust", TRUST, str(tmp_path / "missing.cbor")).returncode == 2
    assert run_certctl("disclose", str(lic)).returncode == 2
    for cmd in ("issue", "verify", "inspect", "disclose", "status-list"):
        h = run_certctl(cmd, "--help")
        assert h.returncode == 0 and b"usage: certctl " + cmd.encode() in h.stdout


def test_qr_images_scan_back_and_verify(tmp_path):
    """certctl qr draws the licence's EL1: text at level M; zbarimg (ZBar, an independent decoder) reads
    the PNG back to text that certctl verify accepts, and a changed character is refused."""
    import shutil
    import subprocess
    lic = issue(tmp_path, "p256")
    png = tmp_path / "lic.png"
    r = run_certctl("qr", "--png", str(png), "--scale", "3", str(lic))
    assert r.returncode == 0, r.stderr
    version = int(r.stderr.decode().split("QR version ")[1].split(" ")[0])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and 1 <= version <= 40
    assert shutil.which("zbarimg"), "scripts/install-deps installs zbar-tools"
    scanned = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, timeout=60).stdout.strip()
    assert scanned.startswith(b"EL1:")
    text = tmp_path / "scanned.txt"
    text.write_bytes(scanned + b"\r\n")  # as a scanner types it
    code, result = verify(text)
    assert result["checks"]["signature"]["state"] == "passed" and result["licence_type"] == TYPE
    # the same text drawn from the text itself, and on a terminal: two modules per character cell
    r = run_certctl("qr", "--terminal", scanned.decode())
    modules = int(r.stderr.decode().split("(")[1].split(" x ")[0])
    assert r.returncode == 0 and len(r.stdout.decode().splitlines()) == (modules + 8 + 1) // 2
    assert "\033[" in r.stdout.decode()
    bad = bytearray(scanned)
    bad[40] = ord("A") if bad[40] != ord("A") else ord("B")
    text.write_bytes(bytes(bad))
    code, result = verify(text)
    assert code == 1
    assert run_certctl("qr", "--scale", "0", str(lic)).returncode == 2
    r = run_certctl("qr", "A" * 5000)
    assert r.returncode == 1 and b"do not fit a QR code" in r.stderr


def test_challenge_present_and_verify(tmp_path):
    """certctl plays the counter (challenge), the app (present) and the counter again (verify): the
    answer to this challenge verifies with its holder check; a replayed one, or one made with another
    device key, does not; the presentation also travels as QR text."""
    import subprocess

    def keypair(name):
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                        str(tmp_path / f"{name}.key")], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", str(tmp_path / f"{name}.key"), "-pubout", "-out",
                        str(tmp_path / f"{name}.pub")], check=True, capture_output=True)
    keypair("phone")
    keypair("thief")
    lic = issue(tmp_path, "p256", "scjg", "bound.cbor", "--device-key", str(tmp_path / "phone.pub"))
    r = run_certctl("challenge", "--counter", "counter-hz")
    challenge = r.stdout.decode().strip()
    assert r.returncode == 0 and challenge.startswith("ELC1:counter-hz:")

    def present(key, out, *extra):
        r = run_certctl("present", "--licence", str(lic), "--device-key", str(tmp_path / key), "--challenge",
                        challenge, "--keep", "holder_name,registered_capital", "--out", str(tmp_path / out), *extra)
        assert r.returncode == 0, r.stderr
        return tmp_path / out
    p = present("phone.key", "p.cbor")
    code, result = verify(p, "--challenge", challenge)
    assert code == 0 and result["checks"]["holder"]["state"] == "passed" and result["holder_bound"] is True
    assert {e["identifier"] for e in result["elements"]} == {"licence_id", "holder_name", "registered_capital"}
    qr = present("phone.key", "p.txt", "--qr")
    assert qr.read_text().startswith("EL1:")
    code, result = verify(qr, "--challenge", challenge)
    assert code == 0 and result["checks"]["holder"]["state"] == "passed"
    # the same answer at a later challenge (a screenshot shown again), and a stolen licence
    later = run_certctl("challenge", "--counter", "counter-hz").stdout.decode().strip()
    code, result = verify(p, "--challenge", later)
    assert code == 1 and result["checks"]["holder"] == {"state": "failed", "reason": "challenge_nonce"}
    code, result = verify(present("thief.key", "t.cbor"), "--challenge", challenge)
    assert code == 1 and result["reason"] == "device_signature_invalid"
    # the bound licence itself, as issued (its QR, a screenshot, a forwarded file): with the counter's
    # challenge or without, it is a copy anyone could show; only --licence-only checks it as a licence
    for extra in (("--challenge", challenge), ()):
        code, result = verify(lic, *extra)
        assert code == 1 and result["verdict"] == "invalid" and result["reason"] == "device_signature_missing"
        assert result["checks"]["holder"] == {"state": "failed", "reason": "device_signature_missing"}
    code, result = verify(lic, "--licence-only")
    assert code == 0 and result["checks"]["holder"]["state"] == "not_applicable"
    assert run_certctl("verify", "--trust", TRUST, "--licence-only", "--challenge", challenge, str(lic)).returncode == 2
    # a presentation needs its challenge; a bad challenge is a usage error
    assert run_certctl("verify", "--trust", TRUST, str(p)).returncode == 2
    assert run_certctl("verify", "--trust", TRUST, "--challenge", "ELC1:nope", str(p)).returncode == 2
    assert run_certctl("challenge", "--counter", "Counter HZ").returncode == 2


def test_present_with_an_ed25519_device_key(tmp_path):
    """A phone whose device key is Ed25519 presents as a P-256 one does (certctl present once aborted
    loading such a key)."""
    import subprocess
    subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out", str(tmp_path / "phone.key")], check=True)
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "phone.key"), "-pubout", "-out", str(tmp_path / "phone.pub")],
                   check=True)
    lic = issue(tmp_path, "p256", "scjg", "bound.cbor", "--device-key", str(tmp_path / "phone.pub"))
    challenge = run_certctl("challenge", "--counter", "counter-hz").stdout.decode().strip()
    r = run_certctl("present", "--licence", str(lic), "--device-key", str(tmp_path / "phone.key"), "--challenge",
                    challenge, "--keep", "holder_name", "--out", str(tmp_path / "p.cbor"))
    assert r.returncode == 0, r.stderr
    code, result = verify(tmp_path / "p.cbor", "--challenge", challenge)
    assert code == 0 and result["checks"]["holder"]["state"] == "passed" and result["holder_bound"] is True


def test_expected_holder_and_bound_only(tmp_path):
    """--expect-holder: only that holder passes, and a disclosure withholding holder_id cannot pass for
    anyone; --require-holder-bound refuses licences bound to no device."""
    lic = issue(tmp_path)
    code, result = verify(lic, "--expect-holder", "91330106MA2H12349J")
    assert code == 0 and result["checks"]["expected_holder"] == {"state": "passed", "reason": None}
    code, result = verify(lic, "--expect-holder", "91330106MA2H12350Y")
    assert code == 1 and result["reason"] == "holder_mismatch"
    small = tmp_path / "small.cbor"
    assert run_certctl("disclose", "--keep", "holder_name", str(lic), str(small)).returncode == 0
    code, result = verify(small, "--expect-holder", "91330106MA2H12349J")
    assert code == 1 and result["reason"] == "holder_not_disclosed" and result["holder_id"] is None
    code, result = verify(lic, "--require-holder-bound")
    assert code == 1 and result["reason"] == "not_holder_bound"


def test_crl_revokes_a_signer(tmp_path):
    """A CRL of the SM2 root (made with the openssl CLI and the GM/T 0009 id) revokes 民政局's SM2 signer:
    its licences fail with signer_revoked; other signers are untouched; a CRL no root signed is refused."""
    import subprocess
    lic = issue(tmp_path, "sm2", "mz")
    other = issue(tmp_path, "sm2", "scjg", "other.cbor")
    (tmp_path / "index.txt").write_text("")
    (tmp_path / "crlnumber").write_text("01\n")
    (tmp_path / "ca.cnf").write_text(f"[ca]\ndefault_ca = demo\n[demo]\ndatabase = {tmp_path}/index.txt\n"
                                     f"crlnumber = {tmp_path}/crlnumber\ndefault_md = sm3\ndefault_crl_days = 30\n")
    ca = ["openssl", "ca", "-config", str(tmp_path / "ca.cnf"), "-keyfile", f"{KEYS}/pki/sm2/root.key",
          "-cert", f"{KEYS}/pki/sm2/root.crt"]
    subprocess.run(ca + ["-revoke", f"{KEYS}/pki/sm2/mz.crt"], check=True, capture_output=True)
    subprocess.run(ca + ["-gencrl", "-sigopt", "distid:1234567812345678", "-out", str(tmp_path / "root.crl")],
                   check=True, capture_output=True)
    code, result = verify(lic, "--crl", str(tmp_path / "root.crl"))
    assert code == 1 and result["reason"] == "signer_revoked"
    assert result["checks"]["signer"] == {"state": "failed", "reason": "signer_revoked"}
    code, result = verify(other, "--crl", str(tmp_path / "root.crl"))
    assert code == 0
    (tmp_path / "junk.crl").write_text("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
    r = run_certctl("verify", "--trust", TRUST, "--crl", str(tmp_path / "junk.crl"), str(lic))
    assert r.returncode == 2 and b"crl_malformed" in r.stderr
