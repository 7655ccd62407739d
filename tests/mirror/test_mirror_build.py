"""mirror build: Microsoft's layout, one set published at a time, grace for removed roots."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.build.outputs import COMMIT, DELETE, STAGING, recover
from ctlbuild.errors import OutputError
from ctlbuild.formats.cab import read_cab
from ctlbuild.formats.sst import read_sst
from tests.conftest import SIGNING_TIME
from tests.fixtures_ms import anchor_paths, fixture
from tests.mirror.conftest import mirror_build, mirror_check, write_list
from tests.peers import DIGINOTAR, MICROSOFT

DISALLOWED = Path("examples/diginotar-kb2616676.toml")


@pytest.fixture
def lists(tmp_path, roots):
    v1 = write_list(tmp_path, "roots", "trusted", "2024-01-01T00:00:00Z", roots[:3])
    folder2 = tmp_path / "v2"
    folder2.mkdir()
    v2 = write_list(folder2, "roots", "trusted", "2024-02-01T00:00:00Z", roots[:2])
    return v1, v2


def test_layout_is_microsofts(tmp_path, keys_dir, roots, lists, dev_keys):
    out = tmp_path / "mirror"
    result = mirror_build(keys_dir, out, lists[0], DISALLOWED)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["authrootstl.cab", "disallowedcertstl.cab", "disallowedcert.sst",
                            "ctlbuild-mirror.json", *(r.crt for r in roots[:3])])
    assert [n for n, _ in read_cab((out / "authrootstl.cab").read_bytes())] == ["authroot.stl"]
    assert [n for n, _ in read_cab((out / "disallowedcertstl.cab").read_bytes())] == ["disallowedcert.stl"]
    for root in roots[:3]:
        assert (out / root.crt).read_bytes() == root.der  # DER, named by upper-case SHA-1
    assert read_sst((out / "disallowedcert.sst").read_bytes()).certificates == ()
    manifest = json.loads((out / "ctlbuild-mirror.json").read_text())
    assert manifest["format"] == "ctlbuild-mirror/1" and manifest["removed"] == {}
    assert manifest["files"]["authrootstl.cab"]["sha256"] == hashlib.sha256(
        (out / "authrootstl.cab").read_bytes()).hexdigest()
    check = mirror_check(out, dev_keys.root_cert)
    assert check.exit_code == 0, check.output


def test_same_inputs_same_bytes_and_nothing_rewritten(tmp_path, keys_dir, lists):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert mirror_build(keys_dir, out, lists[0], DISALLOWED).exit_code == 0
    assert {p.name: p.read_bytes() for p in a.iterdir()} == {p.name: p.read_bytes() for p in b.iterdir()}
    before = {p.name: p.stat().st_mtime_ns for p in a.iterdir() if p.suffix in (".crt", ".cab", ".sst")}
    again = mirror_build(keys_dir, a, lists[0], DISALLOWED)
    assert again.exit_code == 0 and "0 files written" in again.output and "6 unchanged" in again.output
    assert before == {p.name: p.stat().st_mtime_ns for p in a.iterdir() if p.suffix in (".crt", ".cab", ".sst")}


def test_removed_root_keeps_its_crt_for_the_grace_period(tmp_path, keys_dir, roots, lists, dev_keys):
    out = tmp_path / "mirror"
    assert mirror_build(keys_dir, out, lists[0]).exit_code == 0
    result = mirror_build(keys_dir, out, lists[1], signing_time="2024-02-01T00:00:00Z",
                          extra=("--keep-removed", "30d"))
    assert result.exit_code == 0, result.output
    gone = roots[2]
    assert (out / gone.crt).exists()
    removed = json.loads((out / "ctlbuild-mirror.json").read_text())["removed"]
    assert removed == {gone.sha1: {"removed": "2024-02-01T00:00:00Z", "keep_until": "2024-03-02T00:00:00Z"}}
    within = mirror_check(out, dev_keys.root_cert, "--at", "2024-02-15T00:00:00Z")
    assert within.exit_code == 0 and f"ok   grace     {gone.crt}: removed" in within.output
    late = mirror_check(out, dev_keys.root_cert, "--at", "2024-03-03T00:00:00Z")
    assert late.exit_code == 1 and f"FAIL grace     {gone.crt}: removed" in late.output
    # A later build past the grace period deletes it, in the same committed set.
    result = mirror_build(keys_dir, out, lists[1], signing_time="2024-03-03T00:00:00Z")
    assert result.exit_code == 0 and "1 deleted" in result.output
    assert not (out / gone.crt).exists()
    assert json.loads((out / "ctlbuild-mirror.json").read_text())["removed"] == {}
    assert mirror_check(out, dev_keys.root_cert, "--at", "2024-03-03T00:00:00Z").exit_code == 0


def test_keep_removed_zero_deletes_at_once(tmp_path, keys_dir, roots, lists):
    out = tmp_path / "mirror"
    assert mirror_build(keys_dir, out, lists[0]).exit_code == 0
    result = mirror_build(keys_dir, out, lists[1], signing_time="2024-02-01T00:00:00Z",
                          extra=("--keep-removed", "0d"))
    assert result.exit_code == 0 and not (out / roots[2].crt).exists()


def test_sequence_going_back_is_refused_and_nothing_changes(tmp_path, keys_dir, lists):
    out = tmp_path / "mirror"
    assert mirror_build(keys_dir, out, lists[1], signing_time="2024-02-01T00:00:00Z").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = mirror_build(keys_dir, out, lists[0])
    assert result.exit_code == 2
    assert "roots.toml: sequence number" in result.output and "lower than" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_same_sequence_other_content_is_refused(tmp_path, keys_dir, roots, lists):
    out = tmp_path / "mirror"
    assert mirror_build(keys_dir, out, lists[0]).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    changed = write_list(other, "roots", "trusted", "2024-01-01T00:00:00Z", roots[1:])
    result = mirror_build(keys_dir, out, changed)
    assert result.exit_code == 2 and "same sequence number" in result.output


def test_two_lists_of_one_kind_are_refused(tmp_path, keys_dir, lists):
    result = mirror_build(keys_dir, tmp_path / "m", lists[0], lists[1])
    assert result.exit_code == 2 and "a mirror has one authrootstl.cab" in result.output
    assert not (tmp_path / "m").exists()


def test_entries_without_certificate_are_named(tmp_path, keys_dir, roots, dev_keys):
    listing = tmp_path / "thumbs.toml"
    listing.write_text(f'name = "t"\nkind = "trusted"\nthis_update = 2024-01-01\n'
                       f'[[entry]]\nsha1 = "{roots[0].sha1}"\n[[entry]]\ncert = "{roots[1].path}"\n')
    out = tmp_path / "m"
    result = mirror_build(keys_dir, out, listing)
    assert result.exit_code == 0 and "1 of 2 trusted entries have no certificate" in result.output
    assert json.loads((out / "ctlbuild-mirror.json").read_text())["no_certificate"] == [roots[0].sha1]
    check = mirror_check(out, dev_keys.root_cert)
    assert check.exit_code == 0 and f"WARN crt       {roots[0].crt}: missing" in check.output
    # --certs supplies it.
    assert mirror_build(keys_dir, out, listing, extra=("--certs", roots[0].path.parent)).exit_code == 0
    assert (out / roots[0].crt).read_bytes() == roots[0].der


def test_microsofts_cabs_and_certificates(tmp_path, keys_dir):
    """Microsoft's own CTLs served unchanged, the roots' .crt as DER, the DigiNotar certificates
    in disallowedcert.sst: the folder certutil -syncWithWU would fill, built off Windows."""
    out = tmp_path / "mirror"
    result = mirror_build(keys_dir, out, fixture("authrootstl-2018-06-19.cab"),
                          fixture("disallowedcertstl-2012-05-30.cab"),
                          extra=("--certs", MICROSOFT / "certs", "--certs", DIGINOTAR))
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.crt"))) == 370
    members = dict(read_cab((out / "authrootstl.cab").read_bytes()))
    assert members["authroot.stl"] == fixture("authroot-2018-06-19.stl").read_bytes()
    store = read_sst((out / "disallowedcert.sst").read_bytes())
    assert sorted(hashlib.sha1(c.der).hexdigest().upper() for c in store.certificates) == sorted(
        p.stem for p in DIGINOTAR.glob("*.crt"))
    anchors = [a for p in anchor_paths() for a in ("--anchor", p)]
    check = mirror_check(out, anchors[1], *anchors[2:], "--allow-sha1", "--at", "2018-07-01T00:00:00Z")
    assert check.exit_code == 0, check.output
    assert "370 of 370 trusted entries have a matching .crt" in check.output
    assert "2 certificates, all listed in disallowedcertstl.cab" in check.output


def test_rename_order_certificates_before_cabinets(tmp_path, roots, lists, signer):
    from datetime import timedelta

    from ctlbuild.lists.reader import load_list
    from ctlbuild.mirror.builder import plan_mirror
    from ctlbuild.mirror.inputs import CertificatePool, input_from_list
    from tests.conftest import NOW

    item = input_from_list(load_list(lists[0]), signer, signing_time=NOW)
    plan = plan_mirror(tmp_path / "m", [item], CertificatePool([r.der for r in roots]),
                       keep_removed=timedelta(days=30), now=NOW)
    order = list(plan.staged)
    assert order[-1] == "ctlbuild-mirror.json" and order[-2] == "authrootstl.cab"
    assert all(n.endswith(".crt") for n in order[:-2])


def test_a_hostile_manifest_never_reaches_a_deletion(tmp_path, keys_dir, lists):
    out = tmp_path / "mirror"
    assert mirror_build(keys_dir, out, lists[0]).exit_code == 0
    victim = tmp_path / "victim.crt"
    victim.write_text("keep me")
    manifest = json.loads((out / "ctlbuild-mirror.json").read_text())
    manifest["removed"] = {"../victim": {"removed": "2020-01-01T00:00:00Z", "keep_until": "2020-01-02T00:00:00Z"}}
    (out / "ctlbuild-mirror.json").write_text(json.dumps(manifest))
    result = mirror_build(keys_dir, out, lists[0])
    assert result.exit_code == 2 and "ctlbuild-mirror.json" in result.output and "SHA-1" in result.output
    assert victim.read_text() == "keep me"


def test_a_committed_deletion_is_rolled_forward(tmp_path):
    """Killed after COMMIT: the next run finishes renames and deletions."""
    (tmp_path / "old.crt").write_text("old")
    staging = tmp_path / STAGING
    staging.mkdir()
    (staging / "new.crt").write_text("new")
    (staging / DELETE).write_text("old.crt")
    (staging / COMMIT).write_text("new.crt")
    recover(tmp_path)
    assert (tmp_path / "new.crt").read_text() == "new" and not (tmp_path / "old.crt").exists()
    assert not staging.exists()


def test_a_journal_naming_a_path_moves_and_deletes_nothing(tmp_path):
    """A planted DELETE journal cannot reach outside the folder: the whole set is refused."""
    (tmp_path / "old.crt").write_text("old")
    (tmp_path.parent / "outside").write_text("outside")
    staging = tmp_path / STAGING
    staging.mkdir()
    (staging / "new.crt").write_text("new")
    (staging / DELETE).write_text("old.crt\n../outside")
    (staging / COMMIT).write_text("new.crt")
    with pytest.raises(OutputError, match="DELETE names '../outside'"):
        recover(tmp_path)
    assert (tmp_path.parent / "outside").read_text() == "outside" and (tmp_path / "old.crt").exists()
    assert not (tmp_path / "new.crt").exists()


def test_a_pin_rules_ctl_gets_its_own_cab(tmp_path, keys_dir, roots, dev_keys):
    listing = tmp_path / "pins.toml"
    listing.write_text('name = "pins"\nkind = "trusted"\nthis_update = 2024-01-01\n'
                       'usages = ["pin_rules_ctl"]\n'
                       f'[[entry]]\ncert = "{roots[0].path}"\n')
    out = tmp_path / "m"
    result = mirror_build(keys_dir, out, listing)
    assert result.exit_code == 0, result.output
    assert [n for n, _ in read_cab((out / "pinrulesstl.cab").read_bytes())] == ["pinrules.stl"]
    assert not list(out.glob("*.crt")) and not (out / "authrootstl.cab").exists()
    # verify holds pin rules to a pin-rules signer (EKU 10.3.31), which the development
    # signer is not: the check says so, naming the cab.
    checked = mirror_check(out, dev_keys.root_cert)
    assert checked.exit_code == 1 and "pinrulesstl.cab" in checked.output and "10.3.31" in checked.output, \
        checked.output


def _auto_enroll_list(folder: Path, roots) -> Path:
    path = folder / "eku.toml"
    path.write_text(f'name = "eku"\nkind = "trusted"\nthis_update = 2024-01-01\nusages = ["auto_enroll_ctl"]\n'
                    f'[[entry]]\ncert = "{roots[0].path}"\n')
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d, roots: roots[0].path, "holds no CTL"),
    (_auto_enroll_list, "is no list Windows' auto-update fetches"),
])
def test_inputs_that_are_no_mirror_ctl(tmp_path, keys_dir, roots, make, message):
    result = mirror_build(keys_dir, tmp_path / "m", make(tmp_path, roots))
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "m").exists()


def test_bad_keep_removed(tmp_path, keys_dir, lists):
    result = mirror_build(keys_dir, tmp_path / "m", lists[0], extra=("--keep-removed", "soon"))
    assert result.exit_code == 2 and "--keep-removed" in result.output


def test_an_interrupted_publication_is_finished_before_the_next_plan(tmp_path, keys_dir, roots, lists, dev_keys):
    """Killed after COMMIT: the next mirror build first renames the committed set in, then plans
    from it (here: the later list is the one the folder serves, so going back is refused)."""
    out, newer = tmp_path / "mirror", tmp_path / "newer"
    assert mirror_build(keys_dir, out, lists[0]).exit_code == 0
    assert mirror_build(keys_dir, newer, lists[1], signing_time="2024-02-01T00:00:00Z").exit_code == 0
    staging = out / STAGING
    staging.mkdir()
    (staging / "authrootstl.cab").write_bytes((newer / "authrootstl.cab").read_bytes())
    (staging / COMMIT).write_text("authrootstl.cab")
    assert mirror_check(out, dev_keys.root_cert).exit_code == 1  # the pending set is a finding
    result = mirror_build(keys_dir, out, lists[0])
    assert result.exit_code == 2 and "lower than" in result.output
    assert (out / "authrootstl.cab").read_bytes() == (newer / "authrootstl.cab").read_bytes()
    assert not staging.exists()


@pytest.mark.slow
def test_killed_mirror_builds_leave_a_complete_set(tmp_path, keys_dir):
    """kill -9 at moments through a mirror build of 370 roots: after the next run's recovery the
    folder is the old set or the new one, and mirror check passes either way."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from datetime import datetime, timezone

    from ctlbuild.mirror.check import check_mirror
    from ctlbuild.signing.keyfiles import load_cert_file

    out = tmp_path / "mirror"
    base = [sys.executable, "-m", "ctlbuild", "mirror", "build", "-o", str(out), "--certs", str(MICROSOFT / "certs")]
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    subprocess.run(base + [str(fixture("authroot-2018-05-18.stl"))], env=env, check=True, capture_output=True)
    anchors = [der for p in anchor_paths() for der in load_cert_file(p)]
    served = set()
    for delay in (0.3, 0.7, 1.1, 1.5, 3.0):
        proc = subprocess.Popen(base + [str(fixture("authroot-2018-06-19.stl"))], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        recover(out)
        report = check_mirror(out, anchors, datetime(2018, 7, 1, tzinfo=timezone.utc), allow_sha1=True)
        assert report.ok, [f for f in report.findings if f.status == "fail"]
        served.add(dict(read_cab((out / "authrootstl.cab").read_bytes()))["authroot.stl"])
    assert served <= {fixture("authroot-2018-05-18.stl").read_bytes(), fixture("authroot-2018-06-19.stl").read_bytes()}


def test_a_signed_ctl_or_a_list_on_standard_input(tmp_path, keys_dir, roots, lists):
    """``-`` is read once (before, the CTL was read three times and the second read failed:
    "standard input can be read once"); the input is named <stdin>."""
    built = tmp_path / "built"
    assert mirror_build(keys_dir, built, lists[0]).exit_code == 0
    cab = (built / "authrootstl.cab").read_bytes()
    piped = tmp_path / "piped"
    result = CliRunner().invoke(main, ["mirror", "build", "-", "-o", str(piped), "--keys", str(keys_dir),
                                       "--certs", str(roots[0].path.parent)], input=cab)
    assert result.exit_code == 0, result.output
    assert (piped / "authrootstl.cab").read_bytes() == cab  # a signed CTL is served as it is
    assert sorted(p.name for p in piped.glob("*.crt")) == sorted(r.crt for r in roots[:3])
    from_list = tmp_path / "from-list"
    result = CliRunner().invoke(main, ["mirror", "build", "-", "-o", str(from_list), "--keys", str(keys_dir),
                                       "--signing-time", SIGNING_TIME], input=lists[0].read_bytes())
    assert result.exit_code == 0, result.output
    assert (from_list / "authrootstl.cab").read_bytes() == cab
    unsigned = CliRunner().invoke(main, ["mirror", "build", "-", "-o", str(tmp_path / "no"), "--keys",
                                         str(keys_dir)], input=b"junk")
    assert unsigned.exit_code == 2 and "<stdin>" in unsigned.output
