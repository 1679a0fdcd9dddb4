"""The counter verification page (/counter/) end to end in Debian's headless Chromium, driven by
playwright-core from npm (installed by the test into the build tree): sign in, show a challenge, type a
presentation as a scanner does, read the verdict; a tampered and a replayed presentation are refused.
Skipped, loudly, only when the npm registry is unreachable."""
import os
import shutil
import subprocess

import pytest

from conftest import CERTCTL, KEYS, REPO_ROOT, Authd, npm_install
from test_authd_licences import HUKOU, HUKOU_ELEMENTS, PERSON, b64d, issue_ok

SOURCE = os.path.join(REPO_ROOT, "tests", "browser")
WORK = os.path.join(os.environ.get("INTEROP_DIR", os.path.join(REPO_ROOT, "build", "interop")), "..", "browser")


@pytest.fixture(scope="module")
def driver():
    npm_install(SOURCE, WORK, ("package.json", "counter_page.mjs"), "playwright-core", "COUNTER PAGE TEST")
    assert shutil.which("chromium"), "scripts/install-deps installs Debian's chromium"
    return os.path.join(WORK, "counter_page.mjs")


def test_counter_page_in_chromium(tmp_path, driver):
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    str(tmp_path / "device.key")], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "device.key"), "-pubout", "-out",
                    str(tmp_path / "device.pub")], check=True, capture_output=True)
    server = Authd(tmp_path).start()
    try:
        code, headers, page = server.request("GET", "/counter/", token=None)
        assert code == 200 and b"<title>" in page and "script-src 'self'" in headers["content-security-policy"]
        doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS,
                       device_key=(tmp_path / "device.pub").read_text())
        (tmp_path / "licence.cbor").write_bytes(b64d(doc["licence"]))
        (tmp_path / "licence.qr").write_text(doc["qr"])  # the issuance QR: a copy anyone could show
        r = subprocess.run(["node", driver, server.url, f"{KEYS}/tokens/counter-hz.token", CERTCTL,
                            str(tmp_path / "licence.cbor"), str(tmp_path / "device.key"),
                            str(tmp_path / "licence.qr")],
                           capture_output=True, timeout=180)
        print(r.stdout.decode(), r.stderr.decode())
        assert r.returncode == 0, r.stderr.decode()
        steps = [line for line in r.stdout.decode().splitlines() if line.startswith("{")]
        assert len(steps) == 5  # the CJK font, then the four verifications
        # the page's verifications are in the access log like any other (the tampered text was refused as
        # malformed QR text before any verification, so three)
        code, _, cp = server.request("GET", "/log/access/checkpoint", token="auditor")
        assert code == 200 and int(cp.decode().splitlines()[1]) == 3
    finally:
        assert server.stop() == 0
