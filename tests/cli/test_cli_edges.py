"""Mistakes and odd inputs found in review: each a clean answer, never a traceback."""

import base64
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from tests.conftest import SIGNING_TIME

C060 = "c060ed44cbd881bd0ef86c0ba287ddcf8167478c"
HEAD = 'name = "t"\nkind = "disallowed"\nthis_update = 2011-08-29\noutputs = ["stl"]\n'


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def build(tmp_path, text, keys, *extra):
    listed = tmp_path / "t.toml"
    listed.write_text(text)
    return run("build", listed, "-o", tmp_path / "out", "--keys", keys, "--signing-time", SIGNING_TIME, *extra)


def test_filetime_beyond_year_9999_is_shown_not_crashed(tmp_path, dev_keys):
    huge = base64.b64encode(b"\xff" * 8).decode()
    text = HEAD + f'[[entry]]\nsha1 = "{C060}"\nraw_attributes = [{{ oid = "1.3.6.1.4.1.311.10.11.104", ' \
                  f'value_base64 = "{huge}" }}]\n'
    assert build(tmp_path, text, dev_keys.signer_key.parent).exit_code == 0
    stl = tmp_path / "out" / "t.stl"
    shown = run("show", stl)
    assert shown.exit_code == 0 and "beyond the year 9999" in shown.stdout
    assert run("show", stl, "--json").exit_code == 0
    imported = run("import", stl, "-o", tmp_path / "back.toml")
    assert imported.exit_code == 0, imported.output


def test_diff_of_a_build_against_its_list_with_certificates_is_identical(tmp_path, dev_keys):
    from tests.fixtures_ms import fixture
    cert = fixture("certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt")
    text = HEAD.replace("disallowed", "trusted") + f'[[entry]]\ncert = "{cert}"\n'
    assert build(tmp_path, text, dev_keys.signer_key.parent).exit_code == 0
    result = run("diff", tmp_path / "out" / "t.stl", tmp_path / "t.toml")
    assert result.exit_code == 0, result.output


def test_unwritable_output_folder_is_one_line_exit_2(tmp_path, dev_keys):
    if os.geteuid() == 0:
        target = Path("/proc/ctlbuild-out")  # even root cannot create a folder here
    else:
        target = tmp_path / "ro"
        target.mkdir(mode=0o500)
    listed = tmp_path / "t.toml"
    listed.write_text(HEAD + f'[[entry]]\nsha1 = "{C060}"\n')
    result = run("build", listed, "-o", target, "--keys", dev_keys.signer_key.parent, "--signing-time", SIGNING_TIME)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output


def test_ecdsa_with_sha1_is_refused_cleanly(tmp_path, ec_keys):
    result = build(tmp_path, HEAD + f'[[entry]]\nsha1 = "{C060}"\n', ec_keys.signer_key.parent, "--digest", "sha1")
    assert result.exit_code == 2 and "ECDSA with SHA1 is not offered" in result.stderr


def test_signing_after_next_update_is_refused(tmp_path, dev_keys):
    text = HEAD.replace("outputs", 'next_update = 2023-12-31\noutputs') + f'[[entry]]\nsha1 = "{C060}"\n'
    result = build(tmp_path, text, dev_keys.signer_key.parent)
    assert result.exit_code == 2 and "after the list's next_update" in result.stderr


def test_manifest_names_the_list_file_not_the_path_typed(tmp_path, dev_keys):
    shutil.copy("examples/bulk-disallowed.toml", tmp_path)
    shutil.copy("examples/bulk-thumbprints.txt", tmp_path)
    keys = dev_keys.signer_key.parent
    out = tmp_path / "out"
    assert run("build", tmp_path / "bulk-disallowed.toml", "-o", out, "--keys", keys,
               "--signing-time", SIGNING_TIME).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["lists"]["bulk-disallowed"]["list"] == "bulk-disallowed.toml"
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        check = run("build", "bulk-disallowed.toml", "-o", "out", "--keys", keys, "--check")
    finally:
        os.chdir(cwd)
    assert check.exit_code == 0, check.output


def test_pem_with_a_bom(tmp_path):
    from tests.fixtures_ms import fixture
    pem = tmp_path / "bom.pem"
    pem.write_bytes(b"\xef\xbb\xbf" + fixture("certs/CDD4EEAE6000AC7F40C3802C171E30148030C072.crt").read_bytes())
    assert run("show", pem).exit_code == 0


def test_import_of_a_list_with_advisory_and_opus(tmp_path):
    result = run("import", "examples/diginotar-kb2616676.toml", "-o", tmp_path / "again.toml")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "again.toml").read_text()
    assert 'number = "2607712"' in text and '"zh-CN" = {' in text


@pytest.mark.parametrize("epoch", ["yesterday", "1e9"])
def test_bad_source_date_epoch(tmp_path, dev_keys, epoch):
    listed = tmp_path / "t.toml"
    listed.write_text(HEAD + f'[[entry]]\nsha1 = "{C060}"\n')
    result = run("build", listed, "-o", tmp_path / "out", "--keys", dev_keys.signer_key.parent,
                 env={"SOURCE_DATE_EPOCH": epoch})
    assert result.exit_code == 2 and "SOURCE_DATE_EPOCH" in result.stderr
