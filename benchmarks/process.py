"""Running a command as a child process and measuring it as a whole."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass


@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes
    returncode: int
    stderr: str


#: A small launcher between the runner and the command. Linux copies the exec'ing
#: process's peak RSS into the child's ru_maxrss, so a child spawned straight from a
#: runner holding 1M generated entries would be charged for the runner's memory. The
#: launcher (a bare interpreter, ~10 MiB) forks and execs the command and reports the
#: grandchild's own rusage.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(argv: list[str], *, stdout=subprocess.DEVNULL, env: dict | None = None, cwd=None) -> Run:
    """Wall time from spawn to exit, and the command's own peak RSS (see _LAUNCHER)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, rss.name, *argv], stdout=stdout,
                              stderr=subprocess.PIPE, env=env, cwd=cwd)
        seconds = time.perf_counter() - start
        peak = int(rss.read() or 0)
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return Run(seconds, peak * scale, proc.returncode, proc.stderr.decode(errors="replace"))
