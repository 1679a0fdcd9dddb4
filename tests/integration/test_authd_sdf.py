"""SM2 keys in a cipher machine through its GM/T 0018 SDF library, driven through the code path a vendor's
library takes: tests/support/sdf_softcard.c, a software STAND-IN for a cipher machine (its keys are files:
it is not one), loaded by path like any vendor's libsdf. Licences and status lists signed in the "device"
verify with the certificates alone; a wrong password, a device that is down and a library that is not an
SDF one stop authd at start with a clear message; a device that goes down during a run gives 503 and
signing resumes when it is back."""
import os
import shutil
import time

import pytest

from conftest import KEYS, Authd, assert_problem, signers_yaml
from test_authd_licences import (BIZ, BIZ_ELEMENTS, COMPANY, HUKOU, HUKOU_ELEMENTS, PERSON, b64d, certctl_verify,
                                 issue, issue_ok)

LIBRARY = os.environ.get("SDF_SOFTCARD", "build/lib/libsdf_softcard.so")
PASSWORD = "11223344"
SCJG = "11330100002498113P"  # 市场监管 (SM2): 营业执照


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    d = tmp_path_factory.mktemp("softcard")
    shutil.copy(f"{KEYS}/pki/sm2/scjg.key", d / "key1.pem")
    shutil.copy(f"{KEYS}/pki/sm2/zrzy.key", d / "key2.pem")
    shutil.copy(f"{KEYS}/pki/sm2/status.key", d / "key3.pem")
    (d / "pin").write_text(PASSWORD + "\n")
    (tmp_path_factory.getbasetemp() / "sdf.pin").write_text(PASSWORD + "\n")
    saved = os.environ.get("SDF_SOFTCARD_DIR")
    os.environ["SDF_SOFTCARD_DIR"] = str(d)  # every authd of this module (authd init too) finds the device
    yield d
    if saved is None:
        del os.environ["SDF_SOFTCARD_DIR"]
    else:
        os.environ["SDF_SOFTCARD_DIR"] = saved


def ref(index, pin_file, library=LIBRARY):
    return f"sdf:{library}?key={index}&pin-source=file:{pin_file}"


def sdf_signers(pin_file, library=LIBRARY):
    """市场监管's and 自然资源's SM2 signers and the SM2 status signer in the device; the rest files."""
    index = {"scjg": 1, "zrzy": 2}
    return signers_yaml(keys=lambda code, alg, dept: (ref(index[dept], pin_file, library), ref(
        3, pin_file, library)) if dept in index else None)


@pytest.fixture(scope="module")
def server(device, tmp_path_factory):
    d = tmp_path_factory.mktemp("sdf")
    (d / "sdf.pin").write_text(PASSWORD + "\n")
    s = Authd(d, signers=sdf_signers(d / "sdf.pin")).start()
    yield s
    assert s.stop() == 0, s.stderr_path.read_text()


def test_sm2_licences_signed_in_the_device_verify_with_the_certificate(server, tmp_path):
    config = server.config.read_text()
    assert "sdf:" in config and "pki/sm2/scjg.key" not in config and "pki/sm2/status.key" not in config
    doc = issue_ok(server)  # 营业执照, 市场监管's SM2 key in the device
    result = certctl_verify(tmp_path, server, b64d(doc["licence"]), [doc["status"]["list"]])
    assert result["verdict"] == "valid" and result["algorithm"] == "SM2-SM3" and result["status"] == "valid", result
    # a department whose key is a file is unaffected
    doc = issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)
    assert certctl_verify(tmp_path, server, b64d(doc["licence"]), [doc["status"]["list"]])["verdict"] == "valid"
    assert PASSWORD not in server.stderr_path.read_text()


def test_a_wrong_password_stops_authd_at_start(device, tmp_path):
    (tmp_path / "bad.pin").write_text("00000000\n")
    s = Authd(tmp_path, signers=sdf_signers(tmp_path / "bad.pin"))
    s.init()
    with pytest.raises(RuntimeError):
        s.start(init=False)
    err = s.stderr_path.read_text()
    assert s.proc.returncode == 2 and "refused the access right to key 1" in err, err
    assert "00000000" not in err and PASSWORD not in err


def test_a_device_that_is_down_stops_authd_at_start(device, tmp_path):
    (tmp_path / "sdf.pin").write_text(PASSWORD + "\n")
    s = Authd(tmp_path, signers=sdf_signers(tmp_path / "sdf.pin"))
    s.init()
    (device / "removed").touch()
    try:
        with pytest.raises(RuntimeError):
            s.start(init=False)
    finally:
        (device / "removed").unlink()
    assert s.proc.returncode == 1 and "the SDF device does not open" in s.stderr_path.read_text()


def test_a_library_that_is_not_an_sdf_one_is_refused(device, tmp_path):
    (tmp_path / "sdf.pin").write_text(PASSWORD + "\n")
    s = Authd(tmp_path, signers=sdf_signers(tmp_path / "sdf.pin", library="/usr/lib/softhsm/libsofthsm2.so"))
    s.init()
    with pytest.raises(RuntimeError):
        s.start(init=False)
    assert s.proc.returncode == 2 and "lacks the GM/T 0018 functions" in s.stderr_path.read_text()


def test_a_device_down_during_a_run_gives_503_and_signing_resumes(server, device):
    issue_ok(server)
    (device / "removed").touch()
    try:
        status, headers, doc = issue(server, "issuer-scjg", BIZ, COMPANY, "杭州某某科技有限公司", BIZ_ELEMENTS)
        assert_problem(status, headers, doc, 503, "signer_unavailable")
        issue_ok(server, "issuer-ga", HUKOU, PERSON, "张三", HUKOU_ELEMENTS)  # others go on
    finally:
        (device / "removed").unlink()
    issue_ok(server)  # the next signature opens the device again
    assert "SDF device: cannot sign with key 1" in server.stderr_path.read_text()
