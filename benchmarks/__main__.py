"""``python -m benchmarks`` (``make bench``): generate inputs, run each row, print the report.

Rows (each target is checked and printed; a miss says MISSED, the exit status stays 0):
  1. ``build`` of 100k ``[[entry]]`` tables, signed, default outputs (stl, sst, cab): <= 3 s
  2. ``encode_ctl`` beside asn1crypto native values, same 100k entries, one process:
     the ratio, and the two must give identical bytes
  3. ``build`` of 1M entries from a thumbprint file with [defaults]: <= 10 s, <= 1 GiB
  4. ``verify --anchor`` of that 1M-entry .stl: <= 3 s
  5. ``show --json`` of it to /dev/null: <= 20 s
  6. ``import`` + ``build`` (stl, sst, cab) of Microsoft's 370-entry 2018-06-19 release,
     both processes together: <= 1.5 s (skipped without ../shared/fixtures)
  7. an SST of 10k certificates with properties written and read back: <= 2 s
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .inputs import write_entry_tables, write_thumbprint_list
from .process import Run, measure

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


def encoding_rows(list_path: Path, cwd: Path) -> list[Row]:
    """Both encoders in one child process (``benchmarks.encoding``), so that the
    comparison shares one heap and its peak RSS is not the runner's."""
    with tempfile.TemporaryFile(dir=cwd) as out:
        run = _run([sys.executable, "-m", "benchmarks.encoding", str(list_path)], "encoding comparison",
                   cwd, stdout=out)
        out.seek(0)
        result = json.loads(out.read())
    n, ratio = result["entries"], result["naive"] / result["ours"]
    same = "identical bytes" if result["identical"] else "BYTES DIFFER"
    return [
        Row("encode: asn1crypto native dicts (in-process)", n, result["naive"], None, "baseline", True, "-"),
        Row("encode: encode_ctl (in-process)", n, result["ours"], run.peak_rss, "same bytes",
            result["identical"], f"{ratio:.0f}x faster, {same}"),
    ]


def import_build_row(cwd: Path) -> list[Row]:
    fixtures = REPO.parent / "shared" / "fixtures" / "microsoft"
    cab = fixtures / "authrootstl-2018-06-19.cab"
    if not cab.exists():
        print("  (import + build row skipped: ../shared/fixtures is absent)", file=sys.stderr)
        return []
    script = (f'"{CTLBUILD}" import "{cab}" -o imported/authroot.toml --force --certs-from "{fixtures}/certs" '
              f'&& "{CTLBUILD}" build imported/authroot.toml --keys keys -o out')
    run = _run(["sh", "-c", script], "import + build", cwd)
    return [Row("import + build (370 entries; stl, sst, cab)", 370, run.seconds, run.peak_rss, "<= 1.5 s",
                run.seconds <= 1.5)]


def sst_row(cwd: Path, n: int = 10_000) -> list[Row]:
    with tempfile.TemporaryFile(dir=cwd) as out:
        run = _run([sys.executable, "-m", "benchmarks.containers", "sst", str(n)], "SST round trip", cwd, stdout=out)
        out.seek(0)
        result = json.loads(out.read())
    return [Row("SST write + read back (in-process)", n, result["seconds"], run.peak_rss, "<= 2 s",
                result["seconds"] <= 2)]


def render(rows: list[Row]) -> str:
    head = ("", "entries", "seconds", "entries/s", "peak RSS", "target", "result")
    lines = [head]
    for r in rows:
        rss = "-" if r.peak_rss is None else f"{r.peak_rss / (1 << 20):,.0f} MiB"
        lines.append((r.label, f"{r.entries:,}", f"{r.seconds:.2f}", f"{r.entries / r.seconds:,.0f}", rss,
                      r.target, r.verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    numeric = {1, 2, 3, 4}
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
                             for i, cell in enumerate(line)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100_000, help="entries in rows 1-2 (default 100000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="entries in rows 3-5 (default 1000000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="ctlbuild-bench-"))
    rows: list[Row] = []
    try:
        print(f"generating inputs in {tmp} ...", file=sys.stderr, flush=True)
        small = write_entry_tables(tmp / "bench-small.toml", "bench-small", args.small)
        large = write_thumbprint_list(tmp / "bench-large.toml", "bench-large", args.large)
        _run([CTLBUILD, "keys", "init", "--dir", "keys"], "keys init", tmp)
        build = [CTLBUILD, "build", "--keys", "keys", "-o", "out"]
        stl = f"out/{large.stem}.stl"
        steps = [
            lambda: [command_row("build ([[entry]] tables, signed)", args.small, build + [small.name], tmp,
                                 max_seconds=3)],
            lambda: encoding_rows(small, tmp),
            lambda: [command_row("build (thumbprint file + [defaults])", args.large, build + [large.name], tmp,
                                 max_seconds=10, max_rss=GIB)],
            lambda: [command_row("verify --anchor", args.large,
                                 [CTLBUILD, "verify", stl, "--anchor", "keys/dev-root-ca.pem"], tmp,
                                 max_seconds=3)],
            lambda: [command_row("show --json > /dev/null", args.large, [CTLBUILD, "show", "--json", stl], tmp,
                                 max_seconds=20)],
            lambda: import_build_row(tmp),
            lambda: sst_row(tmp),
        ]
        for n, step in enumerate(steps, 1):
            for row in step():
                rows.append(row)
                print(f"  {n}. {row.label}: {row.seconds:.2f} s", file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"inputs and outputs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(render(rows))
    checked = [r for r in rows if r.target != "baseline"]
    missed = [r.label for r in checked if not r.met]
    print(f"\n{len(checked) - len(missed)}/{len(checked)} targets met"
          + (f"; MISSED: {', '.join(missed)}" if missed else "")
          + f" (whole run {time.perf_counter() - started:.0f} s on {os.cpu_count()} CPUs)")
    return 0  # a report, not a gate


if __name__ == "__main__":
    sys.exit(main())
