"""What every benchmark row shares: the Row (a ratio to a baseline measured in the same run),
running commands as measured children, and the reference floors and peers.

A row module is a function ``rows(bench: Bench, ...) -> list[Row]``; ``benchmarks.__main__``
lists the steps. A row states its baseline's seconds and the ratio it must not exceed:

>>> base = bench.run([sys.executable, "-c", "pass"], "python")            # doctest: +SKIP
>>> mine = bench.run([CTLBUILD, "--version"], "version", repeat=5)        # doctest: +SKIP
>>> Row("ctlbuild --version", 0, mine.seconds, mine.peak_rss,             # doctest: +SKIP
...     baseline=base.seconds, baseline_label="python", target=1.5)

``Run.seconds`` are CPU seconds unless the run says ``--clock wall`` (benchmarks.process.CLOCK).
"""

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
#: The shared reference scripts (floor.py, the signify peer): ../shared/bench from the repo root.
SHARED_BENCH = Path(os.environ.get("CTLBUILD_BENCH_REFERENCES", REPO.parent / "shared" / "bench"))
FLOOR = SHARED_BENCH / "floor.py"


@dataclass
class Row:
    label: str
    entries: int
    seconds: float
    peak_rss: int | None = None
    #: seconds of the baseline, measured in the same run (None: this row is itself a baseline)
    baseline: float | None = None
    baseline_label: str = ""
    #: the largest ratio seconds / baseline that meets the target
    target: float | None = None
    max_rss: int | None = None
    note: str = ""

    def __post_init__(self):
        if isinstance(self.baseline, str) or isinstance(self.target, bool):
            raise TypeError(f"{self.label}: absolute targets are gone; give baseline=<seconds measured in "
                            "this run>, baseline_label= and target=<ratio> (see benchmarks.common)")

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None else self.seconds / max(self.baseline, 1e-9)

    @property
    def met(self) -> bool:
        if self.target is None:
            return True
        rss_ok = self.max_rss is None or (self.peak_rss or 0) <= self.max_rss
        return self.ratio <= self.target and rss_ok

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "baseline"
        return "met" if self.met else "MISSED"


class BenchFailure(SystemExit):
    """A command that fails is broken software, not a missed target: the run stops."""


class Bench:
    """The run's folder and measured children; ``repeat`` runs of each start-up row."""

    def __init__(self, tmp: Path, repeat: int = 5):
        self.tmp, self.repeat = tmp, repeat
        self.shared: dict = {}  # figures one step measures and a later step compares with
        self.spreads: dict[str, list[float]] = {}

    def run(self, argv: list, what: str, *, cwd: Path | None = None, repeat: int = 1, stdout=None,
            ok=(0,)) -> Run:
        """The median run of ``repeat`` (by this bench's clock), with the largest peak RSS."""
        runs = []
        for _ in range(repeat):
            if stdout is None:
                run = measure([str(a) for a in argv], stdout=subprocess.DEVNULL, env=env(), cwd=cwd or self.tmp)
            else:
                with open(stdout, "wb") as out:
                    run = measure([str(a) for a in argv], stdout=out, env=env(), cwd=cwd or self.tmp)
            if run.returncode not in ok:
                sys.stderr.write(run.stderr)
                raise BenchFailure(f"benchmark: {what} exited {run.returncode}")
            runs.append(run)
        return median_run(runs)

    def interleaved(self, commands: dict[str, list], rounds: int | None = None, ok=(0,)) -> dict[str, Run]:
        """Each command once per round, ``rounds`` times: a burst of load from another job
        falls on all of them, not on one. The median run of each."""
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(rounds or self.repeat):
            for name, argv in commands.items():
                runs[name].append(self.run(argv, name, ok=ok))
        self.spreads.update({name: [r.seconds for r in rs] for name, rs in runs.items()})
        return {name: median_run(r) for name, r in runs.items()}

    def spread(self, name: str) -> str:
        """How noisy a command's repeated runs were: "n runs, min-max s"."""
        values = self.spreads.get(name) or []
        return f"{len(values)} runs {min(values):.2f}-{max(values):.2f} s" if values else ""

    def floor(self, *args, what: str | None = None, repeat: int = 1, stdout=None) -> Run:
        return self.run([sys.executable, FLOOR, *args], what or f"floor.py {args[0]}", repeat=repeat,
                        stdout=stdout)


def median_run(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.seconds)
    middle = ordered[(len(ordered) - 1) // 2]
    peak = max(r.peak_rss for r in runs)
    return Run(middle.wall, middle.cpu, peak, middle.returncode, middle.stderr)


def env() -> dict:
    out = dict(os.environ)
    out.pop("SOURCE_DATE_EPOCH", None)  # sign "now": a reproducible date would be the caller's, not the bench's
    out.pop("CTLBUILD_DEBUG", None)
    # An installed ctlbuild has its bytecode (pip compiles it; the run compiles the tree it
    # measures first, see compile_tree): without it every start-up row would time the
    # compiler, which floor.py (all third-party, compiled at install) never pays.
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), out.get("PYTHONPATH")]))
    return out


def _run(argv: list[str], what: str, cwd: Path, stdout=subprocess.DEVNULL) -> Run:
    """One measured child that must exit 0 (rows written before ``Bench`` use this)."""
    run = measure([str(a) for a in argv], stdout=stdout, env=env(), cwd=cwd)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        raise BenchFailure(f"benchmark: {what} exited {run.returncode}")
    return run


def signify_python() -> str | None:
    """The signify peer's interpreter (``signify_peer.sh`` makes its venv once), or None."""
    script = SHARED_BENCH / "signify_peer.sh"
    if not script.exists():
        return None
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        print(f"  (signify peer unavailable: {proc.stderr.strip()[-300:]})", file=sys.stderr)
        return None
    return lines[-1]


def compile_tree() -> None:
    """Byte-compile the measured package once, as pip does at install (see env)."""
    import compileall

    compileall.compile_dir(str(REPO / "ctlbuild"), quiet=1)
