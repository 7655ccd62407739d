"""What every benchmark row shares: the Row, and running ctlbuild as a measured child."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.process import Run, measure

GIB = 1 << 30
CTLBUILD = str(Path(sys.executable).parent / "ctlbuild")
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    label: str
    entries: int
    seconds: float
    peak_rss: int | None
    target: str
    met: bool
    result: str = ""  # shown instead of met/MISSED when set

    @property
    def verdict(self) -> str:
        return self.result or ("met" if self.met else "MISSED")


def _env() -> dict:
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)  # sign "now", inside the fresh dev keys' validity
    env.pop("CTLBUILD_DEBUG", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _run(argv: list[str], what: str, cwd: Path, stdout=subprocess.DEVNULL) -> Run:
    run = measure(argv, stdout=stdout, env=_env(), cwd=cwd)
    if run.returncode != 0:
        # A command that fails is broken software, not a missed target: stop here.
        sys.stderr.write(run.stderr)
        raise SystemExit(f"benchmark: {what} exited {run.returncode}")
    return run


def command_row(label: str, entries: int, argv: list[str], cwd: Path, *, max_seconds: float,
                max_rss: int | None = None) -> Row:
    run = _run(argv, label, cwd)
    met = run.seconds <= max_seconds and (max_rss is None or run.peak_rss <= max_rss)
    target = f"<= {max_seconds:g} s" + (f", <= {max_rss / GIB:g} GiB" if max_rss else "")
    return Row(label, entries, run.seconds, run.peak_rss, target, met)
