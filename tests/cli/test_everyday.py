"""What a new user trips on: messages that say what is wrong and what to do (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.errors import ListError
from ctlbuild.lists.reader import load_list
from ctlbuild.thumbprint import parse_hex
from tests.conftest import SIGNING_TIME

DIGINOTAR = "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write_list(tmp_path: Path, body: str, head: str = "") -> Path:
    path = tmp_path / "l.toml"
    path.write_text('name = "l"\nkind = "disallowed"\nthis_update = 2011-08-29\n' + head + body, encoding="utf-8")
    return path


def test_thumbprints_copied_from_windows_carry_an_invisible_mark(tmp_path):
    assert parse_hex("\u200e" + DIGINOTAR, 20).hex().startswith("c060ed44")
    listed = write_list(tmp_path, f'[[entry]]\nsha1 = "\u200e{DIGINOTAR}"\n')
    assert load_list(listed).trust_list.entries[0].identifier.hex().startswith("c060ed44")
    (tmp_path / "t.txt").write_text("\u200ec060ed44cbd881bd0ef86c0ba287ddcf8167478c DigiNotar\n", encoding="utf-8")
    listed = write_list(tmp_path, '[[entry]]\nthumbprints = "t.txt"\n')
    assert load_list(listed).trust_list.entries[0].friendly_name == "DigiNotar"


@pytest.mark.parametrize("value, message", [
    ("c060ed44cbd881bd0ef86c0ba287ddcf8167478", "has 39 hex digits: one is missing or extra"),
    ("c060ed44cbd881bd0ef86c0ba287ddcf8167478g", "'g' is not a hex digit"),
    ("00" * 32, "32 bytes is a SHA-256 (sha256)"),
    ("00" * 16, "16 bytes is an MD5 (disallowed_hash)"),
])
def test_thumbprint_mistakes_say_what_is_wrong(tmp_path, value, message):
    with pytest.raises(ListError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_list(write_list(tmp_path, f'[[entry]]\nsha1 = "{value}"\n'))


def test_eku_typos_get_a_did_you_mean(tmp_path):
    with pytest.raises(ListError, match="did you mean 'server_auth'"):
        load_list(write_list(tmp_path, f'[[entry]]\nsha1 = "{DIGINOTAR}"\nekus = ["server_auht"]\n'))


def test_an_empty_thumbprint_file_is_named(tmp_path):
    (tmp_path / "t.txt").write_text("# nothing yet\n\n")
    with pytest.raises(ListError, match=r"t.txt holds no thumbprints") as caught:
        load_list(write_list(tmp_path, '[[entry]]\nthumbprints = "t.txt"\n'))
    assert caught.value.line == 5 and "add [[entry]]" not in str(caught.value)


def test_a_typo_in_the_signer_files_is_located(tmp_path):
    head = '[signer]\nkey = "signer.key"\ncert = "sigenr.pem"\n'
    (tmp_path / "signer.key").write_text("x")
    with pytest.raises(ListError, match="sigenr.pem not found") as caught:
        load_list(write_list(tmp_path, f'[[entry]]\nsha1 = "{DIGINOTAR}"\n', head))
    assert caught.value.line == 6 and caught.value.key == "signer.cert"


def test_a_certificate_given_as_the_key_is_named(tmp_path, dev_keys):
    result = run("build", "examples/diginotar-kb2607712.toml", "-o", tmp_path / "out", "--key", dev_keys.signer_cert,
                 "--cert", dev_keys.signer_cert, "--signing-time", SIGNING_TIME)
    assert result.exit_code == 2 and "holds a certificate, not a private key" in result.stderr
    assert "chmod" not in result.stderr


def test_counts_are_in_good_english(tmp_path, dev_keys):
    listed = write_list(tmp_path, f'outputs = ["stl"]\n[[entry]]\nsha1 = "{DIGINOTAR}"\n')
    result = run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent,
                 "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    assert "l: 1 entry →" in result.stdout
    check = run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent, "--check")
    assert check.exit_code == 0 and "1 file and its manifest record match" in check.stdout


def test_a_thumbprint_only_list_is_told_to_leave_out_the_sst(tmp_path, dev_keys):
    listed = write_list(tmp_path, f'[[entry]]\nsha1 = "{DIGINOTAR}"\n')
    result = run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent,
                 "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stderr.splitlines() if ".sst is empty" in x)
    assert line.startswith("ctlbuild: warning: ") and 'outputs = ["stl", "cab"]' in line
    check = run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent, "--check")
    assert check.exit_code == 0 and ".sst is empty" not in check.stderr


def test_a_this_update_after_the_signing_time_is_warned_about(tmp_path, dev_keys):
    path = tmp_path / "l.toml"
    path.write_text(f'name = "l"\nkind = "disallowed"\nthis_update = 2099-03-01\noutputs = ["stl"]\n'
                    f'[[entry]]\nsha1 = "{DIGINOTAR}"\n')
    result = run("build", path, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent,
                 "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    assert "before its own this_update 2099-03-01" in result.stderr


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`ctlbuild show --json … | head -1`: no "Broken pipe" error, exit 0."""
    (tmp_path / "t.txt").write_text("".join(f"{n:040x}\n" for n in range(1, 5001)))  # far more than a pipe holds
    listed = write_list(tmp_path, '[[entry]]\nthumbprints = "t.txt"\n')
    script = f"set -o pipefail; {sys.executable} -m ctlbuild show {listed} --json | head -c 10 > /dev/null"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert "Broken pipe" not in done.stderr and "error" not in done.stderr
    assert done.returncode == 0, done.stderr
