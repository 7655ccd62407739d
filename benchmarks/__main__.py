"""``python -m benchmarks``: generate inputs, run each row, print the report table."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .inputs import write_entry_tables, write_thumbprint_list
from .process import Run, measure

GIB = 1 << 30
VENV_BIN = Path(sys.executable).parent
CTLBUILD = str(VENV_BIN / "ctlbuild")


@dataclass
class Row:
    label: str
    entries: int
    run: Run | None
    target: str
    met: bool
    note: str = ""


def _fmt_rss(n: int | None) -> str:
    return "-" if n is None else f"{n / (1 << 20):,.0f} MiB"


def _check(run: Run, what: str) -> None:
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        raise SystemExit(f"benchmark: {what} exited {run.returncode}; see above")


def _env() -> dict:
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)  # sign "now", inside the fresh dev keys' validity
    env.pop("CTLBUILD_DEBUG", None)
    return env


def timed_row(label, entries, argv, *, max_seconds, max_rss=None, cwd, stdout=subprocess.DEVNULL) -> Row:
    run = measure(argv, stdout=stdout, env=_env(), cwd=cwd)
    _check(run, label)
    met = run.seconds <= max_seconds and (max_rss is None or run.peak_rss <= max_rss)
    target = f"<= {max_seconds:g} s" + (f", <= {max_rss / GIB:g} GiB" if max_rss else "")
    return Row(label, entries, run, target, met)


def encoding_row(list_path: Path, cwd: Path) -> Row:
    """Row 2 runs both encoders in one child process (so its peak RSS is its own)."""
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                      env.get("PYTHONPATH")]))
    out = tempfile.TemporaryFile(dir=cwd)
    run = measure([sys.executable, "-m", "benchmarks.encoding", str(list_path)], stdout=out, env=env, cwd=cwd)
    _check(run, "encoding comparison")
    out.seek(0)
    result = json.loads(out.read())
    ratio = result["naive"] / result["ours"]
    note = (f"encode_ctl {result['ours']:.2f} s vs asn1crypto native {result['naive']:.2f} s: "
            f"{ratio:.0f}x faster, identical bytes")
    # Seconds and entries/s of this row are ours; the comparison is in the note.
    shown = Run(result["ours"], run.peak_rss, 0, "")
    return Row("encode_ctl vs asn1crypto (in-process)", result["entries"], shown, "identical bytes",
               result["identical"], note)


def render(rows: list[Row]) -> str:
    head = ("", "entries", "seconds", "entries/s", "peak RSS", "target", "result")
    lines = [head]
    for r in rows:
        secs = r.run.seconds
        lines.append((r.label, f"{r.entries:,}", f"{secs:.2f}", f"{r.entries / secs:,.0f}",
                      _fmt_rss(r.run.peak_rss), r.target, "met" if r.met else "MISSED"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    right = {1, 2, 3, 4}
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                             for i, cell in enumerate(line)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    notes = [f"  {i}. {r.note}" for i, r in enumerate(rows, 1) if r.note]
    return "\n".join(out + (["", "notes:"] + notes if notes else []))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--small", type=int, default=100_000, help="entries in rows 1-2 (default 100000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="entries in rows 3-5 (default 1000000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="ctlbuild-bench-"))
    started = time.perf_counter()
    try:
        print(f"generating inputs in {tmp} ...", file=sys.stderr)
        small = write_entry_tables(tmp / "bench-small.toml", "bench-small", args.small)
        large = write_thumbprint_list(tmp / "bench-large.toml", "bench-large", args.large)
        _check(measure([CTLBUILD, "keys", "init", "--dir", "keys"], env=_env(), cwd=tmp), "keys init")
        build = [CTLBUILD, "build", "--keys", "keys", "-o", "out"]
        rows = []

        def step(row_fn, *a, **kw):
            print(f"running: {a[0] if a else 'encoding'} ...", file=sys.stderr)
            rows.append(row_fn(*a, **kw))

        step(timed_row, "build ([[entry]] tables, signed)", args.small, build + [small.name],
             max_seconds=3, cwd=tmp)
        step(encoding_row, small, tmp)
        step(timed_row, "build (thumbprints file + [defaults])", args.large, build + [large.name],
             max_seconds=10, max_rss=GIB, cwd=tmp)
        stl = f"out/{large.stem}.stl"
        step(timed_row, "verify --anchor", args.large,
             [CTLBUILD, "verify", stl, "--anchor", "keys/dev-root-ca.pem"], max_seconds=3, cwd=tmp)
        step(timed_row, "show --json > /dev/null", args.large, [CTLBUILD, "show", "--json", stl],
             max_seconds=20, cwd=tmp)
    finally:
        if args.keep:
            print(f"inputs and outputs kept in {tmp}", file=sys.stderr)
        else:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)

    print(render(rows))
    missed = [r.label for r in rows if not r.met]
    print(f"\n{len(rows) - len(missed)}/{len(rows)} targets met"
          + (f"; MISSED: {', '.join(missed)}" if missed else "")
          + f" (total {time.perf_counter() - started:.0f} s, {os.cpu_count()} CPUs)")
    return 0  # a report, not a gate


if __name__ == "__main__":
    sys.exit(main())
