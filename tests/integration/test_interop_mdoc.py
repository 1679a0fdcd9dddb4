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
INTEROP_FILES = ("package.json", "package-lock.json", "mdoc_context.mjs", "verify_mdoc.mjs", "verify_presentation.mjs",
                 "oid4vp_wallet.mjs", "oid4vp_verifier.mjs")


@pytest.fixture(scope="module")
def verifier():
    npm_install(SOURCE, WORK, INTEROP_FILES, "@owf/mdoc", "INTEROP TEST")

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


def authd_licences(tmp_path, extra_config=""):
    """A P-256 (公安) and an Ed25519 (民政) licence issued by a real authd with the given configuration."""
    from conftest import AUTHD, Authd
    from test_authd_licences import HUKOU, HUKOU_ELEMENTS, MARRIAGE, MARRIAGE_ELEMENTS, PERSON, b64d, issue_ok
    if not os.path.exists(AUTHD):
        pytest.skip("authd is not built")
    server = Authd(tmp_path, extra_config=extra_config).start()
    try:
        out = {}
        for alg, client, type_code, elements in (("p256", "issuer-ga", HUKOU, HUKOU_ELEMENTS),
                                                 ("ed25519", "issuer-mz", MARRIAGE, MARRIAGE_ELEMENTS)):
            doc = issue_ok(server, client, type_code, PERSON, "张三", elements)
            out[alg] = tmp_path / f"{alg}.cbor"
            out[alg].write_bytes(b64d(doc["licence"]))
        return out
    finally:
        assert server.stop() == 0


def test_authd_licences_verify_with_owf_mdoc_and_only_the_root(verifier, tmp_path):
    """authd puts the signer's certificate in each licence (x5chain) by default: another ISO 18013-5
    implementation checks P-256 and Ed25519 licences with nothing but the root of their PKI."""
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for alg, path in authd_licences(tmp_path).items():
        r = subprocess.run(["node", os.path.join(WORK, "verify_mdoc.mjs"), str(path), f"{KEYS}/pki/{alg}/root.crt", now],
                           capture_output=True, timeout=120)
        out = r.stdout.decode()
        assert r.returncode == 0 and "0 failed" in out, (alg, out, r.stderr.decode())
        # and not with another root
        other = "ed25519" if alg == "p256" else "p256"
        r = subprocess.run(["node", os.path.join(WORK, "verify_mdoc.mjs"), str(path), f"{KEYS}/pki/{other}/root.crt",
                            now], capture_output=True, timeout=120)
        assert r.returncode != 0, (alg, r.stdout.decode())


def test_authd_licences_without_x5chain_are_smaller(verifier, tmp_path):
    """issuance.x5chain: false omits the certificate (compact offline QR): such a licence needs a bundle
    that lists its signer (certctl verifies it), and a verifier with only the root cannot."""
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    with_chain = authd_licences(tmp_path / "with")
    without = authd_licences(tmp_path / "without", "issuance:\n  x5chain: false\n")
    for alg in ("p256", "ed25519"):
        grown = with_chain[alg].stat().st_size - without[alg].stat().st_size
        assert grown >= 600, (alg, grown)  # the certificate's DER (631 to 710 bytes in the demo PKI)
        r = run_certctl("verify", "--trust", f"{KEYS}/trust.json", "--json", str(without[alg]))
        assert b'"signature"' in r.stdout and b'"signer":{"state":"passed"' in r.stdout.replace(b" ", b""), r.stdout
        r = subprocess.run(["node", os.path.join(WORK, "verify_mdoc.mjs"), str(without[alg]),
                            f"{KEYS}/pki/{alg}/root.crt", "2026-12-01T00:00:00Z"], capture_output=True, timeout=120)
        assert r.returncode != 0
