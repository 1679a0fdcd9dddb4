"""certctl check and upgrade15, as a user at a terminal or in a pipeline runs them."""
import json

from conftest import VECTORS, run_certctl


def test_arguments_and_exit_codes():
    ok = run_certctl("check", "11010519491231002X", "91110000600037341L")
    assert ok.returncode == 0, ok.stderr
    lines = ok.stdout.decode().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("11010519491231002X\tvalid\tric\t110105 北京市 朝阳区\t1949-12-31\tfemale")
    bad = run_certctl("check", "11010519491231002X", "11010519491231002Y")
    assert bad.returncode == 1
    # 17 digits then a letter other than X: not an identity number's shape, so read as a USCC.
    assert "invalid\tident_checksum" in bad.stdout.decode().splitlines()[1]


def test_usage_errors_and_help():
    assert run_certctl().returncode == 2
    assert run_certctl("frobnicate").returncode == 2
    assert run_certctl("check", "--accept", "martians", "x").returncode == 2
    assert run_certctl("check", "--bogus").returncode == 2
    assert run_certctl("upgrade15").returncode == 2
    for args in (["--help"], ["help", "check"], ["check", "--help"], ["upgrade15", "--help"]):
        r = run_certctl(*args)
        assert r.returncode == 0 and b"usage: certctl" in r.stdout


def test_json_fields():
    r = run_certctl("check", "--json", "33010219200403064X", "913301061234567887", "1234567890")
    assert r.returncode == 1
    person, org, bad = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert person == {
        "input": "33010219200403064X", "valid": True, "kind": "ric", "kind_label": "居民身份证号码", "reason": None,
        "normalized": "33010219200403064X", "region_code": "330102", "region_name": "浙江省 杭州市 上城区",
        "birth_date": "1920-04-03", "sex": "female"}
    assert org["kind"] == "uscc" and org["valid"] and org["org_code"] == "12345678-8"
    assert bad["valid"] is False and bad["reason"] == "ident_length" and bad["normalized"] is None


def test_stdin_hostile_lines():
    lines = [b"11010519491231002x", b"", b"\x00\x01", b"\xff\xfe\xfd", b"1" * 100000, b"330102\xe4\xb8\xad", b"12345678-8"]
    r = run_certctl("check", "--json", stdin=b"\n".join(lines) + b"\r\n")
    assert r.returncode == 1
    out = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(out) == len(lines)
    assert [o["valid"] for o in out] == [True, False, False, False, False, False, True]
    assert [o["reason"] for o in out[1:6]] == ["ident_empty", "ident_encoding", "ident_encoding", "ident_length",
                                               "ident_charset"]
    assert out[4]["input_truncated"] is True and len(out[4]["input"]) == 256
    assert out[3]["input"] == "\ufffd\ufffd\ufffd"


def test_plain_output_is_printable():
    r = run_certctl("check", stdin=b"\x1b[31mred\n")
    assert r.returncode == 1
    assert b"\x1b" not in r.stdout and r.stdout.startswith(b"?[31mred\tinvalid")


def test_accept_and_regions(tmp_path):
    assert run_certctl("check", "--accept", "person", "91110000600037341L").returncode == 1
    assert run_certctl("check", "--accept", "org", "91110000600037341L").returncode == 0
    number = "330999199001010015"  # a county code newer than the built-in table
    assert run_certctl("check", number).returncode == 1
    extra = tmp_path / "extra.tsv"
    extra.write_text("code\tfirst\tlast\tname\n330999\t202401\t202401\t新区\n")
    r = run_certctl("check", "--json", "--regions", str(extra), number)
    assert r.returncode == 0, r.stdout
    assert json.loads(r.stdout)["region_name"] == "浙江省 舟山市 新区"
    bad = tmp_path / "bad.tsv"
    bad.write_text("code\tfirst\tlast\tname\nABC\t1\t1\tx\n")
    r = run_certctl("check", "--regions", str(bad), number)
    assert r.returncode == 2 and b"bad.tsv:2" in r.stderr


def test_upgrade15():
    r = run_certctl("upgrade15", "110101491001001")
    assert r.returncode == 0 and r.stdout == b"11010119491001001X\n"
    r = run_certctl("upgrade15", "11010519491231002X")
    assert r.returncode == 1 and b"ident_not_legacy" in r.stderr


def test_public_vectors_through_stdin():
    rows = [line.split("\t") for line in open(f"{VECTORS}/ident-vectors.tsv", encoding="utf-8")
            if line.strip() and not line.startswith("#")][1:]
    r = run_certctl("check", "--json", stdin="\n".join(row[0] for row in rows).encode())
    out = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(out) == len(rows)
    for row, result in zip(rows, out):
        assert result["valid"] == (row[1] == "true"), (row, result)
        if result["valid"]:
            assert result["kind"] == row[2]
