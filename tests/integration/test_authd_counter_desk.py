"""The 一证通办 desk at /counter/, end to end in Debian's headless Chromium (playwright-core from npm,
installed by the test into the build tree), keyboard only: a typo and its reason, the lookup with its
verified licences, the missing one and the watermark, the print view, "next citizen", the empty, refused
and signed-out states. The reference the page prints is then traced with certctl against the access log,
and the lookups' privacy rules are checked in authd's own request log. Screenshots of each state go to
$SCREENSHOT_DIR (make screenshots: docs/images/). Skipped, loudly, only when npm's registry is unreachable."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import KEYS, REPO_ROOT, Authd, npm_install, run_certctl, token
from test_authd_licences import HUKOU, HUKOU_ELEMENTS, MARRIAGE, MARRIAGE_ELEMENTS, issue_ok

SOURCE = os.path.join(REPO_ROOT, "tests", "browser")
WORK = os.path.join(os.environ.get("INTEROP_DIR", os.path.join(REPO_ROOT, "build", "interop")), "..", "browser")
HOLDER = "330106199203071230"
TYPO = HOLDER[:-1] + "7"  # one digit wrong: the check character no longer matches
EMPTY_HOLDER = "11010519491231002X"


@pytest.fixture(scope="module")
def driver():
    npm_install(SOURCE, WORK, ("package.json", "counter_page.mjs", "counter_desk.mjs"), "playwright-core",
                "COUNTER DESK TEST")
    assert shutil.which("chromium"), "scripts/install-deps installs Debian's chromium"
    return os.path.join(WORK, "counter_desk.mjs")


def test_counter_desk_in_chromium(tmp_path, driver):
    shots = os.environ.get("SCREENSHOT_DIR") or str(tmp_path / "screenshots")
    server = Authd(tmp_path).start()
    try:
        issue_ok(server, "issuer-ga", HUKOU, HOLDER, "钱七", HUKOU_ELEMENTS)
        issue_ok(server, "issuer-mz", MARRIAGE, HOLDER, "钱七", MARRIAGE_ELEMENTS)
        r = subprocess.run(["node", driver, server.url, f"{KEYS}/tokens/counter-hz.token", HOLDER, TYPO,
                            "不动产转移登记", "二手房买卖过户", EMPTY_HOLDER, shots, f"{KEYS}/tokens/auditor.token"],
                           capture_output=True, timeout=240)
        print(r.stdout.decode(), r.stderr.decode())
        assert r.returncode == 0, r.stderr.decode()
        steps = {s["step"]: s for s in map(json.loads, (l for l in r.stdout.decode().splitlines() if l[:1] == "{"))}
        assert list(steps) == ["403", "signed in", "typo", "corrected", "result", "print", "next citizen", "uscc",
                               "empty", "quick", "refused", "401"]
        for name in ("not-a-counter", "typo", "result", "print", "next", "empty", "refused", "signed-out"):
            assert os.path.getsize(os.path.join(shots, f"desk-{name}.png")) > 10000, name

        # the reference printed on the paper copy traces to the lookup the desk made
        (tmp_path / "access.vkey").write_bytes(server.request("GET", "/log/access/key", token="auditor")[2])
        (tmp_path / "auditor.token").write_text(token("auditor"))
        t = run_certctl("trace", "--log", server.url + "/log/access", "--key", str(tmp_path / "access.vkey"),
                        "--token", str(tmp_path / "auditor.token"), "--reference", steps["result"]["reference"])
        out = t.stdout.decode()
        assert t.returncode == 0 and "counter-hz" in out and "ZJ-BDCZY-001" in out and "二手房买卖过户" in out, t

        # the lookups' privacy rules held: authd's request log names the route, never the number
        server.stop()
        log = server.access_log.read_text()
        assert "/v1/holders/{holder_id}/licences" in log
        for number in (HOLDER, TYPO, EMPTY_HOLDER, HOLDER[:6] + "********" + HOLDER[-4:]):
            assert number not in log
    finally:
        server.stop()
