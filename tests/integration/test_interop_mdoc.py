"""Interoperability: certlib's ES256 licences verified by an independent ISO/IEC 18013-5
implementation, @owf/mdoc (TypeScript), trusting only the demo root. The npm package is installed by
the test into the build tree; only when the npm registry is unreachable is the test skipped, loudly."""
import os
import subprocess

import pytest

from conftest import REPO_ROOT, npm_install, run_certctl

KEYS = os.path.join(REPO_ROOT, "keys-example")
SOURCE = os.path.join(REPO_ROOT, "tests", "interop")
WORK = os.environ.get("INTEROP_DIR", os.path.join(REPO_ROOT, "build", "interop"))
NOW = "2026-11-24T00:00:00Z"


@pytest.fixture(scope="module")
def verifier():
    npm_install(SOURCE, WORK, ("package.json", "package-lock.json", "verify_mdoc.mjs"), "@owf/mdoc",
                "INTEROP TEST")

    def run(licence, root="p256"):
        return subprocess.run(["node", os.path.join(WORK, "verify_mdoc.mjs"), str(licence),
                               f"{KEYS}/pki/{root}/root.crt", NOW], capture_output=True, timeout=120)
    return run


def issue_es256(path, *extra):
    r = run_certctl("issue", "--offline", "--key", f"{KEYS}/pki/p256/scjg.key", "--cert", f"{KEYS}/pki/p256/scjg.crt",
                    "--type", "11100000000013338W001", "--name", "营业执照", "--holder-id", "91330106MA2H12349J",
                    "--holder-name", "杭州某某科技有限公司", "--element", "registered_capital:int=1000000",
                    "--element", "established:date=2020-05-01", "--element", "business_scope=软件开发",
                    "--signed-at", "2026-11-23T00:00:00Z", "--x5chain", "--out", str(path), *extra)
    assert r.returncode == 0, r.stderr


def test_es256_licence_verifies_with_owf_mdoc(verifier, tmp_path):
    lic = tmp_path / "licence.cbor"
    issue_es256(lic)
    r = verifier(lic)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert "0 failed" in out
    # Every element's digest was recomputed by the other implementation.
    assert out.count("attribute must match the digest") == 15


def test_disclosed_and_bound_licences_verify(verifier, tmp_path):
    device = tmp_path / "device.pub"
    subprocess.run(["openssl", "pkey", "-in", f"{KEYS}/pki/p256/status.key", "-pubout", "-out", str(device)], check=True)
    lic = tmp_path / "bound.cbor"
    issue_es256(lic, "--device-key", str(device))
    small = tmp_path / "small.cbor"
    assert run_certctl("disclose", "--keep", "holder_name", str(lic), str(small)).returncode == 0
    for path in (lic, small):
        r = verifier(path)
        assert r.returncode == 0, r.stdout.decode()


def test_other_implementation_also_refuses(verifier, tmp_path):
    lic = tmp_path / "licence.cbor"
    issue_es256(lic)
    data = bytearray(lic.read_bytes())
    at = data.find("杭州某某科技有限公司".encode())
    data[at + 2] ^= 1
    (tmp_path / "tampered.cbor").write_bytes(data)
    r = verifier(tmp_path / "tampered.cbor")
    assert r.returncode == 1 and b"FAILED DATA_INTEGRITY" in r.stdout
    r = verifier(lic, root="ed25519")
    assert r.returncode == 1 and b"FAILED ISSUER_AUTH" in r.stdout
