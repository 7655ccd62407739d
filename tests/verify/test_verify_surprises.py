"""What verify says about a list dated after its signature or after the time it is judged at,
and about a file that is not what its list builds (issue 12, items 6 and 8)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ctlbuild._cli import main
from tests.conftest import SIGNING_TIME

A = "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"
B = "43 d9 bc b5 68 e0 39 d0 73 a7 4a 71 d8 51 1f 74 76 08 9c c3"
C = "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write_list(path: Path, this_update: str, entries: dict[str, str]) -> Path:
    body = "".join(f'[[entry]]\nsha1 = "{sha1}"\nfriendly_name = "{name}"\n' for name, sha1 in entries.items())
    path.write_text(f'name = "l"\nkind = "disallowed"\nthis_update = {this_update}\noutputs = ["stl"]\n{body}',
                    encoding="utf-8")
    return path


def build(tmp_path, dev_keys, this_update, signing_time=SIGNING_TIME, entries=None):
    listed = write_list(tmp_path / "l.toml", this_update, entries or {"DigiNotar Root CA": A})
    result = run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent,
                 "--signing-time", signing_time)
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / "l.stl"


def findings(result, check):
    return [line for line in result.stdout.splitlines() if line.split()[1:2] == [check]]


def test_a_list_signed_long_before_its_this_update_is_a_finding(tmp_path, dev_keys):
    stl = build(tmp_path, dev_keys, "2099-03-01")
    result = run("verify", stl, "--anchor", dev_keys.root_cert, "--at", SIGNING_TIME)
    assert result.exit_code == 0, result.output  # a warning: Windows does not refuse it
    assert "WARN signing-time     signed at 2024-01-01T00:00:00Z, 75 years before the list's own thisUpdate " \
           "2099-03-01T00:00:00Z [signature 1]" in result.stdout
    assert findings(result, "this-update") == [
        ("WARN this-update      thisUpdate 2099-03-01T00:00:00Z is 75 years after --at (2024-01-01T00:00:00Z): "
         "the list was not in force yet")]


def test_at_before_this_update_is_said(tmp_path, dev_keys):
    stl = build(tmp_path, dev_keys, "2024-01-02T00:00:00Z", signing_time="2024-01-02T00:00:00Z")
    result = run("verify", stl, "--anchor", dev_keys.root_cert, "--at", "2024-01-01T12:00:00Z")
    assert findings(result, "this-update") == [
        ("WARN this-update      thisUpdate 2024-01-02T00:00:00Z is 12 hours after --at (2024-01-01T12:00:00Z): "
         "the list was not in force yet")]
    assert not findings(result, "signing-time")[1:]  # signed on its thisUpdate: nothing post-dated


def test_a_list_in_force_says_so_once(tmp_path, dev_keys):
    stl = build(tmp_path, dev_keys, "2023-12-31")
    result = run("verify", stl, "--anchor", dev_keys.root_cert, "--at", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    assert findings(result, "this-update") == ["ok   this-update      thisUpdate 2023-12-31T00:00:00Z reached by --at"]
    assert "before the list's own thisUpdate" not in result.stdout


def test_verify_list_says_which_side_each_entry_is_on(tmp_path, dev_keys):
    stl = build(tmp_path, dev_keys, "2023-12-31", entries={"DigiNotar Root CA": A, "Bulk CA 4999": B})
    other = write_list(tmp_path / "other.toml", "2023-12-31", {"DigiNotar Root CA": A, "newcomer": C})
    result = run("verify", stl, "--anchor", dev_keys.root_cert, "--at", SIGNING_TIME, "--list", other)
    assert result.exit_code == 1
    assert findings(result, "list") == [("FAIL list             file differs from what the list builds: "
                                         "1 missing from the file: newcomer; 1 not in the list: Bulk CA 4999")]


def test_counts_of_one_are_in_good_english(tmp_path, dev_keys):
    stl = build(tmp_path, dev_keys, "2023-12-31")
    result = run("verify", stl, "--anchor", dev_keys.root_cert, "--at", SIGNING_TIME)
    assert "signed CTL with 1 entry, 1 signature\n" in result.stdout
    warns = sum(line.startswith("WARN") for line in result.stdout.splitlines())
    assert result.stdout.endswith(f"VERIFIED (0 failed, {warns} warning{'' if warns == 1 else 's'})\n")
    one = run("import", dev_keys.root_cert, "-o", tmp_path / "i.toml", "--this-update", "2024-01-01")
    assert one.exit_code == 0 and one.stdout.endswith(": 1 entry, 1 certificate written\n"), one.output


def test_verify_list_names_the_header_fields_that_differ(tmp_path, dev_keys):
    stl = build(tmp_path, dev_keys, "2023-12-31")
    other = write_list(tmp_path / "other.toml", "2023-12-30", {"DigiNotar Root CA": A})
    result = run("verify", stl, "--anchor", dev_keys.root_cert, "--at", SIGNING_TIME, "--list", other)
    assert findings(result, "list") == [("FAIL list             file differs from what the list builds: "
                                         "header fields this_update, sequence differ")]
