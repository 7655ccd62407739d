"""The command line, in-process: exit statuses, one-line errors, nothing half-written."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from tests.conftest import SIGNING_TIME

EXAMPLES = sorted(Path("examples").glob("*.toml"))


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def keys_dir(dev_keys):
    return dev_keys.signer_key.parent


@pytest.fixture
def built(tmp_path, keys_dir):
    out = tmp_path / "out"
    result = run("build", *EXAMPLES, "-o", out, "--keys", keys_dir, "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    return out


def test_build_writes_stl_and_manifest(built):
    manifest = json.loads((built / "manifest.json").read_text())
    record = manifest["lists"]["diginotar-kb2616676"]
    assert record["entries"] == 11 and record["signing_time"] == SIGNING_TIME
    assert record["list_sha256"] and record["tool_version"]
    import hashlib
    data = (built / "diginotar-kb2616676.stl").read_bytes()
    assert record["outputs"]["diginotar-kb2616676.stl"] == {"sha256": hashlib.sha256(data).hexdigest(),
                                                           "size": len(data)}
    leftovers = [p.name for p in built.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no temporaries, no staging folder, no lock file left


def test_rebuild_is_byte_identical(tmp_path, keys_dir, built):
    again = tmp_path / "again"
    result = run("build", *EXAMPLES, "-o", again, "--keys", keys_dir,
                 env={"SOURCE_DATE_EPOCH": "1704067200"})  # = SIGNING_TIME
    assert result.exit_code == 0, result.output
    for name in ["diginotar-kb2616676.stl", "bulk-disallowed.stl", "manifest.json"]:
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


def test_verify_passes_and_checks_the_list(built, dev_keys):
    result = run("verify", built / "diginotar-kb2616676.stl", "--anchor", dev_keys.root_cert,
                 "--list", "examples/diginotar-kb2616676.toml", "--at", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.stdout


def test_verify_failure_exit_1(built, dev_keys):
    result = run("verify", built / "diginotar-kb2616676.stl", "--anchor", dev_keys.root_cert,
                 "--list", "examples/diginotar-kb2607712.toml", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and any(f["check"] == "list" and f["status"] == "fail" for f in report["findings"])


@pytest.mark.parametrize("args, message", [
    (["verify", "examples/diginotar-kb2616676.toml"], "needs at least one --anchor"),
    (["verify", "missing.stl", "--anchor", "missing.pem"], "missing.pem: cannot read certificate"),
    (["show", "README.md"], "neither a PEM nor a DER certificate"),
    (["import", "examples/bulk-thumbprints.txt", "-o", "x.toml"], "neither a PEM nor a DER"),
    (["show", "nowhere.stl"], "nowhere.stl: cannot read"),
    (["build", "examples/diginotar-kb2616676.toml", "--signing-time", "yesterday"], "--signing-time"),
])
def test_bad_input_is_one_line_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output


def test_bad_list_writes_nothing(tmp_path, keys_dir):
    good = Path("examples/diginotar-kb2607712.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace('sha1 = "c0 60', 'sha1 = "c0 6'))
    out = tmp_path / "out"
    result = run("build", good, bad, "-o", out, "--keys", keys_dir)
    assert result.exit_code == 2
    line = bad.read_text().splitlines().index('sha1 = "c0 6 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"') + 1
    assert f"bad.toml:{line}: entry DigiNotar Root CA: sha1: thumbprint" in result.stderr
    assert not out.exists()


def test_missing_signer_is_explained(tmp_path):
    result = run("build", "examples/diginotar-kb2607712.toml", "-o", tmp_path / "out", "--keys", tmp_path / "none")
    assert result.exit_code == 2
    assert "ctlbuild keys init" in result.stderr


def test_show_styles_and_json(built):
    stl = built / "diginotar-kb2616676.stl"
    text = run("show", stl).stdout
    assert "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c" in text
    assert "ctlbuild example: DigiNotar distrust" in text
    colon = run("show", stl, "--thumbprint-style", "colon").stdout
    assert "C0:60:ED:44" in colon
    data = json.loads(run("show", stl, "--json").stdout)
    assert data["header"]["entry_count"] == 11
    assert data["header"]["signers"][0]["subject"].startswith("ctlbuild DEVELOPMENT CTL Signer")
    assert data["entries"][0]["friendly_name"] == "DigiNotar Root CA"


def test_keys_init_refuses_to_overwrite(tmp_path):
    first = run("keys", "init", "--dir", tmp_path / "k")
    assert first.exit_code == 0, first.output
    assert (tmp_path / "k" / "dev-signer.key").stat().st_mode & 0o777 == 0o600
    second = run("keys", "init", "--dir", tmp_path / "k")
    assert second.exit_code == 2 and "already present" in second.stderr


def test_two_lists_with_one_name(tmp_path, keys_dir):
    copy = tmp_path / "copy.toml"
    shutil.copy("examples/diginotar-kb2607712.toml", copy)
    result = run("build", "examples/diginotar-kb2607712.toml", copy, "-o", tmp_path / "out", "--keys", keys_dir)
    assert result.exit_code == 2 and "two lists are named" in result.stderr
