"""mirror check: Windows Update's own layout passes; every kind of damage fails, naming the file."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from ctlbuild.formats.cab import read_cab, write_cab
from ctlbuild.formats.certificates import load_certificates
from ctlbuild.formats.sst import SerializedStore, SstContext, write_sst
from tests.fixtures_ms import anchor_paths, fixture
from tests.mirror.conftest import mirror_build, run, write_list
from tests.peers import MICROSOFT

WHEN = "2018-07-01T00:00:00Z"
VICTIM = "CDD4EEAE6000AC7F40C3802C171E30148030C072"  # Microsoft Root Authority, an entry of the 2018 CTL
OTHER = "3B1EFD3A66EA28B16697394703A72CA340A05BD5"


def check(folder, *extra):
    anchors = [a for p in anchor_paths() for a in ("--anchor", p)]
    return run("mirror", "check", folder, *anchors, "--allow-sha1", "--at", WHEN, *extra)


def windows_update_folder(dest: Path, der: bool = True) -> Path:
    """authrootstl-2018-06-19.cab beside its roots named by SHA-1, as ctldl.windowsupdate.com
    serves them (DER); der=False keeps the fixtures' PEM files as they are."""
    dest.mkdir()
    shutil.copyfile(fixture("authrootstl-2018-06-19.cab"), dest / "authrootstl.cab")
    for path in (MICROSOFT / "certs").glob("*.crt"):
        data = path.read_bytes()
        (dest / path.name).write_bytes(load_certificates(data)[0] if der else data)
    return dest


@pytest.fixture(scope="module")
def wu(tmp_path_factory) -> Path:
    return windows_update_folder(tmp_path_factory.mktemp("wu") / "mirror")


@pytest.fixture(scope="module")
def built(tmp_path_factory, keys_dir) -> Path:
    """The same CTL and roots through mirror build: DER roots and a manifest."""
    out = tmp_path_factory.mktemp("built") / "mirror"
    result = mirror_build(keys_dir, out, fixture("authrootstl-2018-06-19.cab"), extra=("--certs", MICROSOFT / "certs"))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(params=["windows-update", "mirror-build"])
def damaged(request, tmp_path) -> Path:
    """A copy to damage: of Windows Update's layout, and of a mirror built from the fixtures."""
    dest = tmp_path / "mirror"
    shutil.copytree(request.getfixturevalue("wu" if request.param == "windows-update" else "built"), dest)
    return dest


def failures(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("FAIL")]


@pytest.mark.parametrize("layout", ["wu", "built"])
def test_windows_updates_layout_passes(request, layout):
    result = check(request.getfixturevalue(layout))
    assert result.exit_code == 0, result.output
    assert "370 of 370 trusted entries have a matching .crt" in result.output
    assert "authroot.stl verifies (370 entries)" in result.output


def test_the_fixtures_pem_files_pass_with_one_warning(tmp_path):
    result = check(windows_update_folder(tmp_path / "pem", der=False))
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if "PEM" in line][0].startswith("WARN crt       370 .crt files")


def test_missing_crt(damaged):
    (damaged / f"{VICTIM}.crt").unlink()
    result = check(damaged)
    assert result.exit_code == 1
    assert any(f"{VICTIM}.crt: missing" in line for line in failures(result))


def test_renamed_crt(damaged):
    (damaged / f"{VICTIM}.crt").rename(damaged / "0000000000000000000000000000000000000000.crt")
    result = check(damaged)
    assert result.exit_code == 1
    fails = failures(result)
    assert any(f"{VICTIM}.crt: missing" in line for line in fails)
    assert any("0000000000000000000000000000000000000000.crt: a stray certificate" in line for line in fails)


def test_replaced_crt(damaged):
    shutil.copyfile(damaged / f"{OTHER}.crt", damaged / f"{VICTIM}.crt")
    result = check(damaged)
    assert result.exit_code == 1
    assert any(f"{VICTIM}.crt: holds certificate {OTHER}" in line for line in failures(result))


def test_truncated_crt(damaged):
    path = damaged / f"{VICTIM}.crt"
    path.write_bytes(path.read_bytes()[:200])
    result = check(damaged)
    assert result.exit_code == 1
    assert any(f"{VICTIM}.crt: not a certificate" in line for line in failures(result))


def test_tampered_ctl_in_the_cab(damaged):
    stl = bytearray(dict(read_cab((damaged / "authrootstl.cab").read_bytes()))["authroot.stl"])
    stl[len(stl) // 2] ^= 0x01  # inside the entries: the signed digest no longer matches
    (damaged / "authrootstl.cab").write_bytes(write_cab("authroot.stl", bytes(stl), datetime(2018, 6, 19)))
    result = check(damaged)
    assert result.exit_code == 1
    assert any(line.startswith("FAIL signature authrootstl.cab: ") for line in failures(result))


def test_cab_with_a_second_member(damaged):
    from cabarchive import CabArchive, CabFile

    archive = CabArchive()
    archive["authroot.stl"] = CabFile(dict(read_cab((damaged / "authrootstl.cab").read_bytes()))["authroot.stl"])
    archive["extra.stl"] = CabFile(b"x")
    (damaged / "authrootstl.cab").write_bytes(archive.save(compress=True))
    result = check(damaged)
    assert result.exit_code == 1
    assert any("authrootstl.cab: holds authroot.stl, extra.stl" in line for line in failures(result))


def test_sequence_going_back_against_previous(tmp_path, wu):
    older = tmp_path / "older"
    older.mkdir()
    shutil.copyfile(fixture("authrootstl-2018-06-19.cab"), older / "authrootstl.cab")
    assert check(wu, "--previous", older).exit_code == 0
    newer_stl = fixture("authroot-2018-06-19.stl").read_bytes()
    earlier = tmp_path / "current"  # serves the 2018-05-18 CTL after clients saw 2018-06-19
    windows_update_folder(earlier)
    (earlier / "authrootstl.cab").write_bytes(
        write_cab("authroot.stl", fixture("authroot-2018-05-18.stl").read_bytes(),
                  datetime(2018, 5, 18)))
    later = tmp_path / "later"
    later.mkdir()
    (later / "authrootstl.cab").write_bytes(write_cab("authroot.stl", newer_stl, datetime(2018, 6, 19)))
    result = check(earlier, "--previous", later)
    assert result.exit_code == 1
    assert any(line.startswith("FAIL sequence  authrootstl.cab: sequence number went back") for line in failures(result))


@pytest.mark.parametrize("make, kind", [
    (lambda d: (d / "notes.txt").write_text("hi"), "notes.txt: a stray file"),
    (lambda d: (d / ".authrootstl.cab.x1.tmp").write_bytes(b"MSCF"), ".authrootstl.cab.x1.tmp: a half-written"),
    (lambda d: (d / ".ctlbuild-staging").mkdir(), ".ctlbuild-staging: an interrupted mirror build"),
    (lambda d: os.symlink("/etc/passwd", d / "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD.crt"),
     "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD.crt: not a regular file"),
    (lambda d: (d / "sub").mkdir(), "sub: not a regular file"),
])
def test_stray_and_half_written_files(damaged, make, kind):
    make(damaged)
    result = check(damaged)
    assert result.exit_code == 1
    assert any(kind in line for line in failures(result)), result.output


def test_a_name_with_control_characters_is_escaped(damaged):
    (damaged / "evil\x1b[2Jname").write_text("x")
    result = check(damaged)
    assert result.exit_code == 1 and "\x1b" not in result.output


def test_json_findings(damaged):
    (damaged / f"{VICTIM}.crt").unlink()
    result = check(damaged, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False and report["failures"] >= 1
    assert {"status": "fail", "check": "crt", "file": f"{VICTIM}.crt"}.items() <= \
        next(f for f in report["findings"] if f["file"] == f"{VICTIM}.crt").items()


def test_bad_input_is_exit_2(tmp_path):
    assert run("mirror", "check", tmp_path).exit_code == 2  # no anchor
    result = run("mirror", "check", tmp_path / "absent", "--anchor", anchor_paths()[0])
    assert result.exit_code == 2 and "is not a folder" in result.output


def test_empty_folder_fails(tmp_path):
    result = check(tmp_path)
    assert result.exit_code == 1 and "no CTL cabinet" in result.output


def test_disallowed_store_with_a_foreign_certificate(tmp_path, keys_dir, roots, dev_keys):
    out = tmp_path / "m"
    listing = write_list(tmp_path, "bad", "disallowed", "2024-01-01T00:00:00Z", roots[:1])
    assert mirror_build(keys_dir, out, listing).exit_code == 0
    ok = run("mirror", "check", out, "--anchor", dev_keys.root_cert, "--at", "2024-01-02T00:00:00Z")
    assert ok.exit_code == 0 and "1 certificates, all listed in disallowedcertstl.cab" in ok.output
    (out / "disallowedcert.sst").write_bytes(write_sst(SerializedStore((SstContext("cert", roots[1].der),))))
    result = run("mirror", "check", out, "--anchor", dev_keys.root_cert, "--at", "2024-01-02T00:00:00Z")
    assert result.exit_code == 1
    fails = failures(result)
    assert any(f"disallowedcert.sst: holds certificate {roots[1].sha1}" in line for line in fails)
    assert any("disallowedcert.sst: differs from what mirror build wrote" in line for line in fails)


@pytest.mark.parametrize("name, data, message", [
    ("authrootstl.cab", b"MSCF\0\0\0\0" + bytes(60), "authrootstl.cab: not a readable cabinet"),
    ("disallowedcertstl.cab", b"garbage", "disallowedcertstl.cab: not a readable cabinet"),
    ("disallowedcert.sst", b"\0\0\0\0CERT" + b"\x20\0\0\0\x01\0\0\0\xff\xff\xff\xff",
     "disallowedcert.sst: not a readable serialized store"),
    ("ctlbuild-mirror.json", b'{"format": "ctlbuild-mirror/1", "files": {"../../etc/passwd": {}}}',
     "ctlbuild-mirror.json: unreadable"),
    ("ctlbuild-mirror.json", b"\xff\xfe not json", "ctlbuild-mirror.json: unreadable"),
])
def test_hostile_files_are_findings_not_crashes(damaged, name, data, message):
    (damaged / name).write_bytes(data)
    result = check(damaged)
    assert result.exit_code == 1, result.output
    assert any(message in line for line in failures(result)), result.output


def test_an_oversized_crt_is_not_read(damaged):
    with open(damaged / f"{VICTIM}.crt", "wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: costs no disk, and is never read whole
    result = check(damaged)
    assert result.exit_code == 1
    assert any(f"{VICTIM}.crt: not a certificate" in line and "larger than" in line for line in failures(result))


def test_dates_and_signer_expiry(tmp_path, keys_dir, roots, dev_keys):
    listing = tmp_path / "soon.toml"
    listing.write_text('name = "soon"\nkind = "trusted"\nthis_update = 2024-01-01\nnext_update = 2024-01-05\n'
                       f'[[entry]]\ncert = "{roots[0].path}"\n')
    out = tmp_path / "m"
    assert mirror_build(keys_dir, out, listing).exit_code == 0

    def at(when):
        return run("mirror", "check", out, "--anchor", dev_keys.root_cert, "--at", when)

    soon = at("2024-01-02T00:00:00Z")
    assert soon.exit_code == 0 and "WARN freshness authrootstl.cab: nextUpdate 2024-01-05T00:00:00Z is in 3 days" \
        in soon.output
    late = at("2024-01-06T00:00:00Z")
    assert late.exit_code == 1
    assert "FAIL signature authrootstl.cab: next-update: nextUpdate 2024-01-05T00:00:00Z has passed" in late.output
    early = at("2023-12-01T00:00:00Z")
    assert "WARN freshness authrootstl.cab: thisUpdate 2024-01-01T00:00:00Z is in the future" in early.output


def test_a_signer_about_to_expire_is_a_warning(tmp_path, keys_dir, roots, dev_keys):
    listing = write_list(tmp_path, "r", "trusted", "2024-01-01T00:00:00Z", roots[:1])
    out = tmp_path / "m"
    assert mirror_build(keys_dir, out, listing).exit_code == 0
    result = run("mirror", "check", out, "--anchor", dev_keys.root_cert, "--at", "2025-12-15T00:00:00Z")
    assert result.exit_code == 0, result.output
    assert any(line.startswith("WARN signer    authrootstl.cab: signer ") and "(in 16 days)" in line
               for line in result.output.splitlines()), result.output


def test_a_ctl_of_sha256_identifiers_finds_its_roots_by_certificate(tmp_path, keys_dir, roots, dev_keys):
    listing = tmp_path / "s.toml"
    listing.write_text('name = "s"\nkind = "trusted"\nthis_update = 2024-01-01\nsubject_algorithm = "sha256"\n'
                       + "".join(f'[[entry]]\ncert = "{r.path}"\n' for r in roots[:2]))
    out = tmp_path / "m"
    assert mirror_build(keys_dir, out, listing).exit_code == 0
    assert sorted(p.name for p in out.glob("*.crt")) == sorted(r.crt for r in roots[:2])
    result = run("mirror", "check", out, "--anchor", dev_keys.root_cert, "--at", "2024-01-02T00:00:00Z")
    assert result.exit_code == 0 and "2 of 2 trusted entries have a matching .crt" in result.output, result.output
    (out / roots[1].crt).unlink()
    result = run("mirror", "check", out, "--anchor", dev_keys.root_cert, "--at", "2024-01-02T00:00:00Z")
    assert "1 entries name no SHA-1 and no .crt holds their certificate" in result.output
