"""Issue 9: hostile files and a hostile out/. Every case runs the real CLI in a fresh
process under an address-space cap (tests/bounded.py) and must end with exit 1 or 2,
one line naming the file and the limit, peak RSS under 512 MiB — never exit 3, never a
traceback, never a file moved or written outside out/. The bombs are generated here,
small; nothing hostile is checked in."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ctlbuild.build.outputs import COMMIT, LOCK, STAGING
from ctlbuild.limits import MAX_CAB_UNCOMPRESSED, describe
from tests.bounded import PEAK_RSS_MIB, cab_bomb, nested_signatures, run_bounded, sst_of_empty_properties
from tests.conftest import SIGNING_TIME

HEAD = 'name = "hostile"\nkind = "disallowed"\nthis_update = 2024-01-01T00:00:00Z\noutputs = ["stl"]\n'
ENTRY = '[[entry]]\nsha1 = "' + "ab" * 20 + '"\n'


@pytest.fixture(scope="module")
def keys_dir(dev_keys):
    return dev_keys.signer_key.parent


def build(*args, cwd=None):
    return run_bounded("build", *args, "--signing-time", SIGNING_TIME, cwd=cwd)


# -- cabinets -------------------------------------------------------------------------------------

CAB_BOMBS = {
    # 4096 folders sharing 32 blocks of 32 KiB: 4 GiB from a 35 KB file
    "folders-share-blocks": dict(folders=4096),
    # 1000 members, each a copy of the same 1 MiB folder: 1 GiB from 27 KB
    "members-share-a-folder": dict(members=1000),
}


@pytest.mark.parametrize("name", sorted(CAB_BOMBS))
@pytest.mark.parametrize("command", ["show", "verify"])
def test_cab_bomb_is_refused_before_inflating(tmp_path, name, command, dev_keys):
    path = tmp_path / f"{name}.cab"
    path.write_bytes(cab_bomb(**CAB_BOMBS[name]))
    anchor = ["--anchor", dev_keys.root_cert] if command == "verify" else []
    run = run_bounded(command, path, *anchor)
    run.assert_clean_refusal(str(path), f"more than {describe(MAX_CAB_UNCOMPRESSED)}")
    assert run.peak_mib < 128  # refused from the headers: nothing inflated at all


def test_cab_block_that_inflates_past_its_declared_size(tmp_path):
    """MSZIP blocks hold 32 KiB; one that inflates to 60 MiB costs that once, then is refused."""
    path = tmp_path / "liar.cab"
    path.write_bytes(cab_bomb(blocks=1, inflate_to=60 << 20))
    run_bounded("show", path).assert_clean_refusal(str(path), "malformed cabinet")


def test_cab_block_declaring_more_than_32_kib(tmp_path):
    path = tmp_path / "big-block.cab"
    path.write_bytes(cab_bomb(blocks=1, block_uncompressed=65535))
    run_bounded("show", path).assert_clean_refusal(str(path), "MS-CAB allows 32768")


# -- lists ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case, body, needle", [
    # 20,000 dotted parts (40 KB): rtoml refuses; tomllib's re-read was quadratic (21 s, 1.6 GiB)
    ("dotted-keys", ".".join(["a"] * 20_000) + " = 1\n", "TOML syntax"),
    ("5000-digit-integer", "sequence = " + "9" * 5000 + "\n", "TOML syntax"),
    ("arrays-1000-deep", "usages = " + "[" * 1000 + "]" * 1000 + "\n", "TOML syntax"),
])
def test_hostile_toml_is_a_syntax_error(tmp_path, case, body, needle, keys_dir):
    path = tmp_path / f"{case}.toml"
    path.write_text(HEAD + body + ENTRY)
    run = build(path, "-o", tmp_path / "out", "--keys", keys_dir)
    run.assert_clean_refusal(str(path), needle)
    assert run.cpu < 10  # generous: what the issue saw was 21 s for 40 KB


def test_certificate_file_from_dev_zero(tmp_path, keys_dir):
    path = tmp_path / "zero.toml"
    path.write_text(HEAD + '[[entry]]\ncert = "/dev/zero"\n')
    build(path, "-o", tmp_path / "out", "--keys", keys_dir).assert_clean_refusal(
        str(path), "/dev/zero", "16 MiB limit")


def test_list_file_from_dev_zero(tmp_path, keys_dir):
    build("/dev/zero", "-o", tmp_path / "out", "--keys", keys_dir).assert_clean_refusal("/dev/zero", "limit")


def test_signing_key_from_dev_zero(tmp_path, dev_keys):
    path = tmp_path / "list.toml"
    path.write_text(HEAD + ENTRY)
    run = build(path, "-o", tmp_path / "out", "--key", "/dev/zero", "--cert", dev_keys.signer_cert,
                "--insecure-key-permissions")
    run.assert_clean_refusal("/dev/zero", "16 MiB limit")


def test_thumbprint_file_of_one_40_mb_line(tmp_path, keys_dir):
    """Spaced pairs, so the old reader tokenised all of it (2.8 GiB for 100 MB)."""
    (tmp_path / "one-line.txt").write_bytes(b"ab " * ((40 << 20) // 3))
    path = tmp_path / "list.toml"
    path.write_text(HEAD + '[[entry]]\nthumbprints = "one-line.txt"\n')
    build(path, "-o", tmp_path / "out", "--keys", keys_dir).assert_clean_refusal(
        "one-line.txt:1", "longer than 4096 characters")


# -- signed CTLs with nested signatures -----------------------------------------------------------

@pytest.mark.parametrize("shape, needle", [
    (dict(depth=2000), "nested deeper than 64"),    # 300 KB: RecursionError in show and verify
    # 670 KB; ten times as many (6.7 MB) took 720 MiB and 27 s of CPU, now 44 MiB and 1 s
    (dict(width=6_000), "more than 50000 DER elements"),
])
def test_nested_signatures_are_bounded(tmp_path, shape, needle, dev_keys):
    path = tmp_path / "nested.stl"
    path.write_bytes(nested_signatures(**shape))
    run_bounded("show", path).assert_clean_refusal(str(path), needle)
    # verify judges a file that is not a readable signed CTL as bad input (issue 8): exit 2, one line.
    verify = run_bounded("verify", path, "--anchor", dev_keys.root_cert)
    verify.assert_clean_refusal(str(path), needle)
    assert verify.peak_mib < PEAK_RSS_MIB


# -- serialized stores ----------------------------------------------------------------------------

def test_ten_million_empty_properties(tmp_path):
    path = tmp_path / "props.sst"
    path.write_bytes(sst_of_empty_properties(10_000_000))  # 114 MiB: it took 917 MiB
    run_bounded("show", path).assert_clean_refusal(str(path), "more than 1024 properties before one context")


# Properties spread over many contexts, past MAX_SST_ELEMENTS: tests/formats/test_sst.py
# (in-process, with the cap lowered; at the real cap, 10M such properties in 114 MiB peak
# at 289 MiB instead of 917).


# -- a hostile out/ -------------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path, dev_keys):
    """A project folder: its own keys (copies of the session's), a list and out/."""
    keys = tmp_path / "keys"
    shutil.copytree(dev_keys.signer_key.parent, keys)
    (tmp_path / "list.toml").write_text(HEAD + ENTRY)
    (tmp_path / "out").mkdir()
    return tmp_path


def _build_project(project: Path):
    return build("list.toml", "-o", "out", "--keys", "keys", cwd=project)


def test_commit_marker_naming_a_file_outside_out(project):
    key = project / "keys" / "dev-signer.key"
    before = key.read_bytes()
    staging = project / "out" / STAGING
    staging.mkdir()
    (staging / "dev-signer.key").write_bytes(b"attacker's key")
    (staging / COMMIT).write_text("../keys/dev-signer.key\n")
    _build_project(project).assert_clean_refusal(STAGING, "'../keys/dev-signer.key'", "nothing was moved")
    assert key.read_bytes() == before
    assert not (project / "out" / "hostile.stl").exists()


@pytest.mark.parametrize("plant", ["staged-file-link", "staging-folder-link", "commit-link"])
def test_links_in_the_staging_folder_are_never_followed(project, plant):
    elsewhere = project / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "hostile.stl").write_bytes(b"planted")
    staging = project / "out" / STAGING
    if plant == "staging-folder-link":
        (elsewhere / COMMIT).write_text("hostile.stl\n")
        staging.symlink_to(elsewhere)
    else:
        staging.mkdir()
        (staging / "hostile.stl").symlink_to(elsewhere / "hostile.stl")
        if plant == "commit-link":
            (elsewhere / "list").write_text("hostile.stl\n")
            (staging / COMMIT).symlink_to(elsewhere / "list")
        else:
            (staging / COMMIT).write_text("hostile.stl\n")
    _build_project(project).assert_clean_refusal(STAGING, "symbolic link", "nothing was moved")
    assert (elsewhere / "hostile.stl").read_bytes() == b"planted"
    assert not os.path.lexists(project / "out" / "hostile.stl")


def test_a_build_after_refusal_succeeds_once_the_folder_is_removed(project):
    staging = project / "out" / STAGING
    staging.mkdir()
    (staging / COMMIT).write_text("/etc/passwd\n")
    assert _build_project(project).rc == 2
    shutil.rmtree(staging)
    run = _build_project(project)
    assert run.rc == 0, run.stderr
    assert (project / "out" / "hostile.stl").exists()


def test_lock_file_linked_elsewhere(project):
    target = project / "precious.txt"
    target.write_text("keep me\n")
    (project / "out" / LOCK).symlink_to(target)
    _build_project(project).assert_clean_refusal(LOCK, "symbolic link")
    assert target.read_text() == "keep me\n"


def test_lock_file_hard_linked_elsewhere(project):
    target = project / "precious.txt"
    target.write_text("keep me\n")
    os.link(target, project / "out" / LOCK)
    _build_project(project).assert_clean_refusal(LOCK, "hard links")
    assert target.read_text() == "keep me\n"


def test_keys_init_through_a_dangling_link(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    planted = tmp_path / "planted.pem"
    (keys / "dev-signer.pem").symlink_to(planted)
    run = run_bounded("keys", "init", "--dir", keys)
    run.assert_clean_refusal("dev-signer.pem (a symbolic link)")
    assert not planted.exists() and not (keys / "dev-signer.key").exists()


# -- secrets ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("uri", ["pkcs11:token=x;pin-value:918273", "pkcs11:token=x;918273",
                                 "pkcs11:token=x?918273"])
def test_pin_is_never_echoed(tmp_path, uri):
    path = tmp_path / "list.toml"
    path.write_text(HEAD + ENTRY)
    run = build(path, "-o", tmp_path / "out", "--key", uri)
    run.assert_clean_refusal("PKCS#11 URI")
    assert "918273" not in run.stderr and "9182" not in run.stderr


# -- import writes only what loads and builds -------------------------------------------------------

def _cli(*args):
    from click.testing import CliRunner

    from ctlbuild._cli import main
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def signed_list(tmp_path, keys_dir):
    """A signed CTL whose one entry's friendly name holds a DEL (0x7f)."""
    path = tmp_path / "src.toml"
    path.write_text(HEAD + ENTRY + 'friendly_name = "bad\\u007fname"\n')
    result = _cli("build", path, "-o", tmp_path / "built", "--keys", keys_dir, "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    return tmp_path / "built" / "hostile.stl"


def _import_then_build(source: Path, tmp_path: Path, keys_dir) -> "LoadedList":  # noqa: F821
    from ctlbuild.lists.reader import load_list
    imported = tmp_path / "imported.toml"
    result = _cli("import", source, "-o", imported)
    assert result.exit_code == 0, result.output
    loaded = load_list(imported)
    result = _cli("build", imported, "-o", tmp_path / "rebuilt", "--keys", keys_dir, "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    return loaded


def test_a_newline_in_the_source_name_cannot_inject_a_signer(tmp_path, signed_list, keys_dir):
    hostile = tmp_path / 'x.stl\nsigner = { key = "attacker.key" }\n#'
    shutil.copy(signed_list, hostile)
    loaded = _import_then_build(hostile, tmp_path, keys_dir)
    assert loaded.signer is None
    text = (tmp_path / "imported.toml").read_text()
    assert text.splitlines()[0].startswith("# Imported by ctlbuild from ") and "\nsigner" not in text


def test_a_del_in_a_friendly_name_imports_and_builds(tmp_path, signed_list, keys_dir):
    loaded = _import_then_build(signed_list, tmp_path, keys_dir)
    assert loaded.trust_list.entries[0].friendly_name == "bad\x7fname"


@pytest.mark.parametrize("member", ["x/.stl", "../../evil.stl", "-.stl", ".stl"])
def test_cab_member_names_become_list_names_that_build(tmp_path, signed_list, keys_dir, member):
    from datetime import datetime

    from ctlbuild.formats.cab import write_cab
    cab = tmp_path / "in.cab"
    cab.write_bytes(write_cab(member, signed_list.read_bytes(), datetime(2024, 1, 1)))
    loaded = _import_then_build(cab, tmp_path, keys_dir)
    assert loaded.trust_list.name[0].isalnum() and "/" not in loaded.trust_list.name
    assert (tmp_path / "rebuilt" / f"{loaded.trust_list.name}.stl").exists()


def test_an_import_name_that_is_no_list_name_is_refused(tmp_path, signed_list):
    result = _cli("import", signed_list, "-o", tmp_path / "i.toml", "--name", "../x")
    assert result.exit_code == 2 and "--name '../x'" in result.output
    assert not (tmp_path / "i.toml").exists()


def test_build_check_against_an_output_linked_to_dev_zero(project):
    assert _build_project(project).rc == 0
    stl = project / "out" / "hostile.stl"
    stl.unlink()
    stl.symlink_to("/dev/zero")
    run = build("list.toml", "-o", "out", "--keys", "keys", "--check", cwd=project)
    assert run.rc == 1, run.stderr
    assert "hostile.stl: differs from the rebuild (larger than the rebuild)" in run.stdout + run.stderr
    assert run.peak_mib < PEAK_RSS_MIB


def test_an_error_naming_a_hostile_member_name_stays_one_line(tmp_path):
    from datetime import datetime

    from ctlbuild.formats.cab import write_cab
    path = tmp_path / "forged.cab"
    path.write_bytes(write_cab("a.txt\nctlbuild: verified OK\n", b"x", datetime(2024, 1, 1)))
    run_bounded("show", path).assert_clean_refusal(str(path), "no .stl member", "\\x0actlbuild: verified OK")


@pytest.mark.parametrize("case, fields, needle", [
    ("short-identifier", {}, "identifier of 5 bytes where the subject algorithm's are 20"),
    ("unknown-algorithm", {"subject_algorithm": "1.2.840.113549.2.5"}, "has no list field"),
])
def test_a_ctl_no_list_can_express_is_refused_not_imported(tmp_path, case, fields, needle):
    from datetime import datetime, timezone

    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.model import Entry, TrustList
    size = 5 if case == "short-identifier" else 16
    tl = TrustList(name="odd", kind="disallowed", this_update=datetime(2024, 1, 1, tzinfo=timezone.utc),
                   entries=(Entry(identifier=b"\1" * size),), **fields)
    path = tmp_path / f"{case}.ctl"
    path.write_bytes(encode_ctl(tl))
    run = run_bounded("import", path, "-o", tmp_path / "odd.toml")
    run.assert_clean_refusal(str(path), needle)
    assert not (tmp_path / "odd.toml").exists()


def test_a_ctl_dated_before_dos_time_imports_without_a_cab(tmp_path):
    from datetime import datetime, timezone

    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.lists.reader import load_list
    from ctlbuild.model import Entry, TrustList
    tl = TrustList(name="old", kind="disallowed", this_update=datetime(1975, 1, 1, tzinfo=timezone.utc),
                   entries=(Entry(identifier=b"\1" * 20),))
    (tmp_path / "old.ctl").write_bytes(encode_ctl(tl))
    result = _cli("import", tmp_path / "old.ctl", "-o", tmp_path / "old.toml")
    assert result.exit_code == 0, result.output
    assert load_list(tmp_path / "old.toml").outputs == ("stl", "sst")


#: Every command that reads a folder a user names, with "many" standing for the folder.
FOLDER_READERS = {
    "show DIR": ["show", "many"],
    "show --certs DIR": ["show", "one.toml", "--certs", "many"],
    "verify --anchor DIR": ["verify", "ignored.stl", "--anchor", "many"],
    "export --certs DIR": ["export", "one.toml", "--to", "pem", "-o", "x.pem", "--certs", "many"],
    "history DIR": ["history", "many"],
    "status DIR": ["status", "many"],
    "changelog DIR": ["changelog", "many"],
    "list certs = DIR": ["show", "certs-dir.toml"],
}
#: The folder readers that refuse a folder past MAX_CERT_FOLDER_BYTES (those of certificates).
CERT_FOLDER_READERS = ["show DIR", "show --certs DIR", "verify --anchor DIR", "export --certs DIR",
                       "list certs = DIR"]


def _folder_case(tmp_path, monkeypatch, files: dict[str, bytes]):
    folder = tmp_path / "many"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (tmp_path / "ignored.stl").write_bytes(b"x")
    head = 'kind = "trusted"\nthis_update = 2024-01-01\n'
    (tmp_path / "one.toml").write_text(f'name = "one"\n{head}[[entry]]\nsha1 = "{"ab" * 20}"\n')
    (tmp_path / "certs-dir.toml").write_text(f'name = "d"\n{head}[[entry]]\ncerts = "many/"\n')
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("reader", sorted(FOLDER_READERS))
def test_every_folder_reader_is_bounded(tmp_path, monkeypatch, reader):
    """Each reader of a folder lists it through limits.folder_files, which stops at
    MAX_CERT_FOLDER_FILES before sorting (export, history, status, changelog and a list's
    certs = "DIR/" had their own listing)."""
    from ctlbuild import limits

    monkeypatch.setattr(limits, "MAX_CERT_FOLDER_FILES", 3)
    _folder_case(tmp_path, monkeypatch, {f"{i}.crt": b"x" for i in range(5)})
    result = _cli(*FOLDER_READERS[reader])
    assert result.exit_code == 2, result.output
    assert "more than 3 files" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("reader", CERT_FOLDER_READERS)
def test_every_certificate_folder_reader_bounds_the_bytes_it_reads(tmp_path, monkeypatch, reader, dev_keys):
    """limits.FolderBudget: the files of a folder of certificates cost MAX_CERT_FOLDER_BYTES
    together, and none is read past it (before, only show --certs counted)."""
    from ctlbuild import limits

    a, b = dev_keys.root_cert.read_bytes(), dev_keys.signer_cert.read_bytes()
    monkeypatch.setattr(limits, "MAX_CERT_FOLDER_BYTES", len(a) + len(b) - 1)  # one file fits, not two
    _folder_case(tmp_path, monkeypatch, {"a.pem": a, "b.pem": b})
    result = _cli(*FOLDER_READERS[reader])
    assert result.exit_code == 2, result.output
    assert "certificates in the folder exceed the" in result.output and "Traceback" not in result.output
    assert "(at b.pem)" in result.output
    monkeypatch.setattr(limits, "MAX_CERT_FOLDER_BYTES", len(a) + len(b))  # both fit, to the byte
    again = _cli(*FOLDER_READERS[reader])
    assert "exceed" not in again.output
    # verify's file and export's list are stand-ins that fail later, on their own account
    assert again.exit_code == 0 or reader in ("verify --anchor DIR", "export --certs DIR"), again.output


#: Where each certificate-folder reader takes its per-file cap from (module, name).
PER_FILE_CAP = {
    "show DIR": ("ctlbuild.lists.sources", "MAX_INPUT_FILE"),
    "verify --anchor DIR": ("ctlbuild.signing.keyfiles", "MAX_CERT_FILE"),
    "export --certs DIR": ("ctlbuild.lists.sources", "MAX_INPUT_FILE"),
    "list certs = DIR": ("ctlbuild.lists.bounded", "MAX_CERT_FILE"),
}


@pytest.mark.parametrize("reader", sorted(PER_FILE_CAP))
def test_a_file_over_its_own_cap_is_named_not_the_folder(tmp_path, monkeypatch, reader, dev_keys):
    """Within a folder's budget, one file over its own cap is that file's error, even once the
    budget left is smaller than the cap."""
    import importlib

    from ctlbuild import limits

    pem = dev_keys.root_cert.read_bytes()
    cap = len(pem) + 100
    module, name = PER_FILE_CAP[reader]
    monkeypatch.setattr(importlib.import_module(module), name, cap)
    monkeypatch.setattr(limits, "MAX_CERT_FOLDER_BYTES", cap + 50)
    _folder_case(tmp_path, monkeypatch, {"a.pem": pem, "b.bin": b"x" * (cap + 1)})
    result = _cli(*FOLDER_READERS[reader])
    assert result.exit_code == 2, result.output
    assert "b.bin" in result.output and "exceed" not in result.output, result.output


def test_show_certs_still_passes_over_a_file_over_its_cap(tmp_path, monkeypatch, dev_keys):
    from ctlbuild import limits
    from ctlbuild.lists import bounded

    pem = dev_keys.root_cert.read_bytes()
    monkeypatch.setattr(bounded, "MAX_CERT_FILE", len(pem) + 100)  # the cap show --certs reads folders by
    monkeypatch.setattr(limits, "MAX_CERT_FOLDER_BYTES", len(pem) + 150)
    _folder_case(tmp_path, monkeypatch, {"a.pem": pem, "b.bin": b"x" * (len(pem) + 101)})
    result = _cli(*FOLDER_READERS["show --certs DIR"])
    assert result.exit_code == 0 and "1 file skipped" in result.output, result.output


@pytest.mark.parametrize("certificate_only", [False, True], ids=["empty", "certificates-only"])
def test_changelog_of_a_folder_without_releases_is_bad_input(tmp_path, monkeypatch, certificate_only, dev_keys):
    """It was an internal error (exit 3: "a changelog needs at least one version")."""
    _folder_case(tmp_path, monkeypatch, {"a.ctl": dev_keys.root_cert.read_bytes()} if certificate_only else {})
    result = _cli("changelog", "many")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "many" in result.output
