"""A build that finds its output folder locked says so once, naming the holder, instead of
waiting in silence (issue 12, item 8)."""

from __future__ import annotations

import fcntl
import os

import pytest
from click.testing import CliRunner

from ctlbuild._cli import main
from ctlbuild.build import outputs
from ctlbuild.build.outputs import LOCK, OutputDir
from ctlbuild.errors import OutputError
from tests.conftest import SIGNING_TIME
from tests.peers import DIGINOTAR, require_fixtures

LIST = ('name = "l"\nkind = "disallowed"\nthis_update = 2024-01-01\noutputs = ["stl"]\n[[entry]]\n'
        'sha1 = "c0 60 ed 44 cb d8 81 bd 0e f8 6c 0b a2 87 dd cf 81 67 47 8c"\n')


def hold(out, text: bytes) -> int:
    """Take out/'s lock as another build would: its own open file, its pid and host in it."""
    out.mkdir(exist_ok=True)
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.write(fd, text)
    return fd


class _Clock:
    """The lock's clock: the holder lets go after the waiting build has polled a few times
    (no real time passes, and nothing depends on how fast the machine is)."""

    def __init__(self, fd: int):
        self.fd, self.polls = fd, 0

    def monotonic(self) -> float:
        return float(self.polls)

    def sleep(self, _seconds: float) -> None:
        self.polls += 1
        if self.polls == 3:
            os.close(self.fd)


def test_a_build_says_once_that_it_waits_and_for_whom(tmp_path, dev_keys, monkeypatch):
    listed = tmp_path / "l.toml"
    listed.write_text(LIST, encoding="utf-8")
    out = tmp_path / "out"
    clock = _Clock(hold(out, b"4242 build-01\n"))
    monkeypatch.setattr(outputs, "time", clock)
    result = CliRunner().invoke(main, ["build", str(listed), "-o", str(out), "--keys",
                                       str(dev_keys.signer_key.parent), "--signing-time", SIGNING_TIME])
    assert result.exit_code == 0, result.output
    assert clock.polls == 3
    assert result.stderr.count("waiting") == 1
    assert f"ctlbuild: {out}: another ctlbuild build is writing here (pid 4242 on build-01); waiting up to 60 s " \
           "for it to finish\n" in result.stderr


def test_the_lock_records_pid_and_host(tmp_path):
    with OutputDir(tmp_path):
        pid, host = (tmp_path / LOCK).read_text().split()
    assert pid == str(os.getpid()) and host == os.uname().nodename


@pytest.mark.parametrize("text, named", [(b"4242\n", "(pid 4242)"), (b"\x1b[2Jevil host\n", None),
                                         (b"4242 bad\x1bhost\n", "(pid 4242)")])
def test_a_planted_lock_file_names_no_one_it_should_not(tmp_path, text, named):
    fd = hold(tmp_path, text)
    told = []
    try:
        with pytest.raises(OutputError) as caught, \
                OutputDir(tmp_path, wait_seconds=0.2, on_wait=lambda *args: told.append(args)):
            pass
    finally:
        os.close(fd)
    assert len(told) == 1 and told[0][1] == (named[1:-1] if named else None)
    assert (named or "another ctlbuild build is writing here; waited") in str(caught.value)


@pytest.mark.parametrize("command", ["deploy", "mirror build"])
def test_deploy_and_mirror_build_say_so_too(tmp_path, dev_keys, monkeypatch, command):
    listed = tmp_path / "l.toml"
    listed.write_text(LIST, encoding="utf-8")
    out = tmp_path / "out"
    clock = _Clock(hold(out, b"4242 build-01\n"))
    monkeypatch.setattr(outputs, "time", clock)
    require_fixtures()
    signing = ["--keys", str(dev_keys.signer_key.parent), "--signing-time", SIGNING_TIME] if command != "deploy" \
        else ["--certs", str(DIGINOTAR)]  # the list's DigiNotar root, for the kit's store
    result = CliRunner().invoke(main, [*command.split(), str(listed), "-o", str(out), *signing])
    assert result.exit_code == 0, result.output
    assert "(pid 4242 on build-01); waiting up to 60 s" in result.stderr
