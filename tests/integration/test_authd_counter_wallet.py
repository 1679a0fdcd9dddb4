"""The desk at /counter/ with a citizen's own wallet (OpenID4VP), end to end in Debian's headless Chromium:
the clerk asks the wallet for the matter, the page shows the request's QR code, a standard wallet written
with @openid4vc/openid4vp and @owf/mdoc (tests/interop/oid4vp_wallet.mjs) answers, and the page shows the
verified licence with its watermark and mark; an answer beyond the request is refused and said so. Both
npm installs are the test's own; skipped, loudly, only when npm's registry is unreachable."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import KEYS, REPO_ROOT, Authd, npm_install
from test_authd_licences import HUKOU, HUKOU_ELEMENTS, PERSON, b64d, issue_ok
from test_interop_mdoc import INTEROP_FILES, SOURCE as INTEROP_SOURCE, WORK as INTEROP_WORK

SOURCE = os.path.join(REPO_ROOT, "tests", "browser")
WORK = os.path.join(os.environ.get("INTEROP_DIR", os.path.join(REPO_ROOT, "build", "interop")), "..", "browser")


@pytest.fixture(scope="module")
def driver():
    npm_install(INTEROP_SOURCE, INTEROP_WORK, INTEROP_FILES, "@openid4vc/openid4vp", "COUNTER WALLET TEST")
    npm_install(SOURCE, WORK, ("package.json", "counter_page.mjs", "counter_desk.mjs", "counter_wallet.mjs"),
                "playwright-core", "COUNTER WALLET TEST")
    assert shutil.which("chromium"), "scripts/install-deps installs Debian's chromium"
    return os.path.join(WORK, "counter_wallet.mjs")


def test_counter_desk_with_a_wallet_in_chromium(tmp_path, driver):
    shots = os.environ.get("SCREENSHOT_DIR") or str(tmp_path / "screenshots")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    str(tmp_path / "device.key")], check=True, capture_output=True)
    pub = subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "device.key"), "-pubout"], check=True,
                         capture_output=True, text=True).stdout
    server = Authd(tmp_path).start()
    try:
        doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS, device_key=pub)
        (tmp_path / "licence.cbor").write_bytes(b64d(doc["licence"]))
        r = subprocess.run(["node", driver, server.url, f"{KEYS}/tokens/counter-hz.token", "婚姻登记", "结婚登记",
                            os.path.join(INTEROP_WORK, "oid4vp_wallet.mjs"), str(tmp_path / "licence.cbor"),
                            str(tmp_path / "device.key"), f"{KEYS}/trust.json", shots],
                           capture_output=True, timeout=240)
        print(r.stdout.decode(), r.stderr.decode())
        assert r.returncode == 0, r.stderr.decode()
        steps = [json.loads(l)["step"] for l in r.stdout.decode().splitlines() if l[:1] == "{"]
        assert steps == ["no matter", "request shown", "answered", "refused", "next citizen"]
        for name in ("wallet-request", "wallet-answered"):
            assert os.path.getsize(os.path.join(shots, f"{name}.png")) > 10000, name
        # the verified answer was released through the access log: one verification, for the matter
        code, _, cp = server.request("GET", "/log/access/checkpoint", token="auditor")
        assert code == 200 and int(cp.decode().splitlines()[1]) >= 1
    finally:
        server.stop()
