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
