"""Running a command as a child process and measuring it as a whole."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes
    returncode: int
    stderr: str


def measure(argv: list[str], *, stdout=subprocess.DEVNULL, env: dict | None = None, cwd=None) -> Run:
    """Wall time from spawn to exit, and the child's own peak RSS.

    ``os.wait4`` gives the rusage of exactly this child; RUSAGE_CHILDREN deltas
    cannot, since ru_maxrss is a maximum over all children, not a sum.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=cwd)
    # Drain stderr on a pipe without using proc.wait(), so the rusage is ours to collect.
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return Run(seconds, usage.ru_maxrss * scale, proc.returncode, err.decode(errors="replace"))
