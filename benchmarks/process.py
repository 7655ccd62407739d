"""Running a command as a child process and measuring it as a whole."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

#: What a Run's ``seconds`` are: "cpu" (the command's user + system time, steady on a machine
#: shared with other jobs; the default) or "wall" (``python -m benchmarks --clock wall``).
CLOCK = os.environ.get("CTLBUILD_BENCH_CLOCK", "cpu")  # children (in-process rows) inherit it


@dataclass
class Run:
    wall: float  # seconds from spawn to exit
    cpu: float  # the command's own user + system seconds
    peak_rss: int  # bytes
    returncode: int
    stderr: str

    @property
    def seconds(self) -> float:
        return self.cpu if CLOCK == "cpu" else self.wall


#: A small launcher between the runner and the command. Linux copies the exec'ing
#: process's peak RSS into the child's ru_maxrss, so a child spawned straight from a
#: runner holding 1M generated entries would be charged for the runner's memory. The
#: launcher (a bare interpreter, ~10 MiB) forks and execs the command and reports the
#: grandchild's own rusage: peak RSS and CPU seconds.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(argv: list[str], *, stdout=subprocess.DEVNULL, env: dict | None = None, cwd=None) -> Run:
    """Wall time from spawn to exit, and the command's own CPU time and peak RSS (see _LAUNCHER)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, rss.name, *argv], stdout=stdout,
                              stderr=subprocess.PIPE, env=env, cwd=cwd)
        wall = time.perf_counter() - start
        peak, cpu = (rss.read() or "0 0").split()
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    scale = 1 if sys.platform == "darwin" else 1024
    return Run(wall, float(cpu), int(peak) * scale, proc.returncode, proc.stderr.decode(errors="replace"))
