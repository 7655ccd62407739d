"""Nothing lost: staged publication, the lock, recovery after a kill, and build --check."""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.build.outputs import (
    COMMIT,
    MANIFEST,
    STAGING,
    OutputDir,
    recover,
    write_outputs,
)
from ctlbuild.errors import OutputError
from tests.conftest import SIGNING_TIME

CTLBUILD = [sys.executable, "-m", "ctlbuild"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def consistent(out: Path) -> bool:
    """Every file the manifest names exists with the recorded hash and size."""
    manifest = json.loads((out / MANIFEST).read_text())
    for record in manifest["lists"].values():
        for name, expected in record["outputs"].items():
            data = (out / name).read_bytes()
            if {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)} != expected:
                return False
    return True


def test_publish_is_staged_then_renamed(tmp_path):
    write_outputs(tmp_path, {"a.stl": b"one"}, {"a": {"outputs": {"a.stl": {}}}})
    assert (tmp_path / "a.stl").read_bytes() == b"one" and not (tmp_path / STAGING).exists()
    write_outputs(tmp_path, {"b.stl": b"two"}, {"b": {"outputs": {}}})
    assert set(json.loads((tmp_path / MANIFEST).read_text())["lists"]) == {"a", "b"}  # others kept


def test_recovery_rolls_forward_a_committed_build_and_drops_an_uncommitted_one(tmp_path):
    (tmp_path / "a.stl").write_bytes(b"old")
    staging = tmp_path / STAGING
    staging.mkdir()
    (staging / "a.stl").write_bytes(b"new")
    (staging / MANIFEST).write_text("{}")
    recover(tmp_path)  # no COMMIT: as before
    assert (tmp_path / "a.stl").read_bytes() == b"old" and not staging.exists()
    staging.mkdir()
    (staging / "a.stl").write_bytes(b"new")
    (staging / MANIFEST).write_text('{"lists": {}}')
    (staging / COMMIT).write_text(f"a.stl\n{MANIFEST}")
    recover(tmp_path)  # committed: finished
    assert (tmp_path / "a.stl").read_bytes() == b"new" and (tmp_path / MANIFEST).exists()


def test_a_second_build_waits_then_fails_clearly(tmp_path):
    with OutputDir(tmp_path):
        started = time.monotonic()
        with pytest.raises(OutputError, match="another ctlbuild build is writing here"):
            with OutputDir(tmp_path, wait_seconds=0.3):
                pass
        assert time.monotonic() - started >= 0.3
    with OutputDir(tmp_path, wait_seconds=0):  # released: free again
        pass


def test_two_builds_at_once_both_land_intact(tmp_path, dev_keys):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    procs = [subprocess.Popen(CTLBUILD + ["build", f"examples/{name}.toml", "-o", str(out), "--keys",
                                          str(dev_keys.signer_key.parent), "--signing-time", SIGNING_TIME],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in ("diginotar-kb2607712", "bulk-disallowed")]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["lists"]) == {"diginotar-kb2607712", "bulk-disallowed"}
    assert consistent(out)


@pytest.mark.slow
def test_killed_builds_leave_out_as_before_or_complete(tmp_path, dev_keys):
    """kill -9 at random moments while a 300k-entry list is built, encoded, signed and
    written: out/ always matches its manifest (after the next build's recovery if the kill
    fell between COMMIT and the last rename, a window of microseconds)."""
    thumbprints = tmp_path / "big.txt"
    rng = random.Random(7)
    thumbprints.write_text("".join(f"{rng.getrandbits(160):040x} root {i}\n" for i in range(300_000)))
    listed = tmp_path / "big.toml"
    listed.write_text('name = "big"\nkind = "disallowed"\nthis_update = 2024-01-01\n'
                      '[defaults]\ndisabled_since = 2024-01-01\n[[entry]]\nthumbprints = "big.txt"\n')
    out = tmp_path / "out"
    keys = str(dev_keys.signer_key.parent)
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    build = CTLBUILD + ["build", str(listed), "-o", str(out), "--keys", keys]
    subprocess.run(build + ["--signing-time", "2024-01-01T00:00:00Z"], env=env, check=True, capture_output=True)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    outcomes = set()
    for n, delay in enumerate([0.2, 0.6, 1.0, 1.4, 1.8, 2.2, 2.6, 3.5]):
        proc = subprocess.Popen(build + ["--signing-time", f"2024-01-01T00:00:{n + 1:02d}Z"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        staging = out / STAGING
        if not consistent(out):
            assert (staging / COMMIT).exists(), f"inconsistent out/ without a committed journal (kill at {delay}s)"
            recover(out)
            assert consistent(out)
        now = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
        outcomes.add("as before" if now == before else "complete")
        before = now
    assert outcomes  # which of the two each kill gave depends on timing; both are fine


def test_check_passes_then_names_the_difference(tmp_path, dev_keys):
    out = tmp_path / "out"
    lists = ["examples/diginotar-kb2607712.toml", "examples/diginotar-kb2616676.toml"]
    keys = dev_keys.signer_key.parent
    assert run("build", *lists, "-o", out, "--keys", keys, "--signing-time", SIGNING_TIME).exit_code == 0
    good = run("build", *lists, "-o", out, "--keys", keys, "--check")  # signing time from the manifest
    assert good.exit_code == 0, good.output
    assert "match a rebuild" in good.stdout
    stl = out / "diginotar-kb2616676.stl"
    other = run("build", lists[1], "-o", tmp_path / "other", "--keys", keys,
                "--signing-time", "2024-01-02T00:00:00Z")
    assert other.exit_code == 0
    stl.write_bytes((tmp_path / "other" / stl.name).read_bytes())  # same content, signed at another time
    bad = run("build", *lists, "-o", out, "--keys", keys, "--check")
    assert bad.exit_code == 1
    assert "diginotar-kb2616676.stl: differs from the rebuild: CTL content identical, envelope differs" in bad.stdout
    assert "the record of diginotar-kb2616676 differs" not in bad.stdout  # the manifest still says the old hash
    (out / "diginotar-kb2607712stl.cab").unlink()
    missing = run("build", *lists, "-o", out, "--keys", keys, "--check")
    assert "diginotar-kb2607712stl.cab: missing" in missing.stdout


def test_build_writes_the_release_changelog(tmp_path, dev_keys):
    out = tmp_path / "out"
    result = run("build", "examples/diginotar-kb2616676.toml", "-o", out, "--keys", dev_keys.signer_key.parent,
                 "--signing-time", SIGNING_TIME)
    assert result.exit_code == 0, result.output
    text = (out / "diginotar-kb2616676.changelog.md").read_text()
    assert "V1.0 (August 29, 2011): Advisory published." in text and "V4.0 (September 13, 2011)" in text
    assert "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c" in text


@pytest.mark.parametrize("name", ["../x.stl", "sub/x.stl", ".hidden", "/etc/passwd", "a\0b", "COMMIT", ""])
def test_recovery_refuses_names_no_build_writes_and_moves_nothing(tmp_path, name):
    staging = tmp_path / STAGING
    staging.mkdir()
    (staging / "a.stl").write_bytes(b"new")
    (staging / COMMIT).write_text(f"a.stl\n{name}\n" if name else "a.stl\n\n")
    with pytest.raises(OutputError, match="not a file a build writes; not a staging folder a build left"):
        recover(tmp_path)
    assert not (tmp_path / "a.stl").exists() and (staging / "a.stl").exists()


def test_recovery_of_a_staging_path_that_is_a_file(tmp_path):
    (tmp_path / STAGING).write_text("x")
    with pytest.raises(OutputError, match="is not a folder"):
        recover(tmp_path)


# -- a build owns what its manifest records: stale outputs go, nothing else does ----------------

def _stl_only_copy(tmp_path, outputs='["stl", "sst", "cab"]'):
    text = Path("examples/diginotar-kb2607712.toml").read_text()
    listed = tmp_path / "diginotar-kb2607712.toml"
    listed.write_text(text.replace('outputs = ["stl", "cab"]', f"outputs = {outputs}"))
    return listed


def test_outputs_a_list_no_longer_asks_for_are_removed_and_check_names_them(tmp_path, dev_keys):
    out, keys = tmp_path / "out", dev_keys.signer_key.parent
    listed = _stl_only_copy(tmp_path)
    other = "examples/bulk-disallowed.toml"
    assert run("build", listed, other, "-o", out, "--keys", keys, "--signing-time", SIGNING_TIME).exit_code == 0
    (out / "notes.txt").write_text("the user's own\n")
    assert {"diginotar-kb2607712.sst", "diginotar-kb2607712stl.cab"} <= {p.name for p in out.iterdir()}
    _stl_only_copy(tmp_path, '["stl"]')
    check = run("build", listed, "-o", out, "--keys", keys, "--check")
    assert check.exit_code == 1
    strays = [line for line in check.stdout.splitlines() if "a stray" in line]
    assert len(strays) == 2 and all("(a build removes it)" in line for line in strays)
    assert any(line.startswith("DIFFERS diginotar-kb2607712.sst: a stray") for line in strays)
    built = run("build", listed, "-o", out, "--keys", keys, "--signing-time", SIGNING_TIME)
    assert built.exit_code == 0, built.output
    assert "removed (no longer in the lists' outputs)" in built.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "bulk-disallowed.stl", "bulk-disallowedstl.cab", "diginotar-kb2607712.stl", "manifest.json", "notes.txt"]
    assert (out / "notes.txt").read_text() == "the user's own\n" and consistent(out)
    again = run("build", listed, other, "-o", out, "--keys", keys, "--check")
    assert again.exit_code == 0, again.output


def test_a_stale_output_that_changed_or_is_a_link_is_left_in_place(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("not a build's\n")
    out = tmp_path / "out"
    record = {"outputs": {f"a{s}": {"sha256": hashlib.sha256(b"x").hexdigest(), "size": 1}
                          for s in (".stl", ".sst", "stl.cab")}}
    write_outputs(out, {"a.stl": b"x", "a.sst": b"x", "astl.cab": b"x"}, {"a": record})
    (out / "a.sst").write_bytes(b"y")  # edited since: not what the manifest recorded
    (out / "astl.cab").unlink()
    (out / "astl.cab").symlink_to(target)
    published = write_outputs(out, {"a.stl": b"x"}, {"a": {"outputs": {"a.stl": record["outputs"]["a.stl"]}}})
    assert published.removed == []
    assert dict(published.kept) == {"a.sst": "changed since the build that recorded it",
                                    "astl.cab": "not a plain file (a link or folder is never removed or followed)"}
    assert (out / "a.sst").read_bytes() == b"y" and (out / "astl.cab").is_symlink()
    assert target.read_text() == "not a build's\n"


def test_a_planted_manifest_cannot_remove_a_file_outside_or_a_file_of_another_list(tmp_path):
    out = tmp_path / "out"
    secret = tmp_path / "secret.key"
    secret.write_bytes(b"k")
    sha = {"sha256": hashlib.sha256(b"k").hexdigest(), "size": 1}
    write_outputs(out, {"b.stl": b"k"}, {"b": {"outputs": {"b.stl": sha}}})
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["lists"]["a"] = {"outputs": {"../secret.key": sha, "b.stl": sha, MANIFEST: sha}}
    (out / MANIFEST).write_text(json.dumps(manifest))
    published = write_outputs(out, {"a.stl": b"z"}, {"a": {"outputs": {"a.stl": {}}}})
    assert published.removed == []
    assert secret.read_bytes() == b"k" and (out / "b.stl").read_bytes() == b"k"
    assert dict(published.kept) == {"../secret.key": "not a name a build writes",
                                    MANIFEST: "not a name a build writes"}


def test_content_only_keeps_the_signed_outputs(tmp_path, dev_keys):
    out, keys = tmp_path / "out", dev_keys.signer_key.parent
    listed = "examples/diginotar-kb2607712.toml"
    assert run("build", listed, "-o", out, "--keys", keys, "--signing-time", SIGNING_TIME).exit_code == 0
    assert run("build", listed, "-o", out, "--content-only").exit_code == 0
    assert {"diginotar-kb2607712.stl", "diginotar-kb2607712stl.cab", "diginotar-kb2607712.ctl"} <= {
        p.name for p in out.iterdir()}


def test_a_content_only_build_between_two_builds_does_not_orphan_the_signed_outputs(tmp_path, dev_keys):
    # --content-only adds its .ctl to the list's record: the .stl and .cab stay recorded, so
    # the next build, asked for fewer outputs, still owns (and removes) them.
    out, keys = tmp_path / "out", dev_keys.signer_key.parent
    listed = _stl_only_copy(tmp_path, '["stl", "cab"]')
    assert run("build", listed, "-o", out, "--keys", keys, "--signing-time", SIGNING_TIME).exit_code == 0
    assert run("build", listed, "-o", out, "--content-only").exit_code == 0
    record = json.loads((out / MANIFEST).read_text())["lists"]["diginotar-kb2607712"]
    assert set(record["outputs"]) == {"diginotar-kb2607712.stl", "diginotar-kb2607712stl.cab",
                                      "diginotar-kb2607712.ctl"}
    assert record["signing_time"] is not None
    _stl_only_copy(tmp_path, '["stl"]')
    built = run("build", listed, "-o", out, "--keys", keys, "--signing-time", SIGNING_TIME)
    assert built.exit_code == 0, built.output
    assert {p.name for p in out.iterdir()} == {"diginotar-kb2607712.stl", MANIFEST}
    check = run("build", listed, "-o", out, "--keys", keys, "--check")
    assert check.exit_code == 0, check.output


def test_check_names_an_unrecorded_output_an_older_build_left(tmp_path, dev_keys):
    out, keys = tmp_path / "out", dev_keys.signer_key.parent
    listed = "examples/diginotar-kb2607712.toml"
    assert run("build", listed, "-o", out, "--keys", keys, "--signing-time", SIGNING_TIME).exit_code == 0
    (out / "diginotar-kb2607712.sst").write_bytes(b"left by ctlbuild 0.x")
    check = run("build", listed, "-o", out, "--keys", keys, "--check")
    assert check.exit_code == 1
    assert "diginotar-kb2607712.sst: a stray: named like an output of diginotar-kb2607712" in check.stdout
    assert run("build", listed, "-o", out, "--keys", keys, "--signing-time", SIGNING_TIME).exit_code == 0
    assert (out / "diginotar-kb2607712.sst").exists()  # recorded nowhere: never removed by a build


# -- the lock file: gone after a build, never blocking when its holder is dead -----------------

def test_no_lock_file_outlives_a_build(tmp_path):
    write_outputs(tmp_path, {"a.stl": b"one"}, {"a": {"outputs": {}}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.stl", MANIFEST]


def test_a_stale_lock_with_a_dead_pid_does_not_block(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (tmp_path / ".ctlbuild.lock").write_text(f"{dead}\n")
    with OutputDir(tmp_path, wait_seconds=0):
        pass
    assert not (tmp_path / ".ctlbuild.lock").exists()


def test_the_lock_still_excludes_when_its_holder_removes_the_file(tmp_path):
    """A waiter that opened the file its holder then removed must not lock that orphan:
    it locks the file now at the path, so a third build still waits."""
    import threading

    first = OutputDir(tmp_path).__enter__()
    got, release = threading.Event(), threading.Event()

    def waiter():
        with OutputDir(tmp_path, wait_seconds=10):
            got.set()
            release.wait(10)

    thread = threading.Thread(target=waiter)
    thread.start()
    time.sleep(0.3)  # the waiter has the file open and is waiting
    first.__exit__(None, None, None)
    assert got.wait(10)
    assert (tmp_path / ".ctlbuild.lock").exists()  # the waiter's own file
    with pytest.raises(OutputError, match="another ctlbuild build is writing here"):
        with OutputDir(tmp_path, wait_seconds=0.2):
            pass
    release.set()
    thread.join()
    assert not (tmp_path / ".ctlbuild.lock").exists()


# -- write_if_changed: a re-import leaves unchanged certificate files alone ------------------------

def test_write_if_changed_leaves_the_same_bytes_alone_and_rewrites_anything_else(tmp_path):
    from ctlbuild.build.outputs import write_if_changed

    path = tmp_path / "a.crt"
    assert write_if_changed(path, b"one") is True and path.read_bytes() == b"one"
    os.utime(path, (1_000_000, 1_000_000))
    assert write_if_changed(path, b"one") is False and path.stat().st_mtime == 1_000_000
    assert write_if_changed(path, b"two") is True and path.read_bytes() == b"two"
    os.chmod(path, 0o600)  # same bytes, other mode: written again, with the mode asked for
    assert write_if_changed(path, b"two") is True and (path.stat().st_mode & 0o777) == 0o644


def test_write_if_changed_replaces_a_link_even_to_the_same_bytes(tmp_path):
    from ctlbuild.build.outputs import write_if_changed

    elsewhere = tmp_path / "elsewhere.crt"
    elsewhere.write_bytes(b"same")
    os.chmod(elsewhere, 0o644)
    link = tmp_path / "a.crt"
    link.symlink_to(elsewhere)
    assert write_if_changed(link, b"same") is True
    assert not link.is_symlink() and link.read_bytes() == b"same"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_write_if_changed_replaces_a_fifo_without_waiting_for_a_writer(tmp_path):
    """A FIFO planted where a certificate goes: opening it to compare would block for ever."""
    from ctlbuild.build.outputs import write_if_changed

    path = tmp_path / "a.crt"
    os.mkfifo(path)
    assert write_if_changed(path, b"one") is True
    assert path.is_file() and path.read_bytes() == b"one"


def test_write_if_changed_replaces_a_hard_link_to_the_same_bytes(tmp_path):
    """A second name for another file (planted, or another user's) is not ours to keep."""
    from ctlbuild.build.outputs import write_if_changed

    elsewhere = tmp_path / "elsewhere.crt"
    elsewhere.write_bytes(b"same")
    os.chmod(elsewhere, 0o644)
    path = tmp_path / "a.crt"
    os.link(elsewhere, path)
    assert write_if_changed(path, b"same") is True
    assert path.stat().st_nlink == 1 and elsewhere.stat().st_nlink == 1


def test_reimport_rewrites_only_the_certificates_that_changed(tmp_path):
    from tests.fixtures_ms import fixture

    out = tmp_path / "lists" / "authroot.toml"
    args = ["import", str(fixture("authrootstl-2018-06-19.cab")), "-o", str(out), "--force",
            "--certs-from", str(fixture("certs"))]
    assert CliRunner().invoke(main, args).exit_code == 0
    certs = sorted((tmp_path / "lists" / "certs").iterdir())
    assert len(certs) == 370
    for p in certs:
        os.utime(p, (1_000_000, 1_000_000))
    changed = certs[0]
    changed.write_bytes(b"edited by hand")
    assert CliRunner().invoke(main, args).exit_code == 0
    assert changed.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----") and changed.stat().st_mtime != 1_000_000
    assert all(p.stat().st_mtime == 1_000_000 for p in certs[1:])
